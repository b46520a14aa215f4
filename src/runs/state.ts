import { ConflictError } from '../errors.js';

/**
 * The run state machine: every run status TFE documents, the one table of allowed transitions, the
 * statuses behind the run `actions` attribute, and the one rule that walks a run through the stages
 * it has enabled. Pure: the runs service loads the run, asks this module, and writes the result.
 *
 * Statuses: api-docs/run.mdx "Run States", plus those of the run task stages of concepts/run/states.mdx
 * that run.mdx leaves out, named as go-tfe (which the CLI decodes runs with) names them:
 * `pre_apply_running`, `pre_apply_completed`, `post_apply_running`, `post_apply_completed`, and
 * `post_plan_awaiting_decision` (a mandatory post-plan task failed; the CLI offers the override).
 */
export const RUN_STATUSES = [
  'pending',
  'fetching',
  'fetching_completed',
  'pre_plan_running',
  'pre_plan_completed',
  'queuing',
  'plan_queued',
  'planning',
  'planned',
  'cost_estimating',
  'cost_estimated',
  'policy_checking',
  'policy_override',
  'policy_soft_failed',
  'policy_checked',
  'confirmed',
  'post_plan_running',
  'post_plan_awaiting_decision',
  'post_plan_completed',
  'planned_and_finished',
  'planned_and_saved',
  'pre_apply_running',
  'pre_apply_completed',
  'apply_queued',
  'applying',
  'post_apply_running',
  'post_apply_completed',
  'applied',
  'discarded',
  'errored',
  'canceled',
  'force_canceled',
] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses from `first` to `last`, both included, in the order a run goes through them. */
export function statusesFrom(first: RunStatus, last: RunStatus): RunStatus[] {
  return RUN_STATUSES.slice(RUN_STATUSES.indexOf(first), RUN_STATUSES.indexOf(last) + 1);
}

/**
 * Every allowed transition, by the status the run is leaving. A status with no exits is final.
 * Any non-final status may end `errored` (a failed step, or a server restart that lost the run's
 * process). `canceled` leaves the statuses in motion (the cancel action, and force-execute canceling
 * earlier runs); `force_canceled` only those where a process or an external check may still be
 * running (run.mdx "Forcefully cancel a run"). `discarded` leaves the statuses waiting for a user or
 * for the workspace (run.mdx "Discard a Run"). A run that needs confirmation rests in the completion
 * status of the last stage it went through: `planned`, `cost_estimated`, `policy_checked` or
 * `post_plan_completed` (states.mdx "The Plan Stage").
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending: ['fetching', 'pre_plan_running', 'queuing', 'plan_queued', 'discarded', 'canceled', 'errored'],
  fetching: ['fetching_completed', 'canceled', 'errored'],
  fetching_completed: ['pre_plan_running', 'queuing', 'plan_queued', 'canceled', 'errored'],
  // A task stage has no process: cancel ends it at once, so force-cancel never applies.
  pre_plan_running: ['pre_plan_completed', 'canceled', 'errored'],
  pre_plan_completed: ['queuing', 'plan_queued', 'canceled', 'errored'],
  queuing: ['plan_queued', 'canceled', 'errored'],
  plan_queued: ['planning', 'canceled', 'errored'],
  // Back to the queue: a plan its agent gave up because it shut down (a plan changes nothing, so it can
  // run again), or never accepted.
  planning: ['planned', 'plan_queued', 'canceled', 'force_canceled', 'errored'],
  planned: ['cost_estimating', 'policy_checking', 'post_plan_running', 'confirmed', 'planned_and_finished', 'planned_and_saved', 'discarded', 'errored'],
  // A cost estimate that errors still moves on (states.mdx "The Cost Estimation Stage").
  cost_estimating: ['cost_estimated', 'canceled', 'force_canceled', 'errored'],
  cost_estimated: ['policy_checking', 'post_plan_running', 'confirmed', 'planned_and_finished', 'planned_and_saved', 'discarded', 'errored'],
  // Soft failure: override for runs that can apply, final `policy_soft_failed` for plan-only runs;
  // hard failure: errored (states.mdx "The Sentinel Policy Check Stage", run.mdx "Run States").
  policy_checking: ['policy_checked', 'policy_override', 'policy_soft_failed', 'canceled', 'force_canceled', 'errored'],
  policy_override: ['policy_checked', 'discarded', 'errored'],
  policy_soft_failed: [],
  policy_checked: ['post_plan_running', 'confirmed', 'planned_and_finished', 'planned_and_saved', 'discarded', 'errored'],
  // run.mdx lists post_plan_running among the discardable statuses.
  post_plan_running: ['post_plan_completed', 'post_plan_awaiting_decision', 'canceled', 'discarded', 'errored'],
  // A mandatory task failed: an override goes on, a discard ends the run (run-task-stages-and-results.mdx "Override a Task Stage").
  post_plan_awaiting_decision: ['post_plan_completed', 'discarded', 'errored'],
  post_plan_completed: ['confirmed', 'planned_and_finished', 'planned_and_saved', 'discarded', 'errored'],
  planned_and_finished: [],
  planned_and_saved: ['confirmed', 'discarded', 'errored'],
  confirmed: ['pre_apply_running', 'apply_queued', 'canceled', 'errored'],
  pre_apply_running: ['pre_apply_completed', 'canceled', 'errored'],
  pre_apply_completed: ['apply_queued', 'canceled', 'errored'],
  apply_queued: ['applying', 'canceled', 'errored'],
  // Back to the queue: an apply its agent never accepted (terraform did not run; runner-service.ts abandon).
  applying: ['post_apply_running', 'applied', 'apply_queued', 'canceled', 'force_canceled', 'errored'],
  // Post-apply tasks never stop a run: the infrastructure exists already (states.mdx "The Post-Apply Stage").
  post_apply_running: ['post_apply_completed', 'canceled', 'errored'],
  post_apply_completed: ['applied', 'errored'],
  applied: [],
  discarded: [],
  errored: [],
  canceled: [],
  force_canceled: [],
};

/** Throws `ConflictError` (409) unless the table allows `from → to`. */
export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!RUN_TRANSITIONS[from].includes(to)) {
    throw new ConflictError(isFinal(from) ? `run is already ${from}` : `a run cannot go from ${from} to ${to}`);
  }
}

