import { sql } from 'kysely';
import * as tokenStore from '../auth/token-store.js';
import type { Log } from '../context.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import { newId, type RunId, type WorkspaceId } from '../ids.js';
import * as workspaceStore from '../workspaces/store.js';
import * as eventStore from './event-store.js';
import * as phaseStore from './phase-store.js';
import * as scheduleStore from './schedule-store.js';
import * as runTriggerLifecycle from '../run-triggers/lifecycle.js';
import * as notificationLifecycle from '../notification-configurations/lifecycle.js';
import * as taskStageLifecycle from '../task-stages/lifecycle.js';
import { assertTransition, isFinal, nextStatus, type PhaseStatus, phaseChanges, type RunFlow, type RunStage, type RunStatus, taskStageRunIn } from './state.js';
import * as runStore from './store.js';

/**
 * The one place a run's status changes, and the workspace queue it drives (docs/design.md "Runs").
 * Every function takes the transaction it works in. Locks are taken workspace row first, then run
 * rows, so that two transactions never wait on each other in opposite orders; only a runner's claim
 * locks a run alone, and it never needs the workspace.
 */

/** Listened to by runners: a run entered plan_queued or apply_queued, or a runner slot came free. */
export const RUNS_CHANNEL = 'terrace_runs';

/** A run goes through the task stages it has tasks in; Terrace has none of the other optional stages. */
export function flowOf(run: runStore.Run): RunFlow {
  return {
    enabledStages: new Set<RunStage>(run.taskStages.map((s) => s.stage)),
    planOnly: run.planOnly,
    savePlan: run.savePlan,
    autoApply: run.autoApply,
    hasChanges: run.hasChanges,
    allowEmptyApply: run.allowEmptyApply,
  };
}

/** The `status-timestamps` key of a status: `<status>-at`, with TFE's two exceptions (run.mdx sample, OpenAPI `runs`). */
export function statusTimestampKey(status: RunStatus): string {
  if (status === 'pending') return 'plan-queueable-at';
  if (status === 'fetching_completed') return 'fetched-at';
  return `${status.replaceAll('_', '-')}-at`;
}

const PHASE_TIMESTAMP_KEYS: Record<PhaseStatus, string> = {
  pending: 'pending-at',
  managed_queued: 'queued-at',
  queued: 'queued-at',
  running: 'started-at',
  finished: 'finished-at',
  errored: 'errored-at',
  canceled: 'canceled-at',
  unreachable: 'unreachable-at',
};

export function phaseTimestampKey(status: PhaseStatus): string {
  return PHASE_TIMESTAMP_KEYS[status];
}

/** Who or what caused a status change, for its run event. */
/** A run's status change, logged once its transaction committed. */
interface StatusChange {
  runId: string;
  workspaceId: string;
  organizationId: string;
  actorId: string | null;
  from: RunStatus | null;
  to: RunStatus;
}

/** The changes each open transaction of inRunTransaction made so far, by transaction. */
const changesInTransaction = new WeakMap<Db, StatusChange[]>();

/**
 * Runs `fn` in a transaction and then logs each run status change it made, one line per change (run,
 * workspace, organization, actor, from → to): after the commit, so that no line tells of a change
 * that was rolled back. Every transaction that can change a run's status goes through it.
 */
export async function inRunTransaction<T>(ctx: { db: Db; log?: Log | undefined }, fn: (trx: Db) => Promise<T>): Promise<T> {
  const changes: StatusChange[] = [];
  const result = await ctx.db.transaction().execute((trx) => {
    changesInTransaction.set(trx, changes);
    return fn(trx);
  });
  for (const change of changes) ctx.log?.info(change, 'run status');
  return result;
}

/** Notes a status change of the transaction for inRunTransaction's log (a new run's `from` is null). */
export function recordStatusChange(
  trx: Db,
  run: { id: string; workspaceId: string; organizationId: string },
  from: RunStatus | null,
  to: RunStatus,
  actorId: string | null,
): void {
  changesInTransaction.get(trx)?.push({ runId: run.id, workspaceId: run.workspaceId, organizationId: run.organizationId, actorId, from, to });
}

export interface StepOptions {
  now: Date;
  /** The user behind it; none for the server's own steps. */
  actorId?: string | null | undefined;
  /** A comment or a reason; a plain description of the new status otherwise. */
  description?: string | undefined;
  /** For a runner's claim (planning, applying): how long it lasts without renewal (TERRACE_RUN_LEASE). */
  leaseSeconds?: number | undefined;
}

/**
 * Locks the run's workspace and then the run (in that order, as every writer does) and returns the
 * run as locked. Status changes, except a runner's claim, start here.
 */
export async function lockRun(trx: Db, runId: RunId): Promise<runStore.Run> {
  const workspaceId = await runStore.workspaceIdOf(trx, runId);
  if (workspaceId) await scheduleStore.lockWorkspace(trx, workspaceId);
  const run = workspaceId ? await runStore.findForUpdate(trx, runId) : undefined;
  if (!run) throw new NotFoundError(`run ${runId} not found`);
  return run;
}

/**
 * Moves a locked run to `to`: checks the transition (409 when the table forbids it), writes the status
 * and its timestamp, the plan and apply statuses, the runner lease and queue time, and a run event;
 * wakes runners when it queues the run or frees a runner slot. A run that ends releases the workspace
 * lock it holds and lets the next run in.
 */
