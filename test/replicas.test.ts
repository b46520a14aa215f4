import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { craftedTarball } from '../src/configuration-versions/testing.js';
import { rawState } from '../src/state-versions/testing.js';
import { cloudBlock, TerraformSandbox } from './cli/terraform.js';
import { eventually } from './fixtures.js';
import { createPostgresDatabase, freePort, testDatabases } from './harness.js';
import { spawnTerrace } from './terrace-process.js';

/**
 * Two `terrace serve` processes on one PostgreSQL database, with their own data directories and
 * ports (issue 22): what one writes, the other serves; a URL one signs, the other honours; a run
 * created on one is executed by the other's runner. A third server with another key is refused.
 */
const ADMIN_TOKEN = `replicas-admin-${randomBytes(16).toString('hex')}`;

interface Replica {
  name: string;
  child: ChildProcess;
  dataDir: string;
  hostname: string;
  url: string;
  caFile: string;
}

function spawnServe(env: Record<string, string>): ChildProcess {
  return spawnTerrace(['serve'], { env: { PATH: process.env.PATH ?? '', TERRACE_LOG_LEVEL: 'warn', ...env }, stdio: 'pipe' });
}

/** Starts a replica and waits for the line that says it serves; `ca` shares another replica's CA, so clients trust one. */
async function startReplica(name: string, env: Record<string, string>, ca?: Replica): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), `terrace-replica-${name}-`));
  if (ca) {
    mkdirSync(join(dataDir, 'tls'), { mode: 0o700 });
    for (const file of ['ca.pem', 'ca-key.pem']) copyFileSync(join(ca.dataDir, 'tls', file), join(dataDir, 'tls', file));
  }
  const port = await freePort();
  const hostname = `localhost:${port}`;
  const child = spawnServe({ ...env, TERRACE_DATA_DIR: dataDir, TERRACE_PORT: String(port), TERRACE_HOSTNAME: hostname });
  let output = '';
  child.stderr?.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${name} did not start:\n${output}`)), 90_000);
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (/^CA certificate for clients/m.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`replica ${name} exited with ${code}:\n${output}`)));
  });
  return { name, child, dataDir, hostname, url: `https://${hostname}`, caFile: join(dataDir, 'tls', 'ca.pem') };
}

async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica) return;
  if (replica.child.exitCode === null && replica.child.signalCode === null) {
    const exited = new Promise((resolve) => replica.child.once('exit', resolve));
    replica.child.kill('SIGTERM');
    await exited;
  }
  rmSync(replica.dataDir, { recursive: true, force: true });
}

