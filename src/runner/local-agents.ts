import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import * as agentStore from '../agent-protocol/store.js';
import type { LocalAgentSettings } from '../agent/main.js';
import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Config } from '../config.js';
import type { Log } from '../context.js';
import type { Db } from '../db/database.js';
import { newId } from '../ids.js';
import * as runnerService from '../runs/runner-service.js';
import { sweepLeftoverProcesses } from './run-uids.js';
import { detectIsolation, type Isolation, usesRunUid } from './sandbox.js';
import { prepareRunDir, removeRunDir } from './workdir.js';
import { builtFile } from '../package-files.js';

/**
 * The built-in runner (docs/design.md "Agents"): TERRACE_RUNNER_SLOTS local agents, child processes
 * of the server that run the same agent as `terrace agent` and talk to this server over HTTPS with an
 * agent token of the built-in runner (no pool: they serve runs in `remote` execution mode). They hold
 * no server secret: their settings arrive on stdin, their environment is empty but for PATH.
 *
 * Each server has an identity (its machine and data directory): at start it errors the runs its
 * previous incarnation's agents held (they died with it), revokes their token and marks them exited.
 */

/** A crashed local agent is restarted after this long. */
const RESTART_DELAY_MS = 1_000;
/** How long an interrupted agent may take to report its job before it is killed. */
const STOP_GRACE_MS = 30_000;

export const STOPPED_SERVER_REASON = 'The server running this run stopped before the run finished';

export interface LocalAgentsDeps {
  db: Db;
  config: Config;
  log: Log;
  now: () => Date;
  /** The CA of the server's generated certificate, which the agents and their terraform trust. */
  caCertificate: string | null;
}

/** This server's identity among the built-in agents of every replica: machine and data directory. */
export function serverIdentity(config: Config): string {
  const dataDir = (() => {
    try {
      return realpathSync(config.dataDir);
    } catch {
      return config.dataDir;
    }
  })();
  return `built-in:${hostname()}:${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

export class LocalAgents {
  private readonly identity: string;
  private readonly children = new Set<ChildProcess>();
  private stopping = false;
  private token: { id: string; secret: string } | undefined;
  /** How the agents isolate their runs (runner/sandbox.ts); known once started with slots. */
  isolation: Isolation | undefined;

  constructor(private readonly deps: LocalAgentsDeps) {
    this.identity = serverIdentity(deps.config);
  }

  /** Cleans up after a previous run of this server, then starts the agents. */
  async start(): Promise<void> {
    await this.retirePrevious();
    const slots = this.deps.config.runnerSlots;
    if (slots === 0) return;
    const { config } = this.deps;
    this.isolation = await detectIsolation({ setting: config.runIsolation, uids: config.runUids });
    // What a killed server's phases left: directories (tokens, variables, plans) and, without a PID namespace, processes.
    await prepareRunDir(config.runDir);
    if (this.isolation.mode === 'uid') await sweepLeftoverProcesses(config.runUids);
    const { secret, hash } = generateToken();
    const token = await tokenStore.insert(this.deps.db, { id: newId('at'), kind: 'agent', hash, agentPoolId: null, description: this.identity });
    this.token = { id: token.id, secret };
    for (let slot = 0; slot < slots; slot++) this.spawn(slot);
  }

  /**
   * Stops the agents: they take no more work, and the phases they run may go on for `graceMs`; then
   * those are interrupted (their runs end errored, reported by the agents), and an agent that does not
   * exit in time is killed. Then their token is revoked.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping = true;
    const exits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const interrupt = setTimeout(() => child.kill('SIGINT'), graceMs);
          const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(interrupt);
            clearTimeout(kill);
            resolve();
          });
          // An agent drains on SIGTERM (agent/main.ts); with no grace, SIGINT stops its job at once.
          child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGINT');
        }),
    );
    await Promise.all(exits);
    if (this.token) await tokenStore.deleteById(this.deps.db, this.token.id);
    if (this.isolation) await removeRunDir(this.deps.config.runDir);
  }

  /** Runs held by this server's earlier agents end errored now, rather than when their lease runs out. */
  private async retirePrevious(): Promise<void> {
    const { db } = this.deps;
    const previous = await agentStore.liveBuiltInAgents(db, `${this.identity}/`);
    for (const runId of await agentStore.runningRunsOfAgents(db, previous)) {
      await runnerService.abandon(this.deps, runId, STOPPED_SERVER_REASON);
    }
    await agentStore.markExited(db, previous);
    await agentStore.deleteBuiltInTokens(db, this.identity);
  }

  private spawn(slot: number): void {
    const { isolation, token } = this;
    if (this.stopping || !token || !isolation) return;
    const entry = builtFile('src/agent/local-entry.js');
    const child = spawn(process.execPath, [entry], {
      // Nothing of the server's environment (DATABASE_URL, keys, admin token) reaches an agent.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    const settings: LocalAgentSettings = {
      url: `https://${this.deps.config.hostname}`,
      token: token.secret,
      name: `${this.identity}/${slot}`,
      workDir: this.deps.config.runDir,
      caCertificate: this.deps.caCertificate ?? undefined,
      terraformBinary: this.deps.config.terraformBinary,
      isolation,
      // One job at a time per agent: each slot has its uid, so two runs never share one.
      runUid: usesRunUid(isolation) ? this.deps.config.runUids.first + slot : undefined,
    };
    child.stdin?.write(`${JSON.stringify(settings)}\n`);
    this.children.add(child);
    child.once('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping) return;
      this.deps.log.error({ slot, code, signal }, 'runner: a local agent exited; restarting it');
      setTimeout(() => this.spawn(slot), RESTART_DELAY_MS).unref();
    });
  }
}
