import type { Db } from '../db/database.js';

/** A signed-in browser and the user it signs in. */
export interface WebSession {
  id: string;
  userId: string;
  username: string;
  isSiteAdmin: boolean;
  csrfToken: string;
  expiresAt: Date;
}

export interface NewWebSession {
  id: string;
  secretHash: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function insert(db: Db, session: NewWebSession): Promise<void> {
  await db
    .insertInto('web_sessions')
    .values({
      id: session.id,
      secret_hash: session.secretHash,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

/** The unexpired session whose secret hashes to `secretHash`, with its user. */
export async function findBySecretHash(db: Db, secretHash: string, now: Date): Promise<WebSession | undefined> {
  const row = await db
    .selectFrom('web_sessions')
    .innerJoin('users', 'users.id', 'web_sessions.user_id')
    .select(['web_sessions.id', 'web_sessions.user_id', 'web_sessions.csrf_token', 'web_sessions.expires_at', 'users.username', 'users.is_site_admin'])
    .where('web_sessions.secret_hash', '=', secretHash)
    .where('web_sessions.expires_at', '>', now)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      userId: row.user_id,
      username: row.username,
      isSiteAdmin: row.is_site_admin,
      csrfToken: row.csrf_token,
      expiresAt: row.expires_at,
    }
  );
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('id', '=', id).execute();
}

/** Sessions past their end stay until their user signs in again; then they go. */
export async function deleteExpiredForUser(db: Db, userId: string, now: Date): Promise<void> {
  await db.deleteFrom('web_sessions').where('user_id', '=', userId).where('expires_at', '<=', now).execute();
}

/** Every session of a user: a new password ends them all. */
export async function deleteAllForUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('user_id', '=', userId).execute();
}
