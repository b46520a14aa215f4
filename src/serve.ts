import { scheduleSweep } from './data-retention-policies/sweep-job.js';
import { readFileSync } from 'node:fs';
import { runAdminCommand, siteAdminContext } from './admin/commands.js';
import { listenAdminSocket } from './admin/socket.js';
import { listenForRuns } from './agent-protocol/wakeups.js';
import { buildApp } from './app.js';
import { openConfiguredBlobStore } from './blobs/open.js';
import { assertInstallationKey } from './secrets/service.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Config } from './config.js';
import { openConfiguredDatabase } from './db/database.js';
import { makeNonDumpable, protectDataDir } from './hardening.js';
import { migrateToLatest } from './db/migrate.js';
import { clearNotifiedCaches, listenForChanges } from './db/notified-cache.js';
import { JOB_HANDLERS } from './jobs.js';
import { LOG_OPTIONS } from './logging.js';
import { QueueWorker } from './queue/worker.js';
import { LocalAgents } from './runner/local-agents.js';
import * as runToken from './runner/run-token.js';
import { describeIsolation } from './runner/sandbox.js';
import { startRunReaper } from './runs/reaper.js';
import { loadTlsMaterial } from './tls.js';
import { ensureSiteAdmin } from './users/bootstrap.js';

/** `terrace serve`: open and migrate the database, make sure the admin exists, serve HTTPS until a signal. */
const BLOB_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export async function serve(config: Config, out: (line: string) => void): Promise<void> {
  // Before anything secret is read: runs execute as other users (docs/design.md "Trust boundary").
  const nonDumpable = makeNonDumpable();
  // One server per data directory: its embedded database, blobs and keys are this process's alone.
  const releaseDataDir = lockDataDir(config.dataDir, 'serve');
  const tls = loadTlsMaterial(config);
  await protectDataDir(config.dataDir);
  // Since the process started (performance's time origin).
  const seconds = () => `${(performance.now() / 1000).toFixed(1)} s`;
  out(`Starting: data directory ${config.dataDir}`);
  const database = await openConfiguredDatabase(config);
  await migrateToLatest(database.db);
  const { rotated } = await assertInstallationKey({ db: database.db, config });
  const adminToken = await ensureSiteAdmin(database.db);
  out(`Database ready: ${database.kind}, migrations applied (${seconds()})`);

  const blobs = openConfiguredBlobStore(config, database);
  // What puts interrupted by a crash left behind.
  const swept = await blobs.sweepLeftovers();
  const caCertificate = tls.caFile ? readFileSync(tls.caFile, 'utf8') : null;
  const runWakeups = await listenForRuns(database);
  const stopCacheChanges = await listenForChanges(database);
  const app = await buildApp({
    db: database.db,
    config,
    blobs,
    agents: { caCertificate, waitForRuns: runWakeups.wait },
    poolStats: database.poolStats,
    server: { https: { key: tls.key, cert: tls.cert }, logger: { level: config.logLevel, ...LOG_OPTIONS } },
  });
  const worker = new QueueWorker({ database, handlers: JOB_HANDLERS, context: { db: database.db, blobs, config, log: app.log, now: () => new Date() } });
  await worker.start();
  // The hourly sweep of data retention policies: one waiting job for all replicas, due now after a start.
  await scheduleSweep({ db: database.db, now: () => new Date() });
  const stopReaper = await startRunReaper({ db: database.db, config, log: app.log, now: () => new Date() });
  // The tokens of phases a killed server left behind; the runner removes their directories and processes when it starts.
  const stopTokenSweep = await runToken.startStaleTokenSweep(database.db, app.log);
  // Replaced content of a shared blob store goes after its grace period, swept by every replica.
  const blobSweep = blobs.sweepsWhileServing
    ? setInterval(() => blobs.sweepLeftovers().catch((err: unknown) => app.log.error({ err }, 'sweeping the blob store failed')), BLOB_SWEEP_INTERVAL_MS)
    : undefined;
  await app.listen({ host: config.host, port: config.port });
  // The admin commands reach the embedded database through this server, its one owner (admin/socket.ts).
  const closeAdminSocket =
    config.databaseUrl === undefined
      ? await listenAdminSocket(
          config.dataDir,
          async (request) => {
            const output = await runAdminCommand(await siteAdminContext(database.db, config, blobs), request);
            // A revoked token or a changed user must not outlive the command in this process's caches.
            clearNotifiedCaches();
            return output;
          },
          app.log,
        )
      : async () => {};
  // After listen: the built-in runner's agents and their runs' terraform talk to this server.
  const runner = new LocalAgents({ db: database.db, config, log: app.log, now: () => new Date(), caCertificate });
  await runner.start();

  if (rotated) app.log.info('recorded the new encryption key of a rotation: servers still on the previous key refuse to start until they have the new one');
  if (swept > 0) app.log.info({ swept }, 'removed temporary blob files left by an earlier run of the server');
  if (runner.isolation) {
    const line = describeIsolation(runner.isolation);
    if (runner.isolation.mode === 'none') app.log.warn(line);
    out(line);
  }
  if (process.getuid?.() === 0 && !nonDumpable) app.log.warn('the server process could not be made non-dumpable (fs.suid_dumpable is not 0)');
  out(`Terrace is serving https://${config.hostname} (listening on ${config.host}:${config.port}, database: ${database.kind}; started in ${seconds()})`);
  if (adminToken) {
    // A block of its own on stdout, never in a JSON log line, so that it is seen and copied whole.
    const rule = '─'.repeat(72);
    for (const line of [
      rule,
      'First start: created the site-admin user "admin". Its API token, shown only this once:',
      '',
      `  ${adminToken}`,
      '',
      'Give "admin" a password for the sign-in page (terraform login): terrace user password admin',
      'A lost token is replaced with: terrace token create --user admin',
      rule,
    ])
      out(line);
  }
  if (tls.caFile) out(`CA certificate for clients (SSL_CERT_FILE for the Terraform CLI): ${tls.caFile}`);

  const stop = async () => {
    app.log.info({ graceSeconds: config.shutdownGraceMs / 1000 }, 'shutting down: taking no more runs, letting running phases finish within the grace period');
    await closeAdminSocket();
    // The API keeps serving meanwhile: the agents report their phases to it.
    await runner.stop(config.shutdownGraceMs);
    await app.close();
    await runWakeups.close();
    await stopCacheChanges();
    stopReaper();
    stopTokenSweep();
    clearInterval(blobSweep);
    await worker.stop();
    await database.close();
    releaseDataDir();
    app.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
