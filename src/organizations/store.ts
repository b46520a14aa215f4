import type { Db } from '../db/database.js';
import type { OrganizationRow } from '../db/schema.js';

export interface Organization {
  id: string;
  name: string;
  email: string;
  /** Documented settings by wire name (`session-timeout`, `default-execution-mode`, …). */
  settings: Record<string, unknown>;
  createdAt: Date;
}

function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, email: row.email, settings: row.settings, createdAt: row.created_at };
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
  const row = await db.selectFrom('organizations').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toOrganization(row);
}

export async function findById(db: Db, id: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toOrganization(row);
}

/** Makes `userId` the founder of a new organization: the owners team with them in it, and their active membership. */
export async function insertFounder(db: Db, ids: { teamId: string; membershipId: string; organizationId: string; userId: string }): Promise<void> {
  await db.insertInto('teams').values({ id: ids.teamId, organization_id: ids.organizationId, name: 'owners', visibility: 'organization', is_owners: true }).execute();
  await db.insertInto('team_memberships').values({ team_id: ids.teamId, user_id: ids.userId }).execute();
  await db.insertInto('organization_memberships').values({ id: ids.membershipId, organization_id: ids.organizationId, user_id: ids.userId, status: 'active' }).execute();
}
