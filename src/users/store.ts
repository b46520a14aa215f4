import type { Db } from '../db/database.js';
import type { UserRow } from '../db/schema.js';

export interface User {
  id: string;
  username: string;
  email: string;
  isSiteAdmin: boolean;
  isServiceAccount: boolean;
  hasPassword: boolean;
  createdAt: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    isSiteAdmin: row.is_site_admin,
    isServiceAccount: row.is_service_account,
    hasPassword: row.password_hash !== null,
    createdAt: row.created_at,
  };
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
