import type { Db } from '../db/database.js';

/** Team seats (team-members.mdx). A seat of a user whose organization membership is only invited grants nothing yet. */

/** A user who may be given a seat: found by username or id, with their membership of the organization if any. */
export interface Candidate {
  /** The reference as the request gave it. */
  ref: string;
  userId: string;
  membershipStatus: string | null;
}

/** Users by username or user id (go-tfe sends usernames as the `users` ids), with their standing in the organization. */
export async function findUsers(db: Db, organizationId: string, refs: readonly string[]): Promise<Candidate[]> {
  if (refs.length === 0) return [];
  const rows = await db
    .selectFrom('users as u')
    .leftJoin('organization_memberships as m', (join) => join.onRef('m.user_id', '=', 'u.id').on('m.organization_id', '=', organizationId))
    .select(['u.id', 'u.username', 'm.status'])
    .where((eb) => eb.or([eb('u.username', 'in', refs), eb('u.id', 'in', refs)]))
    .execute();
  return refs.flatMap((ref) => {
    const row = rows.find((r) => r.username === ref || r.id === ref);
    return row ? [{ ref, userId: row.id, membershipStatus: row.status }] : [];
  });
}

/** Memberships of the organization by id, invited or active. */
export async function findMemberships(db: Db, organizationId: string, ids: readonly string[]): Promise<Candidate[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('organization_memberships')
    .select(['id', 'user_id', 'status'])
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute();
  return ids.flatMap((ref) => {
    const row = rows.find((r) => r.id === ref);
    return row ? [{ ref, userId: row.user_id, membershipStatus: row.status }] : [];
  });
}

export async function seatedUserIds(db: Db, teamId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('team_memberships').select('user_id').where('team_id', '=', teamId).where('user_id', 'in', userIds).execute();
  return rows.map((r) => r.user_id);
}

export async function addSeats(db: Db, teamId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .insertInto('team_memberships')
    .values(userIds.map((userId) => ({ team_id: teamId, user_id: userId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeSeats(db: Db, teamId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.deleteFrom('team_memberships').where('team_id', '=', teamId).where('user_id', 'in', userIds).execute();
}

/**
 * The organization's owners: active members with a seat in the owners team. Locks the owners team
 * row first, so that two removals running at once cannot each see the other owner and leave none.
 */
export async function lockOwnerIds(db: Db, organizationId: string): Promise<string[]> {
  await db.selectFrom('teams').select('id').where('organization_id', '=', organizationId).where('is_owners', '=', true).forUpdate().execute();
  const rows = await db
    .selectFrom('team_memberships as tm')
    .innerJoin('teams as t', 't.id', 'tm.team_id')
    .innerJoin('organization_memberships as m', (join) => join.onRef('m.user_id', '=', 'tm.user_id').onRef('m.organization_id', '=', 't.organization_id'))
    .select('tm.user_id')
    .where('t.organization_id', '=', organizationId)
    .where('t.is_owners', '=', true)
    .where('m.status', '=', 'active')
    .execute();
  return rows.map((r) => r.user_id);
}
