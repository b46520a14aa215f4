import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { REAPED_REASON } from '../../src/runs/reaper.js';
import { RunWorld } from '../../src/runs/testing.js';
import { forEachDatabase } from '../harness.js';
import { spawnTerrace } from '../terrace-process.js';

/**
 * Agents as operators run them (issue 12): `terrace agent` processes with their own working
 * directories serve an agent pool over HTTPS, share its runs, lose a run when killed, and ride out a
 * server restart.
 */

/** The configuration every run applies: a provisioner that shows where it runs and waits `var.pause` seconds. */
const MAIN = `
variable "pause" {
  default = "0"
}

resource "terraform_data" "work" {
  input = var.pause
  provisioner "local-exec" {
    command = "echo ran-in-$PWD; sleep \${var.pause}"
  }
}
`;

forEachDatabase(
  'agents',
  (server) => {
    const world = new RunWorld(server);
    let poolId = '';
    let poolToken = '';
    const agents = new Set<ChildProcess>();
    const workDirs: string[] = [];

    before(async () => {
      await world.setUp();
      const pool = await world.api('POST', `/organizations/${world.org}/agent-pools`, world.ownerToken, {
        data: { type: 'agent-pools', attributes: { name: 'e2e' } },
      });
      assert.equal(pool.status, 201, pool.text);
      poolId = pool.body.data.id;
      const token = await world.api('POST', `/agent-pools/${poolId}/authentication-tokens`, world.ownerToken, {
        data: { type: 'authentication-tokens', attributes: { description: 'e2e agents' } },
      });
      assert.equal(token.status, 201, token.text);
      poolToken = token.body.data.attributes.token;
    });

    /**
     * Until the run's apply is in its provisioner's pause: past terraform's start, which talks to the
     * server (a fixed wait was too short on a loaded machine, and a restart then met terraform's init).
     */
    async function provisionerStarted(runId: string): Promise<void> {
      await world.waitForStatus(runId, ['applying']);
      const deadline = Date.now() + 60_000;
      while (!/ran-in-/.test(await world.phaseLogSoFar(runId, 'apply'))) {
        assert.ok(Date.now() < deadline, 'the apply reached its provisioner within a minute');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    after(async () => {
      await Promise.all([...agents].map((agent) => stopAgent(agent)));
      for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
    });

    /** Starts `terrace agent` as an operator would, with its own working directory. */
    function startAgent(name: string): { child: ChildProcess; workDir: string } {
      const workDir = mkdtempSync(join(tmpdir(), `terrace-agent-${name}-`));
      workDirs.push(workDir);
      // Each agent its own run uid, as the README asks of agents sharing a machine.
      const runUid = String(64_500 + workDirs.length + (server.kind === 'postgres' ? 50 : 0));
      const args = ['agent', '--url', server.url, '--ca-file', server.caFile, '--work-dir', workDir, '--name', name, '--run-uid', runUid];
      const child = spawnTerrace(args, {
        env: { PATH: process.env.PATH ?? '', TERRACE_AGENT_TOKEN: poolToken },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.resume();
      agents.add(child);
      child.once('exit', () => agents.delete(child));
      return { child, workDir };
    }

    function stopAgent(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      return exited;
    }

    /** A workspace in agent mode on the pool, with the configuration uploaded and `pause` set. */
    async function agentWorkspace(pause: number): Promise<string> {
      const ws = await world.createWorkspace(
        { 'auto-apply': true, 'execution-mode': 'agent' },
        { 'agent-pool': { data: { type: 'agent-pools', id: poolId } } },
      );
      const variable = await world.api('POST', `/workspaces/${ws.id}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: 'pause', value: String(pause), category: 'terraform' } },
      });
      assert.equal(variable.status, 201, variable.text);
      await world.uploadConfiguration(ws.id, { 'main.tf': MAIN });
      return ws.id;
    }

    async function currentSerial(workspaceId: string): Promise<number | undefined> {
      const res = await world.api('GET', `/workspaces/${workspaceId}/current-state-version`, world.ownerToken);
      return res.status === 200 ? res.body.data.attributes.serial : undefined;
    }

    it('an agent process serves its pool from its own working directory', async () => {
      const { child, workDir } = startAgent('solo');
      const workspaceId = await agentWorkspace(0);
      const run = await world.createRun(workspaceId);
      const done = await world.waitForStatus(run.id, ['applied', 'errored', 'canceled']);
      assert.equal(done.attributes.status, 'applied', await world.phaseLog(run.id, 'apply'));
      assert.match(await world.phaseLog(run.id, 'apply'), new RegExp(`ran-in-${workDir}/`));
      assert.equal(await currentSerial(workspaceId), 1);
      const agent = await server.database.db
        .selectFrom('agents')
        .select(['name', 'status', 'agent_pool_id'])
        .where('name', '=', 'solo')
        .executeTakeFirstOrThrow();
      assert.equal(agent.agent_pool_id, poolId);
      await stopAgent(child);
      const exited = await server.database.db.selectFrom('agents').select('status').where('name', '=', 'solo').executeTakeFirstOrThrow();
      assert.equal(exited.status, 'exited', 'a stopping agent says so');
    });

    it('two agents share twenty runs', async () => {
      const first = startAgent('first');
      const second = startAgent('second');
      const workspaces = await Promise.all(Array.from({ length: 20 }, () => agentWorkspace(0)));
      const runs = await Promise.all(workspaces.map((id) => world.createRun(id)));
      for (const run of runs) {
        const done = await world.waitForStatus(run.id, ['applied', 'errored', 'canceled'], 240_000);
        assert.equal(done.attributes.status, 'applied');
      }
      const byAgent = await server.database.db
        .selectFrom('runs')
        .innerJoin('agents', 'agents.id', 'runs.agent_id')
        .select('agents.name')
        .where(
          'runs.id',
          'in',
          runs.map((r) => r.id),
        )
        .execute();
      const names = new Set(byAgent.map((row) => row.name));
      assert.deepEqual([...names].sort(), ['first', 'second'], 'both agents worked');
      await Promise.all([stopAgent(first.child), stopAgent(second.child)]);
    });

    it('a run whose agent is killed during its apply ends errored, and its workspace is unlocked', async () => {
      const { child } = startAgent('doomed');
      const workspaceId = await agentWorkspace(30);
      const run = await world.createRun(workspaceId);
      await provisionerStarted(run.id);
      await stopAgent(child, 'SIGKILL');
      const lease = async () =>
        (
          await server.database.db.selectFrom('runs').select('runner_lease_until').where('id', '=', run.id).executeTakeFirstOrThrow()
        ).runner_lease_until?.getTime();
      const held = await lease();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(await lease(), held, 'nobody renews the lease of a dead agent');
      // The server's own reaper errors the run once the lease (TERRACE_RUN_LEASE, 10 s here) lapses.
      await world.waitForStatus(run.id, ['errored'], 60_000);
      const errored = await world.run(run.id);
      assert.equal(errored.attributes.status, 'errored');
      const events = (await world.api('GET', `/runs/${run.id}/run-events`, world.ownerToken)).body.data;
      assert.equal(events.at(-1).attributes.description, REAPED_REASON);
      const ws = await world.api('GET', `/workspaces/${workspaceId}`, world.ownerToken);
      assert.equal(ws.body.data.attributes.locked, false);
    });

    it('a server restart during an apply on an agent does not interrupt it: the apply completes and its state lands', async () => {
      const { child } = startAgent('steady');
      const workspaceId = await agentWorkspace(8);
      const run = await world.createRun(workspaceId);
      await provisionerStarted(run.id);
      await server.restartApp(3000);
      const done = await world.waitForStatus(run.id, ['applied', 'errored', 'canceled']);
      assert.equal(done.attributes.status, 'applied', await world.phaseLog(run.id, 'apply'));
      assert.equal(await currentSerial(workspaceId), 1);
      assert.match(await world.phaseLog(run.id, 'apply'), /Apply complete!/);
      await stopAgent(child);
    });
  },
  {
    // Longer than the restart test's downtime (3 s), short enough to wait for the real reaper, which
    // looks when the earliest lease ends (src/runs/reaper.ts).
    env: { TERRACE_RUN_LEASE: '10s' },
  },
);
