import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { craftedTarball } from '../../src/configuration-versions/testing.js';
import { randomBase58 } from '../../src/ids.js';
import { createPostgresDatabase, freePort, testDatabases } from '../harness.js';
import { spawnTerrace } from '../terrace-process.js';
import { eventually } from '../fixtures.js';

/**
 * The attack of issue 12, repeated against a real `terrace serve` started as users start it (as root
 * here, with TERRACE_ADMIN_TOKEN set and, on PostgreSQL, DATABASE_URL in its environment): a user who
 * may write to one workspace uploads a configuration whose `local-exec` runs a shell script, and
 * queues an auto-apply run while a run of another organization, holding sensitive variables, applies.
 * The script tries to read the data directory (encryption key, TLS keys, database, blobs), the other
 * run's directory, every process's environment, and to write into the data directory. Every attempt
 * must fail, and no secret may appear in the log the API serves.
 */

const TOKEN_SHAPE = /[1-9A-Za-z]{14}\.terrace\.[\w-]{64}/;
const STEP_TIMEOUT_MS = 180_000;

/** The attempts the script makes, each reported as `ATTEMPT <name>: FAILED|SUCCEEDED`. */
const ATTEMPTS = [
  'list-data-dir',
  'read-encryption-key',
  'read-ca-key',
  'read-server-key',
  'list-database',
  'read-database',
  'read-blobs',
  'list-run-dirs',
  'read-other-run-dir',
  'read-other-run-via-proc',
  'read-server-environ',
  'read-foreign-environ',
  'write-data-dir',
] as const;

function attackScript(dataDir: string, runDir: string, serverPid: number): string {
  return `#!/bin/sh
DATA='${dataDir}'
RUNS='${runDir}'
SERVER=${serverPid}
OWN=$(cd .. && pwd)
SELF=$$
attempt() {
  name=$1; shift
  if out=$("$@" 2>&1); then echo "ATTEMPT $name: SUCCEEDED"; printf '%s\\n' "$out"; else echo "ATTEMPT $name: FAILED"; fi
}
# Succeeds when one file of another run's directory could be read.
other_runs() {
  ok=1
  for d in "$RUNS"/* "$DATA"/runs/*; do
    [ -d "$d" ] && [ "$d" != "$OWN" ] || continue
    for f in terraform.rc terrace.tfvars; do cat "$d/$f" && ok=0; done
  done
  return $ok
}
# Through another process's working directory.
other_runs_via_proc() {
  ok=1
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    case "$cwd" in "$OWN"*) continue ;; esac
    for f in ../terraform.rc ../terrace.tfvars terraform.rc terrace.tfvars; do cat "$p/cwd/$f" 2>/dev/null && ok=0; done
  done
  return $ok
}
# Every environment this run can read, but its own processes'.
foreign_environ() {
  ok=1
  for p in /proc/[0-9]*; do
    [ -r "$p/environ" ] || continue
    tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qx "TFC_RUN_ID=$TFC_RUN_ID" && continue
    tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -q . && { tr '\\0' '\\n' < "$p/environ"; ok=0; }
  done
  return $ok
}
id
attempt list-data-dir ls -la "$DATA"
attempt read-encryption-key cat "$DATA/encryption.key"
attempt read-ca-key cat "$DATA/tls/ca-key.pem"
attempt read-server-key cat "$DATA/tls/server-key.pem"
attempt list-database ls -la "$DATA/pglite"
attempt read-database find "$DATA/pglite" -type f -name PG_VERSION -exec cat {} +
attempt read-blobs sh -c 'ls -laR "$0/blobs" && find "$0/blobs" -type f -exec cat {} +' "$DATA"
attempt list-run-dirs sh -c 'ls "$0" | grep -v "^$(basename "$1")$" | grep . || ls "$2/runs" | grep .' "$RUNS" "$OWN" "$DATA"
attempt read-other-run-dir other_runs
attempt read-other-run-via-proc other_runs_via_proc
attempt read-server-environ cat "/proc/$SERVER/environ"
attempt read-foreign-environ foreign_environ
attempt write-data-dir sh -c 'echo pwned > "$0/PWNED_BY_RUN"' "$DATA"
# Inside a bwrap sandbox this lands in its private tmpfs; the test looks for it on the host.
echo pwned > "$RUNS/PWNED_BY_RUN" 2>/dev/null
exit 0
`;
}

const VICTIM_MAIN = `variable "secret" {
  sensitive = true
}
resource "terraform_data" "victim" {
  input = var.secret
  provisioner "local-exec" {
    command = "sleep 300"
  }
}
`;