const FINAL: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((status) => RUN_TRANSITIONS[status].length === 0));

/** Final statuses have no exits: applied, planned_and_finished, policy_soft_failed, discarded, errored, canceled, force_canceled. */
export function isFinal(status: RunStatus): boolean {
  return FINAL.has(status);
}

/** A process (terraform, or a stage's check) may be working on a run in this status: stopping it needs the runner. */
export function hasProcess(status: RunStatus): boolean {
  return RUN_TRANSITIONS[status].includes('force_canceled');
}

/**
 * Whether a run in this status holds its workspace: every non-final status past `pending`, except
 * `planned_and_saved`, since a saved plan only becomes the workspace's current run when someone
 * applies it (run.mdx "Run Operations", `save_plan`). Plan-only runs never hold the workspace, whatever
 * their status; the queue checks that.
 */
export function isActive(status: RunStatus): boolean {
  return !FINAL.has(status) && status !== 'pending' && status !== 'planned_and_saved';
}

/** The run list's `filter[status_group]` values (run.mdx "Run Status Groups"). */
export const RUN_STATUS_GROUPS: Readonly<Record<'non_final' | 'final' | 'discardable', readonly RunStatus[]>> = {
  non_final: RUN_STATUSES.filter((status) => !FINAL.has(status)),
  final: RUN_STATUSES.filter((status) => FINAL.has(status)),
  discardable: [
    'planned',
    'planned_and_saved',
    'cost_estimated',
    'policy_checked',
    'policy_override',
    'post_plan_running',
    'post_plan_awaiting_decision',
    'post_plan_completed',
  ],
};

/** In motion, so the cancel action applies: the run has not reached a status that waits for a user. */
const CANCELABLE: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((status) => RUN_TRANSITIONS[status].includes('canceled')));
/** A process (terraform, an estimate, a policy or task check) may still be running. */
const FORCE_CANCELABLE: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((status) => RUN_TRANSITIONS[status].includes('force_canceled')));
/** Discard takes pending runs and those waiting for a user (run.mdx "Discard a Run"). */
const DISCARDABLE: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((status) => RUN_TRANSITIONS[status].includes('discarded')));
/** Waiting for confirmation; `policy_override` must be overridden first (run.mdx "Apply a Run"). */
const CONFIRMABLE: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((status) => RUN_TRANSITIONS[status].includes('confirmed')));

