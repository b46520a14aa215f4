import * as authStore from '../auth/store.js';
import { can } from '../auth/authorize.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import type { Ctx } from '../context.js';
import { seal } from '../crypto/sealing.js';
import type { Db } from '../db/database.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId, type RunId, type WorkspaceId } from '../ids.js';
import * as notificationLifecycle from '../notification-configurations/lifecycle.js';
import * as taskStageLifecycle from '../task-stages/lifecycle.js';
import * as workspaceService from '../workspaces/service.js';
import * as workspaceStore from '../workspaces/store.js';
import * as eventStore from './event-store.js';
import * as phaseStore from './phase-store.js';
import { changeStatus, flowOf, inRunTransaction, recordStatusChange, scheduleWorkspace, statusTimestampKey } from './schedule.js';
import * as scheduleStore from './schedule-store.js';
import { reload, type RunVariable, type RunView } from './service.js';
import { nextStatus, type RunStage } from './state.js';
import * as runStore from './store.js';

/** Creating runs: by a caller (run.mdx "Create a Run"), for an uploaded configuration version, for a run trigger. */

/** run.mdx "Create a Run": every attribute; undefined takes the documented default. */
export interface CreateRunInput {
  workspaceId: string;
  configurationVersionId?: string | undefined;
  message?: string | undefined;
  isDestroy?: boolean | undefined;
  refresh?: boolean | undefined;
  refreshOnly?: boolean | undefined;
  replaceAddrs?: string[] | undefined;
  targetAddrs?: string[] | undefined;
  variables?: RunVariable[] | undefined;
  planOnly?: boolean | undefined;
  autoApply?: boolean | undefined;
  allowEmptyApply?: boolean | undefined;
  allowConfigGeneration?: boolean | undefined;
  savePlan?: boolean | undefined;
  terraformVersion?: string | undefined;
  debuggingMode?: boolean | undefined;
}

const ATTRIBUTES = '/data/attributes';
const CONFIGURATION_VERSION_POINTER = '/data/relationships/configuration-version';
const DEFAULT_MESSAGE = 'Queued manually via the Terraform Enterprise API';
/** A Terraform variable name (the key of `-var`). */
const VARIABLE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** A run's version is exact: it is the binary that runs (a constraint belongs on the workspace). */
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** The version the run uses: the one named (same organization, uploaded), else the workspace's current one. */
async function configurationVersionFor(ctx: Ctx, workspace: workspaceService.Workspace, id: string | undefined) {
  const versionId = id ?? (await configurationVersionStore.currentIdOf(ctx.db, workspace.id));
  if (!versionId) throw new InvalidError('the workspace has no configuration version yet: upload one first', { pointer: CONFIGURATION_VERSION_POINTER });
  const version = await configurationVersionStore.findById(ctx.db, versionId);
  const scope = version && (await authStore.findWorkspaceScope(ctx.db, version.workspaceId));
  // Another workspace's version is allowed (run.mdx "Create a Run"), within the organization and readable by the caller.
  const readable =
    scope?.organizationId === workspace.organizationId &&
    (await can(ctx, 'workspace:read-runs', { organizationId: scope.organizationId, projectId: scope.projectId, workspaceId: scope.id }));
  if (!version || !readable) throw new InvalidError(`configuration version ${versionId} not found`, { pointer: CONFIGURATION_VERSION_POINTER });
  if (version.status !== 'uploaded') {
    throw new InvalidError(`configuration version ${version.id} is ${version.status}; a run needs an uploaded one`, { pointer: CONFIGURATION_VERSION_POINTER });
  }
  return version;
}

function validateVariables(variables: readonly RunVariable[]): void {
  variables.forEach((variable, index) => {
    if (!VARIABLE_KEY.test(variable.key)) {
      throw invalid(`variables/${index}/key`, `variable key ${JSON.stringify(variable.key)} is not a valid Terraform variable name`);
    }
  });
}