export async function changeStatus(trx: Db, run: runStore.Run, to: RunStatus, options: StepOptions): Promise<runStore.Run> {
  assertTransition(run.status, to);
  const { now } = options;
  const statusTimestamps = { ...run.statusTimestamps, [statusTimestampKey(to)]: now.toISOString() };
  const entersRunnerQueue = scheduleStore.RUNNER_QUEUED_STATUSES.includes(to);
  // A saved plan someone applied joins its workspace's queue: its queue time orders it there.
  const joinsQueue = entersRunnerQueue || (to === 'confirmed' && run.savePlan);
  const running = scheduleStore.RUNNING_STATUSES.includes(to);
  const leftRunning = scheduleStore.RUNNING_STATUSES.includes(run.status) && !running;
  // A claim without a lease would never be reaped: only a runner's claim enters these statuses, and it gives one.
  if (running && options.leaseSeconds === undefined) throw new Error(`run ${run.id} entered ${to} without a runner lease`);
  const changes: runStore.RunChanges = {
    status: to,
    statusTimestamps,
    ...(joinsQueue ? { queuedAt: now } : {}),
    ...(running ? { leaseSeconds: options.leaseSeconds } : leftRunning ? { leaseSeconds: null } : {}),
  };
  await runStore.update(trx, run.id, changes);
  const phases = phaseChanges(run.status, to);
  for (const [kind, status] of [
    ['plans', phases.plan],
    ['applies', phases.apply],
  ] as const) {
    if (status) await phaseStore.setStatus(trx, kind, run.id, status, phaseTimestampKey(status), now);
  }
  recordStatusChange(trx, run, run.status, to, options.actorId ?? null);
  await eventStore.insert(trx, {
    id: newId('re'),
    runId: run.id,
    action: to,
    description: options.description ?? `Run ${to.replaceAll('_', ' ')}`,
    actorId: options.actorId ?? null,
    createdAt: now,
  });
  if (entersRunnerQueue || leftRunning) await sql`SELECT pg_notify(${RUNS_CHANNEL}, ${run.id})`.execute(trx);
  // The phase's job token dies with the phase, however it ended (finished, failed, canceled, reaped).
  if (leftRunning) await tokenStore.deleteRunTokens(trx, run.id);
  const changed: runStore.Run = { ...run, status: to, statusTimestamps, queuedAt: joinsQueue ? now : run.queuedAt };
  const stage = taskStageRunIn(to);
  if (stage) await taskStageLifecycle.startStage(trx, run.id, stage, now);
  if (to === 'applied') await runTriggerLifecycle.afterApplied(trx, run);
  await notificationLifecycle.notifyRunStatus(trx, changed, to, flowOf(changed), { now, actorId: options.actorId ?? null });
  if (isFinal(to)) {
    await taskStageLifecycle.closeOpenStages(trx, run.id, now);
    await workspaceStore.unlock(trx, run.workspaceId, { kind: 'runs', id: run.id });
    await scheduleWorkspace(trx, run.workspaceId, now);
  }
  return changed;
}

/**
 * Takes a locked run through every following step that needs nobody: it stops where a user decides
 * (confirmation, an override), where a runner takes over (plan_queued, apply_queued), where run tasks
 * do (a task stage's running status) and where the workspace queue does (pending, an applied saved
 * plan).
 */
export async function advance(trx: Db, run: runStore.Run, options: StepOptions): Promise<runStore.Run> {
  let current = run;
  for (;;) {
    const waitsForQueue = current.status === 'pending' || (current.status === 'confirmed' && current.savePlan);
    if (isFinal(current.status) || waitsForQueue || scheduleStore.RUNNER_QUEUED_STATUSES.includes(current.status)) return current;
    // A runner's phase, or a task stage: their end moves the run on.
    if (scheduleStore.RUNNING_STATUSES.includes(current.status) || taskStageRunIn(current.status)) return current;
    const next = nextStatus(current.status, flowOf(current));
    if (next === null) return current;
    current = await changeStatus(trx, current, next, { now: options.now });
  }
}

/**
 * Lets the next run into the workspace when no run holds it: the first waiting run becomes the
 * workspace's current run and, unless a user or team holds the lock, takes the lock and goes on to
 * the runners' queue. Called whenever that can change: a run created, a run ended, an unlock.
 */
export async function scheduleWorkspace(trx: Db, workspaceId: WorkspaceId, now: Date): Promise<void> {
  const workspace = await scheduleStore.lockWorkspace(trx, workspaceId);
  if (!workspace || (await scheduleStore.findHolder(trx, workspaceId))) return;
  const [head] = await scheduleStore.waitingRuns(trx, workspace, 1);
  if (!head) return;
  await scheduleStore.setCurrentRun(trx, workspaceId, head.id);
  // A manual lock keeps the run waiting; the unlock schedules again (states.mdx "The Pending Stage", cli-protocol.md §6.9).
  if (workspace.lockedBy) return;
  const run = await runStore.findForUpdate(trx, head.id);
  if (!run) return;
  await workspaceStore.lock(trx, workspaceId, { kind: 'runs', id: run.id }, `Locked by run ${run.id}`);
  const next = nextStatus(run.status, flowOf(run));
  if (next) await changeStatus(trx, run, next, { now });
}
