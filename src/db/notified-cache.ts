import type { Database } from './database.js';

/**
 * A process-wide cache of what read requests would otherwise query again and again (token → subject,
 * a caller's grants, a workspace's row). Every such cache is emptied
 * - by this process at the end of every API request that may write and after an admin command
 *   (`clearNotifiedCaches`), so the next request here sees the change;
 * - on every replica when the database reports a change to a table its values are read from: a
 *   trigger NOTIFYs the cache's channel, whichever replica, job or `terrace` command wrote;
 * - and each entry after `ttlMs` regardless, which bounds staleness should a notification be lost.
 */
export class NotifiedCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>();

  constructor(
    /** The channel the database's triggers NOTIFY. */
    readonly channel: string,
    private readonly ttlMs: number,
    /** Beyond this many entries the cache starts over rather than grow without bound. */
    private readonly maxEntries: number,
  ) {
    caches.push(this);
  }

  /**
   * The cached result of `load` under `key`, loading it when absent or expired. Failed loads are not
   * kept. Keys must name everything the value depends on (the token, the subject, the organization).
   */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const found = this.entries.get(key);
    if (found && found.expiresAt > now) return found.value as Promise<T>;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

const caches: NotifiedCache[] = [];

/** Empties every cache of this process: after a write here, whose notification reaches it only later. */
export function clearNotifiedCaches(): void {
  for (const cache of caches) cache.clear();
}

/** Empties each cache whenever any replica changes what it holds; returns the unlisten function. */
export async function listenForChanges(database: Database): Promise<() => Promise<void>> {
  const unlisten: (() => Promise<void>)[] = [];
  // One at a time: PGlite runs each LISTEN on its one connection.
  for (const cache of caches) unlisten.push(await database.listen(cache.channel, () => cache.clear()));
  return async () => {
    await Promise.all(unlisten.map((stop) => stop()));
  };
}
