import type { Database } from '../db/database.js';

/**
 * A process-wide cache of what authentication and permission checks read (token → subject, a
 * caller's role and teams in an organization, their grants), so that a read request does not
 * repeat those queries. It is emptied
 * - by this process at the end of every API request that may write (src/app.ts), so a change is
 *   seen by the next request here;
 * - on every replica when the database reports a change to a table these lookups read (migration
 *   0016's triggers NOTIFY AUTH_CHANNEL), from any replica, job or `terrace` command;
 * - and each entry after TTL_MS regardless, which bounds staleness should a notification be lost.
 */

export const AUTH_CHANNEL = 'terrace_auth';

const TTL_MS = 10_000;
/** Beyond this many entries the cache starts over rather than grow without bound. */
const MAX_ENTRIES = 50_000;

const entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>();

/**
 * The cached result of `load` under `key`, loading it when absent or expired. Failed loads are not
 * kept. Keys must name everything the value depends on (the token, the subject, the organization).
 */
export function cachedAuth<T>(key: string, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const found = entries.get(key);
  if (found && found.expiresAt > now) return found.value as Promise<T>;
  if (entries.size >= MAX_ENTRIES) entries.clear();
  const value = load();
  entries.set(key, { value, expiresAt: now + TTL_MS });
  value.catch(() => {
    if (entries.get(key)?.value === value) entries.delete(key);
  });
  return value;
}

/** Forgets one cached lookup. */
export function forgetAuth(key: string): void {
  entries.delete(key);
}

/** Forgets every cached lookup (in this process). */
export function clearAuthCache(): void {
  entries.clear();
}

/** Empties the cache whenever any replica changes what it holds; returns the unlisten function. */
export function listenForAuthChanges(database: Database): Promise<() => Promise<void>> {
  return database.listen(AUTH_CHANNEL, clearAuthCache);
}
