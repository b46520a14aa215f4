import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type BinaryCopy, pgliteCopy, postgresCopy } from './binary-copy.js';
import { pglitePool } from './pglite-pool.js';
import { preparingPool } from './prepared.js';
import type { DB } from './schema.js';

/**
 * Keeps a failed query's statement (its SQL with `$n` placeholders, never the parameters) on the error
 * as `query`, so the error log tells which statement failed on PostgreSQL as on PGlite (src/logging.ts).
 */
function recordStatement(event: LogEvent): void {
  if (event.level !== 'error' || typeof event.error !== 'object' || event.error === null) return;
  const error = event.error as { query?: unknown };
  error.query ??= event.query.sql;
}

export type Db = Kysely<DB>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /**
   * Calls `onNotify` for each NOTIFY on `channel` (from any replica) until the returned function is
   * called. Delivery is best effort: a listener must also poll. A lost PostgreSQL session is opened
   * again, and `onNotify` called once then for whatever was notified meanwhile.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Resolves once every NOTIFY committed before the call has reached this process's listeners:
   * PostgreSQL delivers them between a listening session's commands, so a round trip on each
   * flushes them (PGlite delivers them with the query that caused them).
   */
  deliverNotifications(): Promise<void>;
  /** Raw bytes in and out through binary COPY (the database blob store's chunks). */
  copy: BinaryCopy;
  /** The connection pool's use (PostgreSQL; PGlite has one connection and no pool). */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

// int8 (count(*), sums) as a JS number, as PGlite already returns it: our counts stay far below 2^53.
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')),
};

/** A lost LISTEN session is opened again after this long, doubling up to the maximum while it fails. */
const LISTEN_RETRY_FIRST_MS = 200;
const LISTEN_RETRY_MAX_MS = 10_000;

/** Opens a PostgreSQL server pool. */
export function openPostgres(url: string, max = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }), log: recordStatement });
  const listeners = new Set<pg.Client>();
  const listen = async (channel: string, onNotify: () => void) => {
    let stopped = false;
    let current: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    // LISTEN needs a session of its own: pooled connections are shared between queries.
    const connect = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      try {
        await client.connect();
        await client.query(`LISTEN "${channel}"`);
      } catch (err) {
        await client.end().catch(() => {});
        throw err;
      }
      if (stopped) return void (await client.end());
      current = client;
      listeners.add(client);
      // A lost session (PostgreSQL restarted, the backend terminated, the network cut) is opened again.
      client.once('end', () => {
        listeners.delete(client);
        if (!stopped) reconnect(LISTEN_RETRY_FIRST_MS);
      });
    };
    const reconnect = (delayMs: number) => {
      retry = setTimeout(() => {
        connect().then(
          // What was notified meanwhile is lost: the listener hears one notification for all of it.
          () => (stopped ? undefined : onNotify()),
          () => (stopped ? undefined : reconnect(Math.min(delayMs * 2, LISTEN_RETRY_MAX_MS))),
        );
      }, delayMs);
      retry.unref();
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      if (current) listeners.delete(current);
      await current?.end();
    };
  };
  // One round trip at a time per session (pg refuses overlapping queries on one client); each call waits for its own.
  let delivered = Promise.resolve();
  const deliverNotifications = () => {
    delivered = delivered
      .catch(() => {})
      .then(async () => {
        await Promise.all([...listeners].map((client) => client.query('SELECT 1')));
      });
    return delivered;
  };
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { db, kind: 'postgres', listen, deliverNotifications, copy: postgresCopy(pool), poolStats, close: () => db.destroy() };
}

/** An embedded database that can be copied whole: tests start from a migrated dump of one. */
export interface PgliteDatabase extends Database {
  dumpDataDir(): Promise<Blob>;
}

const PGLITE_SHARED_BUFFERS = '16MB';

/** The embedded PostgreSQL engine with Terrace's extension and settings: in `dataDir`, in memory when undefined, or from a dump. */
export async function createPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<PGlite> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  return PGlite.create({
    // The extensions the migrations create (0003: trigram index for workspace name search).
    extensions: { pg_trgm },
    // PostgreSQL's default 128 MB buffer pool lives in the WASM heap and is never given back; the
    // database files stay in the OS page cache anyway, so a small pool keeps the server's RSS low.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
}

/**
 * The database on an open engine. `close` ends the engine, or hands it to `release` (the tests
 * empty it for their next server, test/harness.ts).
 */
export function pgliteDatabase(pglite: PGlite, release: (pglite: PGlite) => Promise<void> = (engine) => engine.close()): PgliteDatabase {
  const pool = pglitePool(pglite);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: recordStatement });
  return {
    db,
    kind: 'pglite',
    copy: pgliteCopy(pglite, pool),
    // PGlite runs LISTEN on its one connection: call this before any transaction can be open.
    listen: (channel, onNotify) => pglite.listen(channel, () => onNotify()),
    deliverNotifications: async () => {},
    dumpDataDir: async () => (await pglite.dumpDataDir('none')) as Blob,
    close: async () => {
      await db.destroy();
      await release(pglite);
    },
  };
}

/** Opens an embedded PGlite database: in `dataDir`, in memory when undefined, or from a dump. */
export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<PgliteDatabase> {
  return pgliteDatabase(await createPglite(options));
}

/** The configured database: `databaseUrl` when set, else PGlite under `<dataDir>/pglite`. */
export function openConfiguredDatabase(config: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  return config.databaseUrl ? Promise.resolve(openPostgres(config.databaseUrl)) : openPglite({ dataDir: join(config.dataDir, 'pglite') });
}