const ATTACKER_MAIN = `resource "terraform_data" "attack" {
  provisioner "local-exec" {
    command = "sh ./attack.sh"
  }
}
`;

/** Files and directories under `dir`, as relative paths. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

/** The base64 lines of a PEM file: any one of them appearing would leak the key. */
function pemBody(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length >= 40 && !line.startsWith('-----'));
}

/** The real uids of the processes on this host. */
async function processUids(): Promise<number[]> {
  const uids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (uid) uids.push(Number(uid));
  }
  return uids;
}

interface Variant {
  kind: 'pglite' | 'postgres';
  isolation: string;
  uids: string;
  /** Runs execute in separate `terrace agent` processes, one per organization's pool, instead of the built-in runner. */
  agents?: boolean;
}

const variants: Variant[] = testDatabases().map((kind, i) => ({ kind, isolation: 'auto', uids: `${64200 + i * 10}-${64209 + i * 10}` }));
// Without bubblewrap, a root server still keeps runs away with their uid.
variants.push({ kind: 'pglite', isolation: 'uid', uids: '64240-64249' });
// The same attack on runs that agents execute (issue 12: "against the built-in runner and an agent").
variants.push({ kind: testDatabases().at(-1) ?? 'pglite', isolation: 'auto', uids: '64250-64259', agents: true });

