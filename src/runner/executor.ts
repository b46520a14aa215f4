import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Database } from '../db/database.js';
import * as phaseStore from '../runs/phase-store.js';
import * as runnerService from '../runs/runner-service.js';
import { RUNS_CHANNEL } from '../runs/schedule.js';
import { PhaseLog } from './phase-log.js';
import { PhaseFailure, type RunnerDeps, PhaseStopped, type TerraformInstall, withPhaseJob } from './phase-job.js';
import * as phases from './phases.js';
import { sweepLeftoverProcesses, UidPool } from './run-uids.js';
import { detectIsolation, type Isolation } from './sandbox.js';
import { binaryVersion } from './terraform-version.js';
import { prepareRunDir, removeRunDir } from './workdir.js';

/**
 * The in-process runner pool (docs/design.md "Runner"): up to TERRACE_RUNNER_SLOTS phases at once,
 * claimed from the queue in PostgreSQL (`claimNext`), so several replicas share the work. Woken by
 * NOTIFY on `terrace_runs` from any replica, with polling as the fallback. While a phase runs the
 * claim's lease is renewed every 15 s, and a requested cancel interrupts terraform within a second.
 */

const LEASE_RENEWAL_MS = 15_000;
const CANCEL_CHECK_MS = 1_000;
const POLL_MS = 2_000;

type StopReason = 'canceled' | 'lease-lost' | 'shutdown';

type Outcome = { kind: 'done'; finish: () => Promise<unknown> } | { kind: 'failed'; reason: string } | { kind: 'stopped' };

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The executable on the server's PATH (or the path given), made absolute: the run's own PATH is minimal. */
async function resolveBinary(binary: string): Promise<string> {
  const candidates = isAbsolute(binary) || binary.includes('/') ? [binary] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error(`the terraform executable ${JSON.stringify(binary)} was not found (TERRACE_TERRAFORM_BINARY)`);
}