export interface RunActionsInput {
  status: RunStatus;
  planOnly: boolean;
  /** When a cancel was requested and the run is still winding down; null when none was. */
  cancelRequestedAt: Date | null;
  /** When force-cancel becomes allowed (cancel time plus the cool-off); null when no cancel was requested. */
  forceCancelAvailableAt: Date | null;
  now: Date;
}

/** The run's `actions` attribute, before the caller's permissions (run.mdx "Get run details"). */
export interface RunActions {
  isCancelable: boolean;
  isConfirmable: boolean;
  isDiscardable: boolean;
  isForceCancelable: boolean;
}

export function runActions(input: RunActionsInput): RunActions {
  const { status } = input;
  return {
    // A second cancel would signal the same process again; force-cancel is the way on (run.mdx).
    isCancelable: CANCELABLE.has(status) && input.cancelRequestedAt === null,
    isConfirmable: CONFIRMABLE.has(status) && !input.planOnly,
    isDiscardable: DISCARDABLE.has(status),
    isForceCancelable:
      FORCE_CANCELABLE.has(status) &&
      input.cancelRequestedAt !== null &&
      input.forceCancelAvailableAt !== null &&
      input.now.getTime() >= input.forceCancelAvailableAt.getTime(),
  };
}

/**
 * Optional stages, each with its running and completed status. A run enables the task stages it has
 * tasks in (`RunFlow.enabledStages`); the others Terrace does not have. `queuing` is TFE's hand-off
 * from the workspace queue to the plan queue, which Terrace does not need (pending goes straight to
 * plan_queued).
 */
export type RunStage = 'fetch' | 'pre_plan' | 'queuing' | 'cost_estimation' | 'policy_check' | 'post_plan' | 'pre_apply' | 'post_apply';

/** The run task stages (run-tasks.mdx `stages`) and the run status in which each one's tasks run. */
export const TASK_STAGE_RUNNING: Readonly<Record<'pre_plan' | 'post_plan' | 'pre_apply' | 'post_apply', RunStatus>> = {
  pre_plan: 'pre_plan_running',
  post_plan: 'post_plan_running',
  pre_apply: 'pre_apply_running',
  post_apply: 'post_apply_running',
};

export type TaskStageName = keyof typeof TASK_STAGE_RUNNING;

/** The task stage a run status runs, if it is one's running status. */
export function taskStageRunIn(status: RunStatus): TaskStageName | undefined {
  return (Object.keys(TASK_STAGE_RUNNING) as TaskStageName[]).find((stage) => TASK_STAGE_RUNNING[stage] === status);
}

/** What decides a run's way through the stages. */
export interface RunFlow {
  enabledStages: ReadonlySet<RunStage>;
  planOnly: boolean;
  savePlan: boolean;
  autoApply: boolean;
  /** From the finished plan; not read before the plan side is done. */
  hasChanges: boolean;
  allowEmptyApply: boolean;
}

/** Marks the point after the last plan-side stage where a run finishes, waits or goes on to apply. */
const DECIDE = 'decide';

/** The successful path in order; a step with a stage is skipped unless the flow enables it. */
const SUCCESS_PATH: readonly (RunStatus | typeof DECIDE | readonly [RunStatus, RunStage])[] = [
  'pending',
  ['fetching', 'fetch'],
  ['fetching_completed', 'fetch'],
  ['pre_plan_running', 'pre_plan'],
  ['pre_plan_completed', 'pre_plan'],
  ['queuing', 'queuing'],
  'plan_queued',
  'planning',
  'planned',
  ['cost_estimating', 'cost_estimation'],
  ['cost_estimated', 'cost_estimation'],
  ['policy_checking', 'policy_check'],
  ['policy_checked', 'policy_check'],
  ['post_plan_running', 'post_plan'],
  ['post_plan_completed', 'post_plan'],
  DECIDE,
  // Auto-apply goes through `confirmed` too: only confirmed runs enter the pre-apply stage (states.mdx).
  'confirmed',
  ['pre_apply_running', 'pre_apply'],
  ['pre_apply_completed', 'pre_apply'],
  'apply_queued',
  'applying',
  ['post_apply_running', 'post_apply'],
  ['post_apply_completed', 'post_apply'],
  'applied',
];

const stepStatus = (step: (typeof SUCCESS_PATH)[number]): RunStatus | typeof DECIDE => (typeof step === 'string' ? step : step[0]);