for (const variant of variants) {
  const label = variant.agents ? 'terrace agent processes' : `TERRACE_RUN_ISOLATION=${variant.isolation}`;
  describe(`a malicious configuration [${variant.kind}, ${label}]`, { timeout: 600_000 }, () => {
    const adminToken = `admin-${randomBase58(40)}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'terrace-security-'));
    const runDir = join(tmpdir(), `terrace-security-runs-${randomBase58(10)}`);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      TERRACE_LOG_LEVEL: 'warn',
      TERRACE_DATA_DIR: dataDir,
      TERRACE_ADMIN_TOKEN: adminToken,
      TERRACE_RATE_LIMIT: '100000',
      // With agents, the server runs nothing itself.
      TERRACE_RUNNER_SLOTS: variant.agents ? '0' : '4',
      TERRACE_RUN_ISOLATION: variant.isolation,
      TERRACE_RUN_UIDS: variant.uids,
      TERRACE_RUN_DIR: runDir,
    };
    const [firstUid, lastUid] = variant.uids.split('-').map(Number) as [number, number];
    let server: ChildProcess | undefined;
    let stdout = '';
    let stderr = '';
    let agent: Agent | undefined;
    let baseUrl = '';
    let dropDatabase = async () => {};
    /** The agents' processes, their work directories by organization, and their pool tokens. */
    const agentProcesses: ChildProcess[] = [];
    const agentWorkDirs = new Map<string, string>();
    const agentTokens: string[] = [];

    before(async () => {
      if (variant.kind === 'postgres') {
        // Only its URL: the server opens the database itself.
        const database = await createPostgresDatabase();
        await database.database.close();
        env.DATABASE_URL = database.url;
        dropDatabase = database.drop;
      }
      const port = await freePort();
      env.TERRACE_PORT = String(port);
      baseUrl = `https://localhost:${port}`;
      await startServer();
      agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.pem')) } });
    });

    async function startServer(): Promise<void> {
      stdout = '';
      const child = spawnTerrace(['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      server = child;
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 60_000);
        child.stdout?.on('data', (chunk) => {
          stdout += chunk;
          if (/^CA certificate for clients.*\n/m.test(stdout)) {
            clearTimeout(timer);
            child.removeAllListeners('exit');
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`)));
      });
    }

    after(async () => {
      for (const child of agentProcesses) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      for (const dir of agentWorkDirs.values()) rmSync(dir, { recursive: true, force: true });
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server?.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      await agent?.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true });
    });

    async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
      const res = await fetch(`${baseUrl}/api/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/vnd.api+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: agent,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    }

    async function created(method: string, path: string, body: unknown): Promise<any> {
      const res = await api(method, path, body);
      assert.equal(res.status, 201, `${method} ${path}: ${res.text}`);
      return res.body.data;
    }

    /** A step's wait: as long as a step may take, and the server's output when it fails. */
    const STEP_WAIT = { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 250, detail: () => stderr };

    async function runStatus(runId: string, statuses: readonly string[]): Promise<any> {
      const res = await eventually(
        () => api('GET', `/runs/${runId}`),
        (r) => statuses.includes(r.body?.data?.attributes?.status),
        `run ${runId} to become ${statuses.join(' or ')}`,
        STEP_WAIT,
      );
      return res.body.data;
    }

    /**
     * An agent pool of the organization served by a `terrace agent` process started as an operator
     * would (its own work directory and run uid, root, default isolation); returns the pool's id.
     */
    async function startPoolAgent(organization: string): Promise<string> {
      const pool = await created('POST', `/organizations/${organization}/agent-pools`, { data: { type: 'agent-pools', attributes: { name: 'pool' } } });
      const token = await created('POST', `/agent-pools/${pool.id}/authentication-tokens`, {
        data: { type: 'authentication-tokens', attributes: { description: organization } },
      });
      agentTokens.push(token.attributes.token);
      const workDir = mkdtempSync(join(tmpdir(), `terrace-security-agent-${organization}-`));
      agentWorkDirs.set(organization, workDir);
      const runUid = String(firstUid + agentProcesses.length);
      const args = ['agent', '--url', baseUrl, '--ca-file', join(dataDir, 'tls', 'ca.pem'), '--work-dir', workDir, '--name', organization, '--run-uid', runUid];
      const child = spawnTerrace(args, {
        env: { PATH: env.PATH as string, TERRACE_AGENT_TOKEN: token.attributes.token },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      agentProcesses.push(child);
      return pool.id;
    }

    /** An organization with an auto-apply workspace (on its own agent's pool with agents), its variables, and a run of `files`. */
    async function queueRun(organization: string, files: Record<string, string>, variables: object[] = []): Promise<string> {
      await created('POST', '/organizations', { data: { type: 'organizations', attributes: { name: organization, email: `${organization}@example.com` } } });
      const poolId = variant.agents ? await startPoolAgent(organization) : undefined;
      const workspace = await created('POST', `/organizations/${organization}/workspaces`, {
        data: {
          type: 'workspaces',
          attributes: { name: 'app', 'auto-apply': true, ...(poolId ? { 'execution-mode': 'agent' } : {}) },
          ...(poolId ? { relationships: { 'agent-pool': { data: { type: 'agent-pools', id: poolId } } } } : {}),
        },
      });
      for (const attributes of variables) await created('POST', `/workspaces/${workspace.id}/vars`, { data: { type: 'vars', attributes } });
      const version = await created('POST', `/workspaces/${workspace.id}/configuration-versions`, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      const upload = await fetch(version.attributes['upload-url'], {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: craftedTarball(Object.entries(files).map(([path, body]) => ({ path, body }))),
        dispatcher: agent,
      });
      assert.equal(upload.status, 200, await upload.text());
      await eventually(
        () => api('GET', `/configuration-versions/${version.id}`),
        (r) => r.body?.data?.attributes?.status === 'uploaded',
        'the configuration version to be uploaded',
        STEP_WAIT,
      );
      const run = await created('POST', '/runs', {
        data: {
          type: 'runs',
          relationships: {
            workspace: { data: { type: 'workspaces', id: workspace.id } },
            'configuration-version': { data: { type: 'configuration-versions', id: version.id } },
          },
        },
      });
      return run.id;
    }

    async function applyLog(run: any): Promise<string> {
      const apply = await api('GET', `/applies/${run.relationships.apply.data.id}`);
      assert.equal(apply.status, 200, apply.text);
      const res = await fetch(apply.body.data.attributes['log-read-url'], { dispatcher: agent });
      assert.equal(res.status, 200);
      return res.text();
    }

    it('reads none of the server secrets, the database, the blobs or another run, and writes nothing', async () => {
      const victimTfSecret = `victim-tf-${randomBase58(24)}`;
      const victimEnvSecret = `victim-env-${randomBase58(24)}`;

      const victimRunId = await queueRun('victim', { 'main.tf': VICTIM_MAIN }, [
        { key: 'secret', value: victimTfSecret, category: 'terraform', sensitive: true },
        { key: 'VICTIM_ENV', value: victimEnvSecret, category: 'env', sensitive: true },
      ]);
      // Its provisioner sleeps: its directory, token and variables are there while the attack runs.
      await runStatus(victimRunId, ['applying']);
      const serverPid = server?.pid as number;
      // With agents, the other run lives in the victim agent's work directory.
      const otherRuns = agentWorkDirs.get('victim') ?? runDir;
      const attackerRunId = await queueRun('attacker', { 'main.tf': ATTACKER_MAIN, 'attack.sh': attackScript(dataDir, otherRuns, serverPid) });
      const attacker = await runStatus(attackerRunId, ['applied', 'errored']);
      const log = await applyLog(attacker);
      assert.equal(attacker.attributes.status, 'applied', log);
      assert.equal((await api('GET', `/runs/${victimRunId}`)).body.data.attributes.status, 'applying', 'the victim ran alongside');

      assert.match(log, /uid=/, `the script ran:\n${log}`);
      for (const name of ATTEMPTS) assert.match(log, new RegExp(`ATTEMPT ${name}: FAILED`), `${name} must fail:\n${log}`);
      const secrets: Record<string, string> = {
        'the encryption key': readFileSync(join(dataDir, 'encryption.key'), 'utf8').trim(),
        'the admin token': adminToken,
        "the other run's sensitive terraform variable": victimTfSecret,
        "the other run's sensitive env variable": victimEnvSecret,
      };
      for (const [i, line] of pemBody(join(dataDir, 'tls', 'ca-key.pem')).entries()) secrets[`line ${i} of the CA key`] = line;
      for (const [i, line] of pemBody(join(dataDir, 'tls', 'server-key.pem')).entries()) secrets[`line ${i} of the server key`] = line;
      if (env.DATABASE_URL) secrets.DATABASE_URL = env.DATABASE_URL;
      for (const [i, token] of agentTokens.entries()) secrets[`agent token ${i}`] = token;
      for (const [what, secret] of Object.entries(secrets)) assert.ok(!log.includes(secret), `${what} leaked into the log:\n${log}`);
      assert.doesNotMatch(log, TOKEN_SHAPE, "no token (the other run's, the admin's) in the log");

      assert.deepEqual(
        (await tree(dataDir)).filter((entry) => entry.includes('PWNED')),
        [],
        'nothing written into the data directory by the run',
      );

      // Canceling the victim interrupts it (SIGINT through its sandbox) and leaves no process behind.
      const cancel = await api('POST', `/runs/${victimRunId}/actions/cancel`);
      assert.equal(cancel.status, 202, cancel.text);
      await runStatus(victimRunId, ['canceled', 'errored']);
      const leftovers = (await processUids()).filter((uid) => uid >= firstUid && uid <= lastUid);
      assert.deepEqual(leftovers, [], 'no process of a run uid survives its phase');
      for (const dir of [runDir, ...agentWorkDirs.values()].filter(existsSync))
        assert.deepEqual(readdirSync(dir), [], `no run directory survives its phase in ${dir}`);
    });

    // The built-in runner's own duties: what the server does for its runs when it dies and starts.
    if (variant.agents) return;

    it('leaves no process, directory or live token behind when killed during an apply', async () => {
      const runId = await queueRun('crashed', { 'main.tf': VICTIM_MAIN }, [{ key: 'secret', value: 'x', category: 'terraform', sensitive: true }]);
      await runStatus(runId, ['applying']);
      const phaseDir = await eventually(
        async () => readdirSync(runDir).find((dir) => existsSync(join(runDir, dir, 'terraform.rc'))),
        (dir) => dir !== undefined,
        'the phase directory',
        STEP_WAIT,
      );
      // Read as root, as only the test can: the token the phase holds.
      const phaseToken = /token = "(.*)"/.exec(readFileSync(join(runDir, phaseDir as string, 'terraform.rc'), 'utf8'))?.[1] ?? '';
      assert.match(phaseToken, TOKEN_SHAPE);
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server?.kill('SIGKILL');
      await exited;
      if (variant.isolation !== 'uid') {
        // bubblewrap's --die-with-parent: the sandbox dies with the server.
        await eventually(
          async () => (await processUids()).filter((uid) => uid >= firstUid && uid <= lastUid),
          (uids) => uids.length === 0,
          "the killed server's run processes to end",
          STEP_WAIT,
        );
      }

      await startServer();
      assert.deepEqual(readdirSync(runDir), [], "the dead server's run directory is removed at start");
      assert.deepEqual(
        (await processUids()).filter((uid) => uid >= firstUid && uid <= lastUid),
        [],
        "no process of the dead server's runs is left",
      );
      // Its run still holds a lease that may be another replica's: the token dies when the lease lapses.
      const tokenStatus = async () => {
        const res = await fetch(`${baseUrl}/api/v2/organizations/crashed/workspaces/app`, {
          headers: { authorization: `Bearer ${phaseToken}` },
          dispatcher: agent,
        });
        await res.text();
        return res.status;
      };
      // Waiting for a lease to lapse takes a minute and a half: once is enough.
      if (variant === variants[0])
        await eventually(tokenStatus, (status) => status === 401, "the dead phase's token to be revoked", { ...STEP_WAIT, timeoutMs: 150_000 });
    });

    it('said at start which isolation is in force', () => {
      const line = stdout.split('\n').find((l) => l.startsWith('Run isolation:'));
      assert.ok(line, stdout);
      // Run as root (CI is): with bubblewrap installed (.ci/run), `auto` takes both.
      assert.match(line, variant.isolation === 'uid' ? /^Run isolation: uid/ : /^Run isolation: bwrap\+uid/);
    });
  });
}