/** Queues a run (run.mdx "Create a Run"): needs permission to queue plans; organization tokens cannot. */
export async function create(ctx: Ctx, input: CreateRunInput): Promise<RunView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: input.workspaceId }, 'workspace:queue-run');
  const version = await configurationVersionFor(ctx, workspace, input.configurationVersionId);
  const planOnly = input.planOnly ?? version.speculative;
  if (version.speculative && !planOnly) {
    throw new InvalidError(`configuration version ${version.id} is speculative: only plan-only runs can use it`, { pointer: CONFIGURATION_VERSION_POINTER });
  }
  if (input.isDestroy && input.refreshOnly) throw invalid('refresh-only', 'is-destroy and refresh-only are mutually exclusive');
  if (input.isDestroy && !workspace.allowDestroyPlan) throw invalid('is-destroy', `workspace ${workspace.name} does not allow destroy plans`);
  if (input.savePlan && planOnly) throw invalid('save-plan', 'a plan-only run cannot save its plan');
  if (input.terraformVersion !== undefined) {
    if (!planOnly) throw invalid('terraform-version', 'terraform-version is only valid for plan-only runs');
    if (!EXACT_VERSION.test(input.terraformVersion)) throw invalid('terraform-version', `${JSON.stringify(input.terraformVersion)} is not a Terraform version`);
  }
  validateVariables(input.variables ?? []);
  const target = { organizationId: workspace.organizationId, projectId: workspace.projectId, workspaceId: workspace.id };
  // Plans auto-apply only when queued by someone who may apply them (states.mdx "The Plan Stage").
  const autoApply = (input.autoApply ?? workspace.autoApply) && (await can(ctx, 'workspace:apply-run', target));
  const subject = ctx.subject;
  const id = await inRunTransaction(ctx, async (trx) => {
    // Held until the run exists: an upload replacing the version's files waits, then sees the run and refuses (upload-service.ts).
    if (!(await configurationVersionStore.lockUploaded(trx, version.id))) {
      throw new InvalidError(`configuration version ${version.id} is no longer uploaded`, { pointer: CONFIGURATION_VERSION_POINTER });
    }
    return insertRun(trx, {
      id: newId('run'),
      workspaceId: workspace.id,
      organizationId: workspace.organizationId,
      configurationVersionId: version.id,
      status: 'pending',
      message: input.message ?? DEFAULT_MESSAGE,
      source: 'tfe-api',
      triggerReason: 'manual',
      isDestroy: input.isDestroy ?? false,
      refresh: input.refresh ?? true,
      refreshOnly: input.refreshOnly ?? false,
      replaceAddrs: input.replaceAddrs?.length ? input.replaceAddrs : null,
      targetAddrs: input.targetAddrs?.length ? input.targetAddrs : null,
      sealedVariables: input.variables?.length ? seal(ctx.config, JSON.stringify(input.variables)) : null,
      planOnly,
      autoApply,
      allowEmptyApply: input.allowEmptyApply ?? false,
      allowConfigGeneration: input.allowConfigGeneration ?? false,
      savePlan: input.savePlan ?? false,
      terraformVersion: input.terraformVersion ?? null,
      debuggingMode: input.debuggingMode ?? false,
      createdById: subject.kind === 'user' ? subject.userId : null,
      triggeredByRunId: null,
      statusTimestamps: {},
      queuedAt: null,
      createdAt: ctx.now(),
    });
  });
  return reload(ctx, id);
}

/** A run the server queues itself, with nobody to authorize: run.mdx "Create a Run"'s defaults on the workspace's settings. */
function serverQueuedRun(workspace: workspaceStore.Workspace, configurationVersionId: string, now: Date): runStore.NewRun {
  return {
    id: newId('run'),
    workspaceId: workspace.id,
    organizationId: workspace.organizationId,
    configurationVersionId,
    status: 'pending',
    message: DEFAULT_MESSAGE,
    source: 'tfe-api',
    triggerReason: 'manual',
    isDestroy: false,
    refresh: true,
    refreshOnly: false,
    replaceAddrs: null,
    targetAddrs: null,
    sealedVariables: null,
    planOnly: false,
    autoApply: workspace.autoApply,
    allowEmptyApply: false,
    allowConfigGeneration: false,
    savePlan: false,
    terraformVersion: null,
    debuggingMode: false,
    createdById: null,
    triggeredByRunId: null,
    statusTimestamps: {},
    queuedAt: null,
    createdAt: now,
  };
}

