import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { UserRow } from '../db/schema.js';
import { camelized } from '../db/rows.js';

export interface User {
  id: string;
  username: string;
  email: string;
  isSiteAdmin: boolean;
  isServiceAccount: boolean;
  hasPassword: boolean;
  createdAt: Date;
}

export function toUser({ password_hash, ...row }: UserRow): User {
  return { ...camelized(row), hasPassword: password_hash !== null };
}

export interface NewUser {
  id: string;
  username: string;
  email: string;
  passwordHash: string | null;
  isSiteAdmin: boolean;
}

export async function insert(db: Db, user: NewUser): Promise<User> {
  const row = await db
    .insertInto('users')
    .values({ id: user.id, username: user.username, email: user.email, password_hash: user.passwordHash, is_site_admin: user.isSiteAdmin })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toUser(row);
}

/** A stand-in user for an invited email that no user has (organization-memberships invite): no password, no sign-in. */
export async function insertInvitation(db: Db, user: { id: string; username: string; email: string }): Promise<void> {
  await db.insertInto('users').values({ id: user.id, username: user.username, email: user.email, password_hash: null, is_invitation: true }).execute();
}

/**
 * Makes the stand-in of an invited email the user being created (`user` keeps its id, so the
 * invitations already name it); undefined when no invitation waits for the email.
 */
export async function claimInvitation(db: Db, user: Omit<NewUser, 'id'>): Promise<User | undefined> {
  const row = await db
    .updateTable('users')
    .set({ username: user.username, email: user.email, password_hash: user.passwordHash, is_site_admin: user.isSiteAdmin, is_invitation: false })
    .where(sql`lower(email)`, '=', user.email.toLowerCase())
    .where('is_invitation', '=', true)
    .returningAll()
    .executeTakeFirst();
  return row && toUser(row);
}

/** Every user, by username; stand-ins of invited emails (is_invitation) are no users yet and left out. */
export async function listAll(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().where('is_invitation', '=', false).orderBy('username').execute();
  return rows.map(toUser);
}

export async function findById(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findByUsername(db: Db, username: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row && toUser(row);
}

/** The stored password hash, for sign-in and password changes only. */
export async function findPasswordHash(db: Db, id: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
  return row?.password_hash ?? null;
}

export interface UserChanges {
  username?: string | undefined;
  email?: string | undefined;
}

export async function update(db: Db, id: string, changes: UserChanges): Promise<User | undefined> {
  if (changes.username === undefined && changes.email === undefined) return findById(db, id);
  // Kysely leaves undefined values out of the SET list.
  const row = await db.updateTable('users').set({ username: changes.username, email: changes.email }).where('id', '=', id).returningAll().executeTakeFirst();
  return row && toUser(row);
}

export async function updatePasswordHash(db: Db, id: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
}

/**
 * Whom a caller may see: everyone (a site admin); themselves and the members (invited or active) of the
 * organizations where they are an active member (a user); the members of one organization (its team
 * and organization tokens).
 */
export type UserVisibility = { all: true } | { viewerId: string } | { organizationId: string };

/** The users with these ids that `visibility` lets the caller see, in one query; the others are left out. */
export async function findVisibleByIds(db: Db, ids: readonly string[], visibility: UserVisibility): Promise<User[]> {
  if (ids.length === 0) return [];
  const memberships = db.selectFrom('organization_memberships as member').select('member.user_id');
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', ids)
    .$call((q) => {
      if ('all' in visibility) return q;
      if ('organizationId' in visibility) return q.where('id', 'in', memberships.where('member.organization_id', '=', visibility.organizationId));
      const shared = memberships
        .innerJoin('organization_memberships as viewer', 'viewer.organization_id', 'member.organization_id')
        .where('viewer.user_id', '=', visibility.viewerId)
        .where('viewer.status', '=', 'active');
      return q.where((eb) => eb.or([eb('id', '=', visibility.viewerId), eb('id', 'in', shared)]));
    })
    .execute();
  return rows.map(toUser);
}