export class RunExecutor {
  private terraform: TerraformInstall | undefined;
  /** How phases are isolated; known once started. */
  isolation: Isolation | undefined;
  private readonly uids: UidPool;
  private readonly active = new Map<string, { stop: (reason: StopReason) => void; done: Promise<void> }>();
  /** The claiming loop in progress, if any. */
  private filling: Promise<void> | undefined;
  private refillRequested = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: RunnerDeps & { readonly database: Database },
    private readonly pollMs = POLL_MS,
  ) {
    this.uids = new UidPool(deps.config.runUids);
  }

  private get slots(): number {
    return this.deps.config.runnerSlots;
  }

  /** Starts claiming; a replica with no slots runs nothing. Fails when terraform cannot be found. */
  async start(): Promise<void> {
    if (this.slots === 0) return;
    const binary = await resolveBinary(this.deps.config.terraformBinary);
    this.terraform = { binary, version: await binaryVersion(binary) };
    const { config } = this.deps;
    this.isolation = await detectIsolation({ setting: config.runIsolation, uids: config.runUids });
    await prepareRunDir(config.runDir);
    // Without a PID namespace, what a killed server's phases started may still run under the uids.
    if (this.isolation.mode === 'uid') await sweepLeftoverProcesses(config.runUids);
    this.unlisten = await this.deps.database.listen(RUNS_CHANNEL, () => this.wake());
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming, interrupts the phases in progress (their runs end errored) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.unlisten?.();
    // A claim in flight registers its phase before this goes on.
    await this.filling;
    for (const job of this.active.values()) job.stop('shutdown');
    await Promise.allSettled([...this.active.values()].map((job) => job.done));
    if (this.isolation) await removeRunDir(this.deps.config.runDir);
  }

  wake(): void {
    if (this.filling) {
      this.refillRequested = true;
      return;
    }
    this.filling = this.fill()
      .catch((err: unknown) => this.deps.log.error({ err }, 'runner: claim failed'))
      .finally(() => {
        this.filling = undefined;
        if (this.refillRequested && !this.stopping) {
          this.refillRequested = false;
          this.wake();
        }
      });
  }

  private async fill(): Promise<void> {
    while (!this.stopping && this.active.size < this.slots) {
      const claim = await runnerService.claimNext(this.deps);
      if (!claim) return;
      const controller = new AbortController();
      let reason: StopReason | undefined;
      const stop = (why: StopReason) => {
        reason ??= why;
        controller.abort();
      };
      // Registered before the phase starts, so that its watchers (and stop()) find it.
      const job = { stop, done: Promise.resolve() };
      this.active.set(claim.run.id, job);
      job.done = this.execute(claim, controller.signal, () => reason)
        .catch((err: unknown) => this.deps.log.error({ err, runId: claim.run.id }, 'runner: the phase could not be finished'))
        .finally(() => {
          this.active.delete(claim.run.id);
          if (!this.stopping) this.wake();
        });
    }
  }

  private async execute(claim: runnerService.Claim, signal: AbortSignal, stopReason: () => StopReason | undefined): Promise<void> {
    const { deps } = this;
    const { run, phase } = claim;
    const stop = (why: StopReason) => this.active.get(run.id)?.stop(why);
    const record = phase === 'plan' ? await phaseStore.findPlan(deps.db, { runId: run.id }) : await phaseStore.findApply(deps.db, { runId: run.id });
    if (!record) throw new Error(`run ${run.id} has no ${phase}`);
    const log = new PhaseLog(deps, phase === 'plan' ? 'plans' : 'applies', record.id, run.id);
    const watchers = [
      setInterval(() => {
        runnerService.renewLease(deps.db, run.id).then(
          (held) => held || stop('lease-lost'),
          (err: unknown) => deps.log.warn({ err, runId: run.id }, 'runner: lease renewal failed'),
        );
      }, LEASE_RENEWAL_MS),
      setInterval(() => {
        runnerService.cancelRequested(deps.db, run.id).then(
          (requested) => requested && stop('canceled'),
          (err: unknown) => deps.log.warn({ err, runId: run.id }, 'runner: cancel check failed'),
        );
      }, CANCEL_CHECK_MS),
    ];
    let outcome: Outcome;
    let json = false;
    try {
      const planId = phase === 'plan' ? record.id : (await phaseStore.findPlan(deps.db, { runId: run.id }))?.id;
      if (!planId) throw new PhaseFailure(`run ${run.id} has no plan`);
      const setup = {
        deps,
        terraform: this.terraform as TerraformInstall,
        run,
        phase,
        planId,
        log,
        signal,
        isolation: this.isolation as Isolation,
        uids: this.uids,
      };
      outcome = await withPhaseJob(setup, async (job) => {
        json = job.json;
        if (phase === 'plan') {
          const result = await phases.plan(job);
          return { kind: 'done', finish: () => runnerService.finishPlan(deps, run.id, result) };
        }
        const result = await phases.apply(job);
        return { kind: 'done', finish: () => runnerService.finishApply(deps, run.id, result) };
      });
    } catch (err) {
      if (err instanceof PhaseStopped) outcome = { kind: 'stopped' };
      else if (err instanceof PhaseFailure) outcome = { kind: 'failed', reason: err.message };
      else {
        deps.log.error({ err, runId: run.id }, 'runner: internal error');
        outcome = { kind: 'failed', reason: `internal error: ${err instanceof Error ? err.message : String(err)}` };
      }
    } finally {
      for (const watcher of watchers) clearInterval(watcher);
    }

    const why = stopReason();
    if (outcome.kind === 'stopped' && why !== 'canceled') {
      outcome = {
        kind: 'failed',
        reason: why === 'shutdown' ? `the server stopped during the ${phase}` : `the run was taken away from this runner during the ${phase}`,
      };
    }
    if (outcome.kind === 'failed') log.line(errorLine(outcome.reason, json));
    if (outcome.kind === 'stopped') log.line(json ? diagnosticLine('warning', 'The run was canceled') : 'The run was canceled.');
    // The log is complete before the status changes: a reader that sees the phase done finds all of it.
    await log.close().catch((err: unknown) => deps.log.error({ err, runId: run.id }, 'runner: the log could not be stored'));
    if (outcome.kind === 'done') await outcome.finish();
    else if (outcome.kind === 'failed') await runnerService.failPhase(deps, run.id, outcome.reason);
    else await runnerService.finishCanceled(deps, run.id);
  }
}

/** A diagnostic in terraform's `-json` form, which the CLI renders like its own. */
function diagnosticLine(severity: 'error' | 'warning', summary: string): string {
  return JSON.stringify({
    '@level': severity,
    '@message': `${severity === 'error' ? 'Error' : 'Warning'}: ${summary}`,
    '@module': 'terrace',
    '@timestamp': new Date().toISOString(),
    diagnostic: { severity, summary, detail: '' },
    type: 'diagnostic',
  });
}

function errorLine(reason: string, json: boolean): string {
  return json ? diagnosticLine('error', reason) : `Error: ${reason}`;
}