/**
 * The run an `auto-queue-runs` configuration version queues once uploaded, in the upload's
 * transaction. No caller to authorize: whoever created the version with auto-queue-runs asked for it.
 */
export async function queueForUpload(trx: Db, version: { id: string; workspaceId: WorkspaceId; speculative: boolean }, now: Date): Promise<RunId> {
  const workspace = await workspaceStore.findById(trx, version.workspaceId);
  if (!workspace) throw new NotFoundError(`workspace ${version.workspaceId} not found`);
  return insertRun(trx, {
    ...serverQueuedRun(workspace, version.id, now),
    message: 'Triggered by a configuration version upload',
    source: scheduleStore.CONFIGURATION_VERSION_SOURCE,
    planOnly: version.speculative,
  });
}

/** The trigger reason of the runs run triggers queue. */
export const RUN_TRIGGER_REASON = 'run_trigger';

/**
 * The run a run trigger queues in its workspace after `source` applied (run-triggers.mdx): on the
 * workspace's current configuration version, auto-applied only with `auto-apply-run-trigger`. At most
 * one per source run, however often the trigger's job runs; none when the workspace has no
 * configuration yet. Returns the new run's id.
 */
export async function queueForTrigger(trx: Db, workspaceId: WorkspaceId, source: { runId: RunId; workspaceName: string }, now: Date): Promise<RunId | undefined> {
  const workspace = await workspaceStore.findById(trx, workspaceId);
  if (!workspace) return undefined;
  // Locked before the check, so that two deliveries of the same trigger queue one run.
  await scheduleStore.lockWorkspace(trx, workspace.id);
  if (await runStore.isTriggeredBy(trx, workspace.id, source.runId)) return undefined;
  const versionId = await configurationVersionStore.currentIdOf(trx, workspace.id);
  if (!versionId) return undefined;
  return insertRun(trx, {
    ...serverQueuedRun(workspace, versionId, now),
    message: `Triggered by run ${source.runId} applied in workspace ${source.workspaceName}`,
    triggerReason: RUN_TRIGGER_REASON,
    autoApply: workspace.autoApplyRunTrigger,
    triggeredByRunId: source.runId,
  });
}

/**
 * Inserts a pending run with its plan, apply and first event, then queues it: speculative runs and
 * saved plans go to the runners at once (they neither wait for nor lock the workspace); the others
 * join the workspace's queue.
 */
async function insertRun(trx: Db, settings: runStore.NewRun): Promise<RunId> {
  const now = settings.createdAt;
  await scheduleStore.lockWorkspace(trx, settings.workspaceId);
  await runStore.insert(trx, { ...settings, statusTimestamps: { [statusTimestampKey('pending')]: now.toISOString() }, queuedAt: now });
  await phaseStore.insertBoth(trx, settings.id, { planId: newId('plan'), applyId: newId('apply') }, { 'pending-at': now.toISOString() });
  await taskStageLifecycle.createStages(trx, settings, now);
  recordStatusChange(trx, settings, null, 'pending', settings.createdById);
  await eventStore.insert(trx, {
    id: newId('re'),
    runId: settings.id,
    action: 'pending',
    description: 'Run created',
    actorId: settings.createdById,
    createdAt: now,
  });
  // A new run is `created` whatever its flow: none of it is read yet.
  const flow = { ...settings, enabledStages: new Set<RunStage>(), hasChanges: false };
  await notificationLifecycle.notifyRunStatus(trx, settings, 'pending', flow, { now, actorId: settings.createdById });
  if (!settings.planOnly) await scheduleStore.setLatestRun(trx, settings.workspaceId, settings.id);
  if (settings.planOnly || settings.savePlan) {
    const run = await runStore.findForUpdate(trx, settings.id);
    const next = run && nextStatus(run.status, flowOf(run));
    if (run && next) await changeStatus(trx, run, next, { now });
  } else {
    await scheduleWorkspace(trx, settings.workspaceId, now);
  }
  return settings.id;
}
