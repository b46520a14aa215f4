import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import type { OrganizationRow, StoredRetentionPolicy } from '../db/schema.js';
import { camelized } from '../db/rows.js';

export interface Organization {
  id: string;
  name: string;
  email: string;
  /** Documented settings by wire name (`session-timeout`, `default-execution-mode`, …). */
  settings: Record<string, unknown>;
  /** The pool of workspaces that follow an `agent` default-execution-mode. */
  defaultAgentPoolId: string | null;
  /** Its explicit data retention policy, if any. */
  dataRetentionPolicy: StoredRetentionPolicy | null;
  createdAt: Date;
}

function toOrganization(row: OrganizationRow): Organization {
  return camelized(row);
}

export async function insert(db: Db, org: { id: string; name: string; email: string; settings: Record<string, unknown> }): Promise<Organization> {
  const row = await db
    .insertInto('organizations')
    .values({ id: org.id, name: org.name, email: org.email, settings: JSON.stringify(org.settings) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOrganization(row);
}

export async function findByName(db: Db, name: string): Promise<Organization | undefined> {
  // Prepared: every request under /organizations/:name starts here.
  const row = await prepared(db.selectFrom('organizations').selectAll().where('name', '=', name)).executeTakeFirst();
  return row && toOrganization(row);
}

/** Organizations by name, in one query; unknown names are left out. */
export async function findManyByName(db: Db, names: readonly string[]): Promise<Organization[]> {
  if (names.length === 0) return [];
  return (await db.selectFrom('organizations').selectAll().where('name', 'in', names).execute()).map(toOrganization);
}

export async function findById(db: Db, id: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toOrganization(row);
}

export async function findDefaultProjectId(db: Db, organizationId: string): Promise<string | null> {
  const row = await db.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('is_default', '=', true).executeTakeFirst();
  return row?.id ?? null;
}

/** The project every organization starts with (projects.mdx): new workspaces go there unless told otherwise. */
export async function insertDefaultProject(db: Db, ids: { projectId: string; organizationId: string }): Promise<void> {
  await db.insertInto('projects').values({ id: ids.projectId, organization_id: ids.organizationId, name: 'Default Project', is_default: true }).execute();
}

/** Makes `userId` the founder of a new organization: the owners team with them in it, and their active membership. */
export async function insertFounder(db: Db, ids: { teamId: string; membershipId: string; organizationId: string; userId: string }): Promise<void> {
  await db
    .insertInto('teams')
    .values({ id: ids.teamId, organization_id: ids.organizationId, name: 'owners', visibility: 'organization', is_owners: true })
    .execute();
  await db.insertInto('team_memberships').values({ team_id: ids.teamId, user_id: ids.userId }).execute();
  await db
    .insertInto('organization_memberships')
    .values({ id: ids.membershipId, organization_id: ids.organizationId, user_id: ids.userId, status: 'active' })
    .execute();
}

/** Which organizations a list covers. Every field narrows the result; an empty filter is every organization. */
export interface OrganizationFilter {
  /** Organizations this user belongs to: an active membership or a seat in the owners team. */
  memberUserId?: string;
  /** Only this organization (organization and team tokens see their own). */
  organizationId?: string;
  /** Substring of the name or the email. */
  search?: string;
  /** Substring of the name. */
  name?: string;
  /** Substring of the email. */
  email?: string;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filtered(db: Db, filter: OrganizationFilter) {
  let query = db.selectFrom('organizations');
  if (filter.organizationId !== undefined) query = query.where('organizations.id', '=', filter.organizationId);
  const userId = filter.memberUserId;
  if (userId !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('organization_memberships')
            .select('organization_memberships.id')
            .whereRef('organization_memberships.organization_id', '=', 'organizations.id')
            .where('organization_memberships.user_id', '=', userId)
            .where('organization_memberships.status', '=', 'active'),
        ),
        eb.exists(
          eb
            .selectFrom('team_memberships')
            .innerJoin('teams', 'teams.id', 'team_memberships.team_id')
            .select('teams.id')
            .whereRef('teams.organization_id', '=', 'organizations.id')
            .where('teams.is_owners', '=', true)
            .where('team_memberships.user_id', '=', userId),
        ),
      ]),
    );
  }
  if (filter.search !== undefined) {
    const pattern = containsPattern(filter.search);
    query = query.where((eb) => eb.or([eb('organizations.name', 'ilike', pattern), eb('organizations.email', 'ilike', pattern)]));
  }
  if (filter.name !== undefined) query = query.where('organizations.name', 'ilike', containsPattern(filter.name));
  if (filter.email !== undefined) query = query.where('organizations.email', 'ilike', containsPattern(filter.email));
  return query;
}

/** Organizations matching `filter` by name (byte order, the same on PostgreSQL and PGlite); all of them when `limit` is undefined. */
export async function selectPage(db: Db, filter: OrganizationFilter, window: PageWindow): Promise<{ organizations: Organization[]; total: number }> {
  const { rows, total } = await pageAndTotal(filtered(db, filter).selectAll('organizations').orderBy(sql`organizations.name collate "C"`), window);
  return { organizations: rows.map(toOrganization), total };
}

/** Renames and/or changes the email; `settings` are merged into the stored ones in the same statement. */
export async function update(
  db: Db,
  id: string,
  changes: {
    name?: string | undefined;
    email?: string | undefined;
    settings?: Record<string, unknown> | undefined;
    defaultAgentPoolId?: string | null | undefined;
  },
): Promise<Organization | undefined> {
  const row = await db
    .updateTable('organizations')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.email !== undefined ? { email: changes.email } : {}),
      ...(changes.defaultAgentPoolId !== undefined ? { default_agent_pool_id: changes.defaultAgentPoolId } : {}),
      // Merged in SQL so that two concurrent updates of different settings both survive.
      settings: sql<string>`settings || ${JSON.stringify(changes.settings ?? {})}::jsonb`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row && toOrganization(row);
}

/** Whether the pool is one of the organization's. */
export async function agentPoolExists(db: Db, organizationId: string, poolId: string): Promise<boolean> {
  const row = await db.selectFrom('agent_pools').select('id').where('organization_id', '=', organizationId).where('id', '=', poolId).executeTakeFirst();
  return row !== undefined;
}

/** Deletes the organization; its teams, memberships, tokens and everything else go with it (ON DELETE CASCADE). */
export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
