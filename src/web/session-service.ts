import { randomBytes } from 'node:crypto';
import { sha256 } from '../auth/secrets.js';
import type { Subject } from '../auth/subject.js';
import type { Ctx } from '../context.js';
import { newId } from '../ids.js';
import { userWithPassword } from '../oauth/service.js';
import * as sessionStore from './session-store.js';

export type { WebSession } from './session-store.js';

/** How long a sign-in lasts: a working day, then the password again. */
export const SESSION_LIFETIME_MS = 12 * 3600_000;

/** A random secret for a cookie or a form: 256 bits, URL-safe. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Signs a user in with the password `terraform login` also takes (SignInError otherwise) and returns the
 * new session's secret, for the cookie; only its hash is stored.
 */
export async function signIn(ctx: Ctx, username: string, password: string): Promise<{ secret: string; expiresAt: Date }> {
  const user = await userWithPassword(ctx, username, password);
  const secret = randomSecret();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
  await sessionStore.deleteExpiredForUser(ctx.db, user.id, now);
  await sessionStore.insert(ctx.db, {
    id: newId('sess'),
    secretHash: sha256(secret),
    userId: user.id,
    csrfToken: randomSecret(),
    createdAt: now,
    expiresAt,
  });
  return { secret, expiresAt };
}

/** The live session a cookie's secret belongs to. */
export function resolve(ctx: Pick<Ctx, 'db' | 'now'>, secret: string): Promise<sessionStore.WebSession | undefined> {
  return sessionStore.findBySecretHash(ctx.db, sha256(secret), ctx.now());
}

/** Revokes the session: its cookie signs no one in any more. */
export async function signOut(ctx: Pick<Ctx, 'db'>, session: sessionStore.WebSession): Promise<void> {
  await sessionStore.deleteById(ctx.db, session.id);
}

/** The session's user, as the services see a caller: a password sign-in, not a token (tokenId null). */
export function subjectOf(session: sessionStore.WebSession): Subject {
  return { kind: 'user', userId: session.userId, username: session.username, isSiteAdmin: session.isSiteAdmin, tokenId: null };
}
