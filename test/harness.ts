import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { Client } from 'pg';
import { Agent, fetch, request } from 'undici';
import { buildApp } from '../src/app.js';
import type { BlobStore } from '../src/blobs/blob-store.js';
import { openConfiguredBlobStore } from '../src/blobs/open.js';
import { type Config, loadConfig } from '../src/config.js';
import { createPglite, type Database, type Db, openPglite, openPostgres, pgliteDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { listenForChanges } from '../src/db/notified-cache.js';
import { JOB_HANDLERS } from '../src/jobs.js';
import { LOG_OPTIONS } from '../src/logging.js';
import { QueueWorker } from '../src/queue/worker.js';
import { LocalAgents } from '../src/runner/local-agents.js';
import { listenForRuns, type WaitForRuns } from '../src/agent-protocol/wakeups.js';
import { startRunReaper } from '../src/runs/reaper.js';
import { randomBase58 } from '../src/ids.js';
import { loadTlsMaterial } from '../src/tls.js';
import { ensureSiteAdmin, SITE_ADMIN_USERNAME } from '../src/users/bootstrap.js';
import { findById, findByUsername } from '../src/users/store.js';
import { eventually } from './fixtures.js';
import { type PostgresServer, startPostgres } from './postgres-server.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** Set by test/run-tests.ts: a PostgreSQL server URL whose `terrace_template` database is migrated. */
export const PG_URL_ENV = 'TERRACE_TEST_PG_URL';
export const PG_TEMPLATE = 'terrace_template';
/** Set by test/run-tests.ts: a file holding a migrated PGlite data directory (a `dumpDataDir` tarball). */
export const PGLITE_TEMPLATE_ENV = 'TERRACE_TEST_PGLITE_TEMPLATE';

/** Set by test/run-tests.ts on a job that runs a file's suites against one database only. */
export const TEST_DATABASE_ENV = 'TERRACE_TEST_DATABASE';

/** The databases this run covers: the job's one, or both when the runner started PostgreSQL, else PGlite only. */
export function testDatabases(): DatabaseKind[] {
  const only = process.env[TEST_DATABASE_ENV];
  if (only === 'pglite' || only === 'postgres') return [only];
  return process.env[PG_URL_ENV] ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * Runs `suite` once per database, each inside its own describe block with a fresh server.
 * @example forEachDatabase('organizations', (t) => { it('lists', async () => { await t.api('GET', '/api/v2/organizations', { token: t.adminToken }) }) })
 */
export function forEachDatabase(name: string, suite: (server: TestServer) => void, options: TestServerOptions = {}): void {
  for (const kind of testDatabases()) {
    describe(`${name} [${kind}]`, () => {
      const server = new TestServer(kind, options);
      before(() => server.start());
      after(() => server.stop());
      suite(server);
    });
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throw-away PostgreSQL server whose `terrace_template` database is migrated: set
 * PG_URL_ENV to its `socketUrl` and TestServer('postgres') copies the template for each server.
 */
export async function startTemplatePostgres(): Promise<PostgresServer> {
  const server = startPostgres(await freePort());
  try {
    const admin = new Client({ connectionString: server.socketUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${PG_TEMPLATE}`);
    await admin.end();
    const templateUrl = new URL(server.socketUrl);
    templateUrl.pathname = `/${PG_TEMPLATE}`;
    const template = openPostgres(templateUrl.toString(), 1);
    await migrateToLatest(template.db);
    await template.close();
    return server;
  } catch (err) {
    server.stop();
    throw err;
  }
}

/**
 * Writes a migrated PGlite data directory to `file`: each PGlite test server loads it instead of
 * running initdb and the migrations again (about 2 s less per server). The servers use only the
 * `postgres` database, so the two template databases initdb makes are dropped, and a checkpoint
 * leaves nothing to replay: the dump is a third smaller and each load about 0.1 s of CPU cheaper.
 */
export async function writePgliteTemplate(file: string): Promise<void> {
  const database = await openPglite();
  try {
    await migrateToLatest(database.db);
    for (const unused of ['template0', 'template1']) {
      await sql.raw(`ALTER DATABASE ${unused} IS_TEMPLATE false`).execute(database.db);
      await sql.raw(`DROP DATABASE ${unused}`).execute(database.db);
    }
    await sql`CHECKPOINT`.execute(database.db);
    writeFileSync(file, Buffer.from(await (await database.dumpDataDir()).arrayBuffer()));
  } finally {
    await database.close();
  }
}

let pgliteTemplateBytes: ArrayBuffer | undefined;

/**
 * The run's migrated PGlite template, read once per process. PGlite reads a dump only through
 * `arrayBuffer()`, and a Node Blob of 40 MB costs a third of a test server's start to build and
 * read back (it copies in small chunks): this one hands over the bytes it holds, which PGlite
 * copies into its own file system and never writes.
 */
function pgliteTemplate(file: string): Blob {
  if (!pgliteTemplateBytes) {
    const bytes = readFileSync(file);
    pgliteTemplateBytes = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  const bytes = pgliteTemplateBytes;
  return { type: 'application/x-tar', arrayBuffer: async () => bytes } as Blob;
}

/**
 * Engines of this process's stopped test servers, emptied back to the template's state for the next:
 * loading the template into a new engine costs 0.3 s of CPU, emptying one about 0.07 s.
 */
const idleEngines: PGlite[] = [];
// An open engine keeps the process alive: the last are closed once the process's tests have run.
after(async () => {
  await Promise.all(idleEngines.splice(0).map((engine) => engine.close()));
});

/** The template's tables, columns, indexes and recorded migrations, to tell an engine still like it. */
const SCHEMA_SHAPE = `select md5(
  (select string_agg(table_name || '.' || column_name || ':' || data_type, ',' order by table_name, column_name) from information_schema.columns where table_schema = 'public')
  || (select string_agg(indexdef, ',' order by indexdef) from pg_indexes where schemaname = 'public')
  || (select string_agg(name, ',' order by name) from kysely_migration)) as shape`;
let templateShape: string | undefined;
/** The template's tables but the migrations' own, as a TRUNCATE lists them. */
let templateTables: string | undefined;

async function tablesToEmpty(engine: PGlite): Promise<string> {
  const { rows } = await engine.query<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables where schemaname = 'public' and tablename not like 'kysely_migration%'`,
  );
  return rows.map((row) => row.name).join(', ');
}

async function schemaShape(engine: PGlite): Promise<string | undefined> {
  return (await engine.query<{ shape: string }>(SCHEMA_SHAPE)).rows[0]?.shape;
}

/**
 * Empties a stopped server's engine for the next one: every table but the migrations' truncated,
 * what it still listened to unlistened, the session's prepared statements and locks discarded. One whose schema a test changed,
 * or that will not empty, is closed instead.
 */
async function releaseEngine(engine: PGlite): Promise<void> {
  try {
    // The template's tables: one of an engine whose schema a test changed fails here or at the shape check below.
    await engine.exec(`TRUNCATE ${templateTables} RESTART IDENTITY CASCADE`);
    // Through PGlite, so that it also forgets the stopped server's callbacks.
    const listening = await engine.query<{ channel: string }>('select pg_listening_channels() as channel');
    for (const { channel } of listening.rows) await engine.unlisten(channel);
    await engine.exec('DISCARD ALL');
    if ((await schemaShape(engine)) === templateShape) return void idleEngines.push(engine);
  } catch {
    // Closed below.
  }
  await engine.close();
}

/** A fresh in-memory PGlite database, from the run's migrated template when there is one. */
export async function createPgliteDatabase(): Promise<Database> {
  const template = process.env[PGLITE_TEMPLATE_ENV];
  if (!template) {
    const database = await openPglite();
    await migrateToLatest(database.db);
    return database;
  }
  let engine = idleEngines.pop();
  if (!engine) {
    engine = await createPglite({ loadDataDir: pgliteTemplate(template) });
    templateShape ??= await schemaShape(engine);
    templateTables ??= await tablesToEmpty(engine);
  }
  const database = pgliteDatabase(engine, releaseEngine);
  // A no-op on the template (every migration is recorded); a stale template file fails here, not later.
  await migrateToLatest(database.db);
  return database;
}

/** A fresh PostgreSQL database copied from the migrated template. */
export async function createPostgresDatabase(): Promise<{ database: Database; url: string; drop: () => Promise<void> }> {
  const url = process.env[PG_URL_ENV] as string;
  const name = `t_${randomBase58(12).toLowerCase()}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    // A file copy: PostgreSQL 15's default (WAL_LOG) writes every block of the copy to the WAL, 30–80 ms a database here against 22.
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${PG_TEMPLATE} STRATEGY = FILE_COPY`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const database = openPostgres(dbUrl.toString(), 5);
  return {
    database,
    url: dbUrl.toString(),
    drop: async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServerOptions {
  /** Settings (as environment variables) on top of the test defaults. */
  env?: Record<string, string>;
  /** The public host name, with the server's port: registry addresses need one with a dot (default localhost). */
  publicHost?: string;
  now?: () => Date;
  /** Receives the server's JSON log lines (logging is off without it). */
  logStream?: { write(line: string): void };
  /** The database handle the HTTP app queries through, e.g. with a plugin that counts statements. */
  appDb?: (db: Db) => Db;
}

/** The job queue's retry backoff unit in tests: 2^attempts of these, not of seconds, so a retried delivery takes a second, not a quarter minute. */
export const TEST_JOB_BACKOFF_UNIT_MS = 100;

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A response's headers as fetch gives them (repeated ones, such as set-cookie, each kept). */
function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  return headers;
}

/** A real Terrace over HTTPS on a random port, with its own database and data directory. */
export class TestServer {
  app!: FastifyInstance;
  database!: Database;
  config!: Config;
  /** `https://localhost:<port>` */
  url = '';
  /** `localhost:<port>`: the host the CLI addresses. */
  hostname = '';
  /** The site admin's token (TERRACE_ADMIN_TOKEN). */
  readonly adminToken = `admin-${randomBase58(40)}`;
  /** The first-start token of the `admin` user. */
  bootstrapToken = '';
  adminUserId = '';
  dataDir = '';
  caFile = '';
  blobs!: BlobStore;
  /** Runs background jobs as `terrace serve` does. */
  worker!: QueueWorker;
  /** Runs plans and applies with the real terraform; idle unless TERRACE_RUNNER_SLOTS is set (tests drive runs by hand by default). */
  runner!: LocalAgents;
  private stopReaper: () => void = () => {};
  private stopCacheChanges: () => Promise<void> = async () => {};
  /** As `terrace serve` does: an agent's long poll wakes on the NOTIFY of a queued run, not on its next look. */
  private runWakeups!: { wait: WaitForRuns; close: () => Promise<void> };
  private agent!: Agent;
  private dropDatabase: () => Promise<void> = async () => {};

  constructor(
    readonly kind: DatabaseKind,
    private readonly options: TestServerOptions = {},
  ) {}

  async start(): Promise<void> {
    this.dataDir = mkdtempSync(join(tmpdir(), 'terrace-test-'));
    if (this.kind === 'postgres') {
      const pg = await createPostgresDatabase();
      this.database = pg.database;
      this.dropDatabase = pg.drop;
    } else {
      this.database = await createPgliteDatabase();
    }
    this.bootstrapToken = (await ensureSiteAdmin(this.database.db)) ?? '';
    this.adminUserId = (await findByUsername(this.database.db, SITE_ADMIN_USERNAME))?.id ?? '';

    const port = await freePort();
    this.config = loadConfig({
      TERRACE_DATA_DIR: this.dataDir,
      TERRACE_ADMIN_TOKEN: this.adminToken,
      TERRACE_RATE_LIMIT: '100000',
      TERRACE_PORT: String(port),
      TERRACE_RUNNER_SLOTS: '0',
      // As in production: with PostgreSQL, blobs live in the database too (replicas share them).
      TERRACE_BLOB_STORE: this.kind === 'postgres' ? 'postgres' : 'filesystem',
      ...(this.options.publicHost ? { TERRACE_HOSTNAME: `${this.options.publicHost}:${port}` } : {}),
      ...this.options.env,
    });
    this.hostname = this.config.hostname;
    this.url = `https://${this.hostname}`;
    const tls = loadTlsMaterial(this.config);
    this.caFile = tls.caFile as string;
    this.agent = new Agent({ connect: { ca: readFileSync(this.caFile) } });
    this.blobs = openConfiguredBlobStore(this.config, this.database);
    await this.startWorker();
    this.stopReaper = await startRunReaper(this.adminCtx());
    this.stopCacheChanges = await listenForChanges(this.database);
    this.runWakeups = await listenForRuns(this.database);
    this.port = port;
    this.tls = tls;
    await this.startApp();
  }

  private port = 0;
  private tls!: { key: string; cert: string };

  /** A new job queue worker, as a restarted server starts one: jobs queued meanwhile wait in the database for it. */
  async startWorker(): Promise<void> {
    this.worker = new QueueWorker({
      database: this.database,
      handlers: JOB_HANDLERS,
      context: { ...this.adminCtx() },
      backoffUnitMs: TEST_JOB_BACKOFF_UNIT_MS,
    });
    await this.worker.start();
  }

  /** The HTTPS server and the built-in runner, as `terrace serve` starts them after the database. */
  private async startApp(): Promise<void> {
    this.app = await buildApp({
      db: this.options.appDb?.(this.database.db) ?? this.database.db,
      config: this.config,
      blobs: this.blobs,
      now: this.options.now,
      agents: { caCertificate: readFileSync(this.caFile, 'utf8'), waitForRuns: this.runWakeups.wait },
      poolStats: this.database.poolStats,
      server: {
        https: { key: this.tls.key, cert: this.tls.cert },
        logger: this.options.logStream ? { level: 'debug', stream: this.options.logStream, ...LOG_OPTIONS } : false,
      },
    });
    await this.app.listen({ host: '127.0.0.1', port: this.port });
    this.runner = new LocalAgents({ ...this.adminCtx(), caCertificate: readFileSync(this.caFile, 'utf8') });
    await this.runner.start();
  }

  /** Stops serving for `downMs` and starts again on the same port and database: a server restart as agents see it. */
  async restartApp(downMs: number): Promise<void> {
    await this.runner.stop();
    await this.app.close();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startApp();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    await this.app?.close();
    this.stopReaper();
    await this.stopCacheChanges();
    await this.runWakeups?.close();
    await this.worker?.stop();
    await this.agent?.close();
    await this.database?.close();
    await this.dropDatabase();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Waits until no job of `kind` about `runId` is queued or running: a job leaves the table once done (src/queue). */
  async jobsDone(kind: string, runId: string): Promise<void> {
    const waiting = () =>
      this.database.db
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', kind)
        .where('failed_at', 'is', null)
        .where(sql<string>`payload->>'runId'`, '=', runId)
        .executeTakeFirst();
    await eventually(waiting, (job) => job === undefined, `${kind} jobs of ${runId} done`, { timeoutMs: 30_000, intervalMs: 50 });
  }

  /**
   * One HTTPS request. `body` objects are sent as JSON:API; strings are sent as they are.
   * @example const res = await server.api('POST', '/api/v2/organizations', { token, body: { data: { type: 'organizations', attributes: { name: 'acme' } } } })
   */
  async api<T = any>(
    method: string,
    path: string,
    options: { token?: string | undefined; body?: unknown; headers?: Record<string, string>; redirect?: 'manual' | 'follow' } = {},
  ): Promise<ApiResponse<T>> {
    // A change a test wrote to the database directly reaches the server's caches first, as it would in time.
    await this.database.deliverNotifications();
    const headers: Record<string, string> = { accept: 'application/vnd.api+json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/vnd.api+json';
    }
    const url = new URL(path, this.url);
    // undici's request costs client and server together a third less CPU per call than fetch (its
    // WHATWG streams and headers); fetch only where a test follows a redirect, as a client of a signed URL does.
    const res =
      options.redirect === 'follow'
        ? await fetch(url, { method, headers, body, dispatcher: this.agent }).then(async (r) => ({
            status: r.status,
            headers: r.headers,
            text: await r.text(),
          }))
        : await request(url, { method, headers, body, dispatcher: this.agent }).then(async (r) => ({
            status: r.statusCode,
            headers: responseHeaders(r.headers),
            text: await r.body.text(),
          }));
    const text = res.text;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: leave the text
    }
    return { status: res.status, headers: res.headers as unknown as Headers, body: parsed as T, text };
  }

  /**
   * Creates a user (as site admin) and a user token for it. The user has a password only when given
   * one: hashing it costs 36 ms of CPU, wasted on the many users that only call the API.
   */
  async createUser(options: { username?: string; email?: string; password?: string } = {}): Promise<{ id: string; username: string; token: string }> {
    const { createUser, createUserToken } = await import('../src/users/service.js');
    const { username = `u${randomBase58(8).toLowerCase()}`, password } = options;
    const ctx = this.adminCtx();
    const user = await createUser(ctx, { username, email: options.email ?? `${username}@example.com`, password });
    const { secret } = await createUserToken(ctx, user.id, { description: 'test' });
    return { id: user.id, username: user.username, token: secret };
  }

  /** Gives a user created without one a password, e.g. a world's owner who signs in with it; returns their username. */
  async givePassword(userId: string, password: string): Promise<string> {
    const { setPassword } = await import('../src/users/service.js');
    const user = await findById(this.database.db, userId);
    assert.ok(user, `no user ${userId}`);
    await setPassword(this.adminCtx(), user.username, password);
    return user.username;
  }

  /** A service context acting as the site admin, for factories. */
  adminCtx() {
    return {
      db: this.database.db,
      subject: { kind: 'user' as const, userId: this.adminUserId, username: 'admin', isSiteAdmin: true, tokenId: null },
      log: { debug() {}, info() {}, warn() {}, error() {} },
      config: this.config,
      blobs: this.blobs,
      baseUrl: this.url,
      now: this.options.now ?? (() => new Date()),
      memo: new Map<string, unknown>(),
    };
  }
}