/**
 * Where the plan side ends (states.mdx "The Plan Stage"): plan-only runs and plans without changes
 * finish, unless an empty apply was asked for; saved plans wait in `planned_and_saved`; auto-apply
 * runs are confirmed; the rest wait for confirmation (null).
 */
function decide(flow: RunFlow): RunStatus | null {
  if (flow.planOnly || (!flow.hasChanges && !flow.allowEmptyApply)) return 'planned_and_finished';
  if (flow.savePlan) return 'planned_and_saved';
  return flow.autoApply ? 'confirmed' : null;
}

/**
 * The status that follows a successful `current` step, or null when the run waits for a user
 * (confirmation, or a policy override). Failures are not "next": the caller picks `errored`,
 * `policy_override` or `policy_soft_failed` itself, through `assertTransition`. Throws `ConflictError`
 * for a final status.
 * @example nextStatus('planning', flow) // 'planned'
 * @example nextStatus('planned', { ...flow, hasChanges: false }) // 'planned_and_finished'
 */
export function nextStatus(current: RunStatus, flow: RunFlow): RunStatus | null {
  if (FINAL.has(current)) throw new ConflictError(`run is already ${current}`);
  if (current === 'policy_override' || current === 'post_plan_awaiting_decision' || current === 'planned_and_saved') return null;
  const from = SUCCESS_PATH.findIndex((step) => stepStatus(step) === current);
  for (const step of SUCCESS_PATH.slice(from + 1)) {
    if (step === DECIDE) return decide(flow);
    if (typeof step === 'string') return step;
    if (flow.enabledStages.has(step[1])) return step[0];
  }
  throw new ConflictError(`run status ${current} has no next step`);
}

/**
 * Plan and apply statuses (api-docs/plans.mdx "Plan States", applies.mdx "Apply States"). Terrace
 * uses `queued`; `managed_queued` belongs to TFE's agent pools.
 */
export const PHASE_STATUSES = ['pending', 'managed_queued', 'queued', 'running', 'errored', 'canceled', 'finished', 'unreachable'] as const;

export type PhaseStatus = (typeof PHASE_STATUSES)[number];

/** The statuses a plan or apply ends in. */
export const PHASE_ENDED: ReadonlySet<PhaseStatus> = new Set(['finished', 'errored', 'canceled', 'unreachable']);

/** Before the plan has finished. */
const PLAN_SIDE: ReadonlySet<RunStatus> = new Set(statusesFrom('pending', 'planning'));
/** The post-apply stage: the apply has finished. */
const AFTER_APPLY: ReadonlySet<RunStatus> = new Set(['post_apply_running', 'post_apply_completed']);
/** Between a confirmed plan and a finished apply. */
const APPLY_SIDE: ReadonlySet<RunStatus> = new Set(['confirmed', 'pre_apply_running', 'pre_apply_completed', 'apply_queued', 'applying']);

function endedAs(to: RunStatus): PhaseStatus {
  if (to === 'errored') return 'errored';
  return to === 'canceled' || to === 'force_canceled' ? 'canceled' : 'unreachable';
}

/**
 * The plan and apply statuses to write with a run transition `from → to` (both start `pending`);
 * an absent key leaves that phase as it is. A run that ends before its plan finishes leaves the plan
 * errored, canceled or unreachable and the apply unreachable; one that ends after the plan but
 * before the apply's side leaves the apply unreachable (or canceled).
 */
export function phaseChanges(from: RunStatus, to: RunStatus): { plan?: PhaseStatus; apply?: PhaseStatus } {
  switch (to) {
    case 'plan_queued':
      return { plan: 'queued' };
    case 'planning':
      return { plan: 'running' };
    case 'planned':
      return { plan: 'finished' };
    case 'apply_queued':
      return { apply: 'queued' };
    case 'applying':
      return { apply: 'running' };
    case 'post_apply_running':
      return { apply: 'finished' };
    case 'applied':
      return from === 'applying' ? { apply: 'finished' } : {};
  }
  // After the apply finished, nothing changes it any more (a post-apply stage canceled or errored).
  if (AFTER_APPLY.has(from)) return {};
  if (!FINAL.has(to)) return {};
  if (PLAN_SIDE.has(from)) return { plan: endedAs(to), apply: 'unreachable' };
  const ended = endedAs(to);
  if (APPLY_SIDE.has(from)) return { apply: ended };
  // Errors between plan and apply (a failed check) never reached the apply.
  return { apply: ended === 'errored' ? 'unreachable' : ended };
}