if (testDatabases().includes('postgres')) {
  describe('two replicas on one PostgreSQL database', () => {
    let drop: () => Promise<void> = async () => {};
    let databaseUrl = '';
    let a: Replica | undefined;
    let b: Replica | undefined;
    let dispatcher: Agent;
    let caFile = '';
    const scratch = mkdtempSync(join(tmpdir(), 'terrace-replicas-'));
    const key = randomBytes(32).toString('base64');

    async function api(replica: Replica, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
      const res = await fetch(new URL(path, replica.url), {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          accept: 'application/vnd.api+json',
          ...(body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher,
      });
      const text = await res.text();
      let parsed: any;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text };
    }

    /** A URL one replica made, sent to the other (a load balancer may route any request anywhere). */
    const onReplica = (url: string, replica: Replica) => {
      const u = new URL(url);
      u.host = replica.hostname;
      return u.toString();
    };

    async function raw(method: string, url: string, body?: Buffer): Promise<{ status: number; bytes: Buffer }> {
      const res = await fetch(url, { method, body, dispatcher, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    }

    before(async () => {
      const pg = await createPostgresDatabase();
      await pg.database.close();
      databaseUrl = pg.url;
      drop = pg.drop;
      const shared = {
        DATABASE_URL: databaseUrl,
        TERRACE_ENCRYPTION_KEY: key,
        TERRACE_ADMIN_TOKEN: ADMIN_TOKEN,
        TERRACE_RATE_LIMIT: '100000',
        // Short, so that the last test sees a killed replica's run reaped by the other.
        TERRACE_RUN_LEASE: '5s',
      };
      // A serves the API only; B also runs plans and applies.
      a = await startReplica('a', { ...shared, TERRACE_RUNNER_SLOTS: '0' });
      b = await startReplica('b', { ...shared, TERRACE_RUNNER_SLOTS: '1' }, a);
      caFile = a.caFile;
      dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
      const org = await api(a, 'POST', '/api/v2/organizations', { data: { type: 'organizations', attributes: { name: 'acme', email: 'acme@example.com' } } });
      assert.equal(org.status, 201, org.text);
    });

    after(async () => {
      await stopReplica(a);
      await stopReplica(b);
      await dispatcher?.close();
      await drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    /** Creates a configuration version on A, uploads `mainTf` through `uploadThrough`'s host, and creates a run on A. */
    async function queueRun(wsId: string, mainTf: string, uploadThrough: Replica): Promise<string> {
      const replicaA = a as Replica;
      const cv = await api(replicaA, 'POST', `/api/v2/workspaces/${wsId}/configuration-versions`, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      assert.equal(cv.status, 201, cv.text);
      const tarball = craftedTarball([{ path: 'main.tf', body: mainTf }]);
      assert.equal((await raw('PUT', onReplica(cv.body.data.attributes['upload-url'], uploadThrough), tarball)).status, 200);
      const run = await api(replicaA, 'POST', '/api/v2/runs', {
        data: {
          type: 'runs',
          relationships: {
            workspace: { data: { type: 'workspaces', id: wsId } },
            'configuration-version': { data: { type: 'configuration-versions', id: cv.body.data.id } },
          },
        },
      });
      assert.equal(run.status, 201, run.text);
      return run.body.data.id;
    }

    async function autoApplyWorkspace(name: string): Promise<string> {
      const ws = await api(a as Replica, 'POST', '/api/v2/organizations/acme/workspaces', {
        data: { type: 'workspaces', attributes: { name, 'auto-apply': true } },
      });
      assert.equal(ws.status, 201, ws.text);
      return ws.body.data.id;
    }

    async function waitForStatus(replica: Replica, runId: string, wanted: string[]): Promise<string> {
      let status = '';
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        status = (await api(replica, 'GET', `/api/v2/runs/${runId}`)).body.data.attributes.status;
        if (wanted.includes(status)) return status;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return status;
    }

    it('refuses a third server whose encryption key is not the others’', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'terrace-replica-stray-'));
      try {
        const child = spawnServe({
          DATABASE_URL: databaseUrl,
          TERRACE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          TERRACE_DATA_DIR: dataDir,
          TERRACE_PORT: String(await freePort()),
          TERRACE_RUNNER_SLOTS: '0',
        });
        let stderr = '';
        child.stderr?.on('data', (chunk) => (stderr += chunk));
        const code = await new Promise((resolve) => child.on('exit', resolve));
        assert.equal(code, 1);
        assert.match(stderr, /encryption key is not the one this database was set up with/);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it('serves from one replica the state written through the other, and honours its signed URLs', async () => {
      const replicaA = a as Replica;
      const replicaB = b as Replica;
      const ws = await api(replicaA, 'POST', '/api/v2/organizations/acme/workspaces', { data: { type: 'workspaces', attributes: { name: 'shared-state' } } });
      assert.equal(ws.status, 201, ws.text);
      const wsId = ws.body.data.id;
      assert.equal((await api(replicaB, 'POST', `/api/v2/workspaces/${wsId}/actions/lock`, { data: { type: '' } })).status, 200);
      const state = rawState({ serial: 1, lineage: randomUUID(), outputs: { greeting: { value: 'hello from a', type: 'string' } } });
      const md5 = createHash('md5').update(state).digest('hex');
      const created = await api(replicaA, 'POST', `/api/v2/workspaces/${wsId}/state-versions`, {
        data: { type: 'state-versions', attributes: { serial: 1, lineage: JSON.parse(state).lineage, md5 } },
      });
      assert.equal(created.status, 201, created.text);
      // A's upload URL, used on B.
      const upload = await raw('PUT', onReplica(created.body.data.attributes['hosted-state-upload-url'], replicaB), Buffer.from(state));
      assert.equal(upload.status, 200);
      const current = await api(replicaB, 'GET', `/api/v2/workspaces/${wsId}/current-state-version`);
      assert.equal(current.status, 200, current.text);
      const downloadUrl: string = current.body.data.attributes['hosted-state-download-url'];
      assert.equal(new URL(downloadUrl).host, replicaB.hostname);
      assert.equal((await raw('GET', downloadUrl)).bytes.toString(), state);
      assert.equal((await raw('GET', onReplica(downloadUrl, replicaA))).bytes.toString(), state, 'B’s signed URL works on A');
      assert.equal((await api(replicaA, 'POST', `/api/v2/workspaces/${wsId}/actions/unlock`)).status, 200);
    });

    it('runs on the other replica’s runner a run created on one, with its log readable from the first', async () => {
      const replicaA = a as Replica;
      const replicaB = b as Replica;
      const wsId = await autoApplyWorkspace('shared-runs');
      const mainTf =
        'resource "terraform_data" "replicated" {\n  input = "from replica b"\n}\noutput "where" {\n  value = terraform_data.replicated.output\n}\n';
      // A's upload URL used on B; only B has runner slots.
      const runId = await queueRun(wsId, mainTf, replicaB);
      assert.equal(await waitForStatus(replicaA, runId, ['applied', 'errored', 'canceled']), 'applied');
      const apply = await api(replicaA, 'GET', `/api/v2/runs/${runId}/apply`);
      const log = await raw('GET', apply.body.data.attributes['log-read-url']);
      assert.match(log.bytes.toString(), /terraform_data\.replicated/);
      const outputs = await api(replicaB, 'GET', `/api/v2/workspaces/${wsId}/current-state-version?include=outputs`);
      assert.equal(outputs.body.included[0].attributes.value, 'from replica b');
    });

    it('lets the real CLI write state through one replica and read it through the other', async () => {
      const replicaA = a as Replica;
      const replicaB = b as Replica;
      const ws = await api(replicaA, 'POST', '/api/v2/organizations/acme/workspaces', {
        data: { type: 'workspaces', attributes: { name: 'cli-state', 'execution-mode': 'local' } },
      });
      assert.equal(ws.status, 201, ws.text);
      const tf = new TerraformSandbox(caFile);
      try {
        tf.writeCliConfig(
          [replicaA, replicaB].map((r) => `credentials ${JSON.stringify(r.hostname)} {\n  token = ${JSON.stringify(ADMIN_TOKEN)}\n}\n`).join(''),
        );
        const writer = tf.writeFile(
          'main.tf',
          `${cloudBlock(replicaA.hostname, 'acme', 'cli-state')}\noutput "n" {\n  value = 42\n}\n`,
          tf.newWorkdir('writer'),
        );
        for (const args of [
          ['init', '-input=false'],
          ['apply', '-auto-approve', '-input=false'],
        ]) {
          const result = await tf.run(args, { cwd: writer });
          assert.equal(result.code, 0, result.output);
        }
        const reader = tf.writeFile('main.tf', `${cloudBlock(replicaB.hostname, 'acme', 'cli-state')}\n`, tf.newWorkdir('reader'));
        assert.equal((await tf.run(['init', '-input=false'], { cwd: reader })).code, 0);
        const pulled = await tf.run(['state', 'pull'], { cwd: reader });
        assert.equal(pulled.code, 0, pulled.output);
        assert.equal(JSON.parse(pulled.stdout).outputs.n.value, 42);
      } finally {
        tf.cleanup();
      }
    });

    it('errors, through the surviving replica, the run of a replica killed during its apply; the earlier state stays', async () => {
      const replicaA = a as Replica;
      const replicaB = b as Replica;
      const wsId = await autoApplyWorkspace('killed-apply');
      const kept = 'resource "terraform_data" "kept" {\n  input = "before"\n}\n';
      assert.equal(await waitForStatus(replicaA, await queueRun(wsId, kept, replicaA), ['applied', 'errored']), 'applied');
      const stateBefore = await api(replicaA, 'GET', `/api/v2/workspaces/${wsId}/current-state-version`);
      const runId = await queueRun(
        wsId,
        `${kept}resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 60"\n  }\n}\n`,
        replicaA,
      );
      assert.equal(await waitForStatus(replicaA, runId, ['applying', 'errored']), 'applying');
      // Killed once the apply is under way (an apply its agent never accepted would go back to the queue).
      const apply = await api(replicaA, 'GET', `/api/v2/runs/${runId}/apply`);
      await eventually(
        async () => (await raw('GET', apply.body.data.attributes['log-read-url'])).bytes.toString(),
        (log) => /Provisioning with 'local-exec'/.test(log),
        'the apply to reach its provisioner',
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const killed = new Promise((resolve) => replicaB.child.once('exit', resolve));
      replicaB.child.kill('SIGKILL');
      await killed;
      assert.equal(await waitForStatus(replicaA, runId, ['errored', 'applied']), 'errored');
      const events = await api(replicaA, 'GET', `/api/v2/runs/${runId}/run-events`);
      assert.match(events.body.data.at(-1).attributes.description, /stopped responding/);
      const ws = await api(replicaA, 'GET', `/api/v2/workspaces/${wsId}`);
      assert.equal(ws.body.data.attributes.locked, false);
      const stateAfter = await api(replicaA, 'GET', `/api/v2/workspaces/${wsId}/current-state-version`);
      assert.equal(stateAfter.status, 200);
      const download = await raw('GET', stateAfter.body.data.attributes['hosted-state-download-url']);
      assert.equal(download.status, 200);
      assert.ok(
        JSON.parse(download.bytes.toString()).resources.some((r: { name: string }) => r.name === 'kept'),
        'the applied state is intact',
      );
      assert.ok(stateAfter.body.data.attributes.serial >= stateBefore.body.data.attributes.serial);
    });
  });
}
