import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { camelized, type RowOf } from '../db/rows.js';

export type MembershipStatus = 'invited' | 'active';

export interface Membership {
  id: string;
  organizationId: string;
  organizationName: string;
  userId: string;
  /** The user's email address: the membership's `email` attribute. */
  email: string;
  status: MembershipStatus;
  createdAt: Date;
}

export interface MembershipFilter {
  organizationId?: string;
  userId?: string;
  /** `q`: username or email contains, ignoring case. */
  search?: string;
  /** `filter[email]`: any of these addresses, ignoring case. */
  emails?: string[];
  status?: MembershipStatus;
  /** Members of this team (a seat in it), invited or active. */
  teamId?: string;
  /** `filter[is_service_account]`: only service accounts, or only people. */
  isServiceAccount?: boolean;
}

/** The order of a list: by creation (the default), or by status first. */
export type MembershipOrder = 'created' | 'status' | '-status';

function selectMemberships(db: Db) {
  return db
    .selectFrom('organization_memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.id', 'm.organization_id', 'o.name as organization_name', 'm.user_id', 'u.email', 'm.status', 'm.created_at']);
}

function toMembership(row: RowOf<typeof selectMemberships>): Membership {
  return { ...camelized(row), status: row.status as MembershipStatus };
}

function filtered(db: Db, filter: MembershipFilter) {
  let query = selectMemberships(db);
  if (filter.organizationId !== undefined) query = query.where('m.organization_id', '=', filter.organizationId);
  if (filter.userId !== undefined) query = query.where('m.user_id', '=', filter.userId);
  if (filter.status !== undefined) query = query.where('m.status', '=', filter.status);
  if (filter.isServiceAccount !== undefined) query = query.where('u.is_service_account', '=', filter.isServiceAccount);
  const teamId = filter.teamId;
  if (teamId !== undefined) {
    query = query.where(({ exists, selectFrom }) =>
      exists(selectFrom('team_memberships as tm').select('tm.user_id').where('tm.team_id', '=', teamId).whereRef('tm.user_id', '=', 'm.user_id')),
    );
  }
  if (filter.emails !== undefined)
    query = query.where(
      sql<string>`lower(u.email)`,
      'in',
      filter.emails.map((e) => e.toLowerCase()),
    );
  if (filter.search !== undefined) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('u.username', 'ilike', pattern), eb('u.email', 'ilike', pattern)]));
  }
  return query;
}

export async function insert(db: Db, membership: { id: string; organizationId: string; userId: string; status: MembershipStatus }): Promise<void> {
  await db
    .insertInto('organization_memberships')
    .values({ id: membership.id, organization_id: membership.organizationId, user_id: membership.userId, status: membership.status })
    .execute();
}

export async function findById(db: Db, id: string): Promise<Membership | undefined> {
  const row = await selectMemberships(db).where('m.id', '=', id).executeTakeFirst();
  return row && toMembership(row);
}

/** A user's memberships waiting for their answer, oldest first. */
export async function invitationsOf(db: Db, userId: string): Promise<Membership[]> {
  const rows = await selectMemberships(db).where('m.user_id', '=', userId).where('m.status', '=', 'invited').orderBy('m.created_at').orderBy('m.id').execute();
  return rows.map(toMembership);
}

/** The invited membership `id` of `userId`, locked for the answer; undefined when there is none. */
export async function findInvitationForUpdate(db: Db, id: string, userId: string): Promise<Membership | undefined> {
  const row = await selectMemberships(db)
    .where('m.id', '=', id)
    .where('m.user_id', '=', userId)
    .where('m.status', '=', 'invited')
    .forUpdate('m')
    .executeTakeFirst();
  return row && toMembership(row);
}

export async function activate(db: Db, id: string): Promise<void> {
  await db.updateTable('organization_memberships').set({ status: 'active' }).where('id', '=', id).execute();
}

export async function findManyById(db: Db, ids: readonly string[]): Promise<Membership[]> {
  if (ids.length === 0) return [];
  const rows = await selectMemberships(db).where('m.id', 'in', ids).orderBy('m.created_at').orderBy('m.id').execute();
  return rows.map(toMembership);
}

export async function selectPage(
  db: Db,
  filter: MembershipFilter,
  window: PageWindow,
  order: MembershipOrder = 'created',
): Promise<{ memberships: Membership[]; total: number }> {
  let query = filtered(db, filter);
  if (order !== 'created') query = query.orderBy('m.status', order === 'status' ? 'asc' : 'desc');
  const { rows, total } = await pageAndTotal(query.orderBy('m.created_at').orderBy('m.id'), window);
  return { memberships: rows.map(toMembership), total };
}

/** `meta.status-counts` of an organization's memberships. */
export async function statusCounts(db: Db, organizationId: string): Promise<{ total: number; active: number; invited: number }> {
  const rows = await db
    .selectFrom('organization_memberships')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('organization_id', '=', organizationId)
    .groupBy('status')
    .execute();
  const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { total: count('active') + count('invited'), active: count('active'), invited: count('invited') };
}

/** A team the member has a seat in. */
export interface Seat {
  teamId: string;
  visibility: string;
  isOwners: boolean;
}

/** The teams of the organization that each user is in, by team name, keyed by `organizationId/userId`. */
export async function seats(db: Db, memberships: readonly Membership[]): Promise<Map<string, Seat[]>> {
  const result = new Map<string, Seat[]>();
  if (memberships.length === 0) return result;
  const rows = await db
    .selectFrom('team_memberships as tm')
    .innerJoin('teams as t', 't.id', 'tm.team_id')
    .select(['t.id', 't.organization_id', 't.visibility', 't.is_owners', 'tm.user_id'])
    .where('tm.user_id', 'in', [...new Set(memberships.map((m) => m.userId))])
    .where('t.organization_id', 'in', [...new Set(memberships.map((m) => m.organizationId))])
    .orderBy('t.name')
    .execute();
  for (const row of rows) {
    const key = `${row.organization_id}/${row.user_id}`;
    result.set(key, [...(result.get(key) ?? []), { teamId: row.id, visibility: row.visibility, isOwners: row.is_owners }]);
  }
  return result;
}

/** The ids among `ids` that are teams of the organization. */
export async function existingTeamIds(db: Db, organizationId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('teams').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
  return rows.map((r) => r.id);
}

export async function addToTeams(db: Db, userId: string, teamIds: readonly string[]): Promise<void> {
  if (teamIds.length === 0) return;
  await db
    .insertInto('team_memberships')
    .values(teamIds.map((teamId) => ({ team_id: teamId, user_id: userId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Removes the membership and the user's seats in the organization's teams. */
export async function deleteWithTeamSeats(db: Db, membership: Membership): Promise<void> {
  await db
    .deleteFrom('team_memberships')
    .where('user_id', '=', membership.userId)
    .where('team_id', 'in', (eb) => eb.selectFrom('teams').select('id').where('organization_id', '=', membership.organizationId))
    .execute();
  await db.deleteFrom('organization_memberships').where('id', '=', membership.id).execute();
}

export async function findUserIdByEmail(db: Db, email: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('id').where(sql<string>`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
  return row?.id;
}
