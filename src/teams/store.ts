import { teamVisibleTo } from './visibility.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { camelized, type RowOf, selectWithOrganizationName } from '../db/rows.js';

export type TeamVisibility = 'secret' | 'organization';

export interface Team {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  visibility: TeamVisibility;
  /** The organization's owners team: every permission, cannot be deleted (permissions.mdx "Organization Owners"). */
  isOwners: boolean;
  ssoTeamId: string | null;
  allowMemberTokenManagement: boolean;
  /** The stored `organization-access` flags, as written (see normalizeOrganizationAccess). */
  organizationAccess: Record<string, boolean>;
  /** Active members only: "Invited users who have not yet accepted will not appear" (teams.mdx). */
  usersCount: number;
  createdAt: Date;
}

/** The constraint that keeps team names unique in an organization. */
export const NAME_CONSTRAINT = 'teams_organization_name_key';

/** Team seats of users whose organization membership is active. */
function activeSeats(db: Db) {
  return db
    .selectFrom('team_memberships as tm')
    .innerJoin('teams as seat_team', 'seat_team.id', 'tm.team_id')
    .innerJoin('organization_memberships as m', (join) =>
      join.onRef('m.user_id', '=', 'tm.user_id').onRef('m.organization_id', '=', 'seat_team.organization_id'),
    )
    .where('m.status', '=', 'active');
}

function selectTeams(db: Db) {
  return selectWithOrganizationName(db, 'teams').select((eb) =>
    activeSeats(db)
      .select((c) => c.fn.countAll<number>().as('n'))
      .whereRef('tm.team_id', '=', eb.ref('teams.id'))
      .as('users_count'),
  );
}

function toTeam(row: RowOf<typeof selectTeams>): Team {
  return {
    ...camelized(row),
    visibility: row.visibility as TeamVisibility,
    organizationAccess: row.organization_access ?? {},
    usersCount: Number(row.users_count ?? 0),
  };
}

export async function findById(db: Db, id: string): Promise<Team | undefined> {
  const row = await selectTeams(db).where('teams.id', '=', id).executeTakeFirst();
  return row && toTeam(row);
}

/** Teams of one organization by id; unknown ids are left out. */
export async function findManyById(db: Db, organizationId: string, ids: readonly string[]): Promise<Team[]> {
  if (ids.length === 0) return [];
  const rows = await selectTeams(db).where('teams.organization_id', '=', organizationId).where('teams.id', 'in', ids).orderBy('teams.name').execute();
  return rows.map(toTeam);
}

export interface TeamFilter {
  /** `q`: name contains, ignoring case. */
  search?: string | undefined;
  /** `filter[names]`: any of these names. */
  names?: readonly string[] | undefined;
  /** Only teams visible to a caller without access to secret teams: visible ones and these. */
  visibleWithSecret?: readonly string[] | undefined;
}

function filtered(db: Db, organizationId: string, filter: TeamFilter) {
  let query = selectTeams(db).where('teams.organization_id', '=', organizationId);
  if (filter.search !== undefined) query = query.where('teams.name', 'ilike', `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (filter.names !== undefined) query = filter.names.length === 0 ? query.where(sql<boolean>`false`) : query.where('teams.name', 'in', filter.names);
  if (filter.visibleWithSecret !== undefined) query = query.where(teamVisibleTo('teams', filter.visibleWithSecret));
  return query;
}

export async function selectPage(db: Db, organizationId: string, filter: TeamFilter, window: PageWindow): Promise<{ teams: Team[]; total: number }> {
  const { rows, total } = await pageAndTotal(filtered(db, organizationId, filter).orderBy(sql`teams.name collate "C"`).orderBy('teams.id'), window);
  return { teams: rows.map(toTeam), total };
}

export interface TeamSettings {
  name: string;
  visibility: TeamVisibility;
  ssoTeamId: string | null;
  allowMemberTokenManagement: boolean;
  organizationAccess: Record<string, boolean>;
}

export async function insert(db: Db, team: { id: string; organizationId: string; now: Date } & TeamSettings): Promise<void> {
  await db
    .insertInto('teams')
    .values({
      id: team.id,
      organization_id: team.organizationId,
      name: team.name,
      visibility: team.visibility,
      sso_team_id: team.ssoTeamId,
      allow_member_token_management: team.allowMemberTokenManagement,
      organization_access: JSON.stringify(team.organizationAccess),
      created_at: team.now,
    })
    .execute();
}

export async function update(db: Db, id: string, settings: TeamSettings): Promise<boolean> {
  const result = await db
    .updateTable('teams')
    .set({
      name: settings.name,
      visibility: settings.visibility,
      sso_team_id: settings.ssoTeamId,
      allow_member_token_management: settings.allowMemberTokenManagement,
      organization_access: JSON.stringify(settings.organizationAccess),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('teams').where('id', '=', id).where('is_owners', '=', false).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Each team's active members: user ids and organization membership ids, by username. */
export async function activeMembers(db: Db, teamIds: readonly string[]): Promise<Map<string, { userIds: string[]; membershipIds: string[] }>> {
  const result = new Map<string, { userIds: string[]; membershipIds: string[] }>();
  if (teamIds.length === 0) return result;
  const rows = await activeSeats(db)
    .innerJoin('users as u', 'u.id', 'tm.user_id')
    .select(['tm.team_id', 'tm.user_id', 'm.id as membership_id'])
    .where('tm.team_id', 'in', teamIds)
    .orderBy('u.username')
    .execute();
  for (const row of rows) {
    const entry = result.get(row.team_id) ?? { userIds: [], membershipIds: [] };
    entry.userIds.push(row.user_id);
    entry.membershipIds.push(row.membership_id);
    result.set(row.team_id, entry);
  }
  return result;
}
