import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * Presents one PGlite instance as the `pg.Pool` that Kysely's PostgresDialect expects.
 * PGlite has a single connection, so `connect()` hands it out to one holder at a time:
 * a transaction keeps it until commit, and any query on the outer handle waits meanwhile.
 */
export function pglitePool(pglite: PGlite): PostgresPool {
  let queue: Promise<void> = Promise.resolve();
  const client = (release: () => void): PostgresPoolClient => ({
    query: (async (sql: string, parameters: readonly unknown[]) => pglite.query(sql, parameters as unknown[])) as any,
    release,
  });
  return {
    async connect() {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const previous = queue;
      queue = previous.then(() => held);
      await previous;
      return client(release);
    },
    async end() {
      await queue;
    },
  };
}
