import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { describeIsolation, detectIsolation, type IsolationSetting } from '../runner/sandbox.js';
import { killAllTerraform } from '../runner/terraform-process.js';
import { prepareRunDir } from '../runner/workdir.js';
import { type AgentLog, AgentWorker, type AgentWorkerOptions } from './worker.js';

/**
 * The agent's process: `terrace agent` on any machine, or a local agent of `terrace serve`'s built-in
 * runner, which receives its settings on stdin (never in its arguments or environment, which other
 * users can read) and exits as soon as stdin closes: its server is gone.
 */

const log: AgentLog = {
  info: (message) => process.stderr.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: message })}\n`),
  warn: (message) => process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: message })}\n`),
};

/** After the server died: how long the agent tries to report before it exits anyway. */
const ORPHAN_EXIT_MS = 2_000;

/** The settings a local agent reads from its first line of stdin. */
export type LocalAgentSettings = Omit<AgentWorkerOptions, 'log'>;

/** SIGTERM: take no more work, finish the job in progress; SIGINT or a second SIGTERM: stop it too (reported failed). */
function runUntilSignalled(worker: AgentWorker): Promise<void> {
  const stop = () => worker.stop();
  process.once('SIGTERM', () => {
    log.info('agent: finishing the job in progress, taking no more (SIGINT or SIGTERM again to stop it)');
    worker.drain();
    process.once('SIGTERM', stop);
  });
  process.once('SIGINT', stop);
  return worker.run();
}

export async function runLocalAgent(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const first = await new Promise<string | undefined>((resolve) => {
    lines.once('line', resolve);
    lines.once('close', () => resolve(undefined));
  });
  if (first === undefined) throw new Error('no settings on stdin');
  const settings = JSON.parse(first) as LocalAgentSettings;
  const worker = new AgentWorker({ ...settings, log });
  const orphaned = () => {
    log.warn('agent: the server is gone; stopping');
    worker.stop();
    killAllTerraform();
    setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
  };
  lines.once('close', orphaned);
  await runUntilSignalled(worker);
  lines.off('close', orphaned);
  lines.close();
}

export interface RemoteAgentOptions {
  url: string;
  token: string;
  name?: string | undefined;
  workDir: string;
  caFile?: string | undefined;
  terraformBinary: string;
  isolation: IsolationSetting;
  /** The uid runs execute under when the agent is root (`--run-uid`). */
  runUid: number;
}

export async function runRemoteAgent(options: RemoteAgentOptions): Promise<void> {
  const caCertificate = options.caFile ? await readFile(options.caFile, 'utf8') : undefined;
  const isolation = await detectIsolation({ setting: options.isolation, uids: { first: options.runUid, last: options.runUid } });
  // Owned by the agent, traversable by the run uid, emptied of what a killed agent left.
  await prepareRunDir(options.workDir);
  (isolation.mode === 'none' ? log.warn : log.info)(describeIsolation(isolation));
  const worker = new AgentWorker({
    isolation,
    runUid: options.runUid,
    url: options.url,
    token: options.token,
    name: options.name ?? hostname(),
    workDir: options.workDir,
    caCertificate,
    terraformBinary: options.terraformBinary,
    log,
  });
  await runUntilSignalled(worker);
}
