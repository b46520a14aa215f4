import { isRunId } from '../ids.js';
import type { Action } from '../auth/permissions.js';
import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import type { Ctx } from '../context.js';
import type { RunEvent } from './event-store.js';
import { logReadUrl } from './log-service.js';
import type { Phase, Plan } from './phase-store.js';
import * as runService from './service.js';
import type { QueuedRunView, RunView } from './service.js';
import { carriedRelation, registerResourceType } from '../jsonapi/include-registry.js';

/** The run, plan, apply and run-event resources. Each attribute is named explicitly. */

/** The run's `permissions`: each key and the action that grants it; null for what Terrace does not have (always false). */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-apply': 'workspace:apply-run',
  'can-cancel': 'workspace:cancel-run',
  // Permission to queue plans "also allows users to comment on runs" (permissions.mdx "Run access").
  'can-comment': 'workspace:queue-run',
  'can-discard': 'workspace:discard-run',
  'can-force-execute': 'workspace:force-execute-run',
  'can-force-cancel': 'workspace:force-cancel-run',
  'can-override-policy-check': null,
};

export function serializeRun(view: RunView | QueuedRunView): ResourceObject {
  const { run, actions } = view;
  const path = apiPath('runs', run.id);
  const canceledAt = run.statusTimestamps['canceled-at'] ?? run.statusTimestamps['force-canceled-at'] ?? null;
  return resource(
    'runs',
    run.id,
    {
      // The CLI drives confirm, cancel and discard from these; a run without them crashes it (cli-protocol.md §11.3).
      actions: {
        'is-cancelable': actions.isCancelable,
        'is-confirmable': actions.isConfirmable,
        'is-discardable': actions.isDiscardable,
        'is-force-cancelable': actions.isForceCancelable,
      },
      'allow-config-generation': run.allowConfigGeneration,
      'allow-empty-apply': run.allowEmptyApply,
      'auto-apply': run.autoApply,
      'canceled-at': canceledAt,
      'created-at': timestamp(run.createdAt),
      'debugging-mode': run.debuggingMode,
      // Only once a cancel was requested (run.mdx "Forcefully cancel a run").
      ...(view.forceCancelAvailableAt ? { 'force-cancel-available-at': timestamp(view.forceCancelAvailableAt) } : {}),
      'has-changes': run.hasChanges,
      'is-destroy': run.isDestroy,
      message: run.message,
      permissions: Object.fromEntries(Object.entries(PERMISSIONS).map(([key, action]) => [key, action !== null && view.allowed.has(action)])),
      'plan-only': run.planOnly,
      // Only in the organization's queue (runs/queue), where it is known.
      ...('positionInQueue' in view ? { 'position-in-queue': view.positionInQueue } : {}),
      refresh: run.refresh,
      'refresh-only': run.refreshOnly,
      'replace-addrs': run.replaceAddrs,
      'save-plan': run.savePlan,
      source: run.source,
      status: run.status,
      'status-timestamps': run.statusTimestamps,
      'target-addrs': run.targetAddrs,
      'terraform-version': run.terraformVersion,
      'trigger-reason': run.triggerReason,
      variables: view.variables.map((v) => ({ key: v.key, value: v.value })),
    },
    {
      workspace: toOne('workspaces', run.workspaceId),
      'configuration-version': toOne('configuration-versions', run.configurationVersionId),
      plan: { ...toOne('plans', view.plan.id), links: { related: `${path}/plan` } },
      apply: { ...toOne('applies', view.apply.id), links: { related: `${path}/apply` } },
      'created-by': toOne('users', run.createdById),
      // No cost estimation or Sentinel policy checks: the CLI reads null and empty lists as "none" (cli-protocol.md §6.3).
      'cost-estimate': toOne('cost-estimates', null),
      'policy-checks': { data: [] },
      'task-stages': toMany(
        'task-stages',
        run.taskStages.map((s) => s.id),
      ),
      // go-tfe reads the events from here; the create response already has the first (seeds/002 run.md).
      'run-events': { data: view.eventIds.map((id) => ({ type: 'run-events', id })), links: { related: `${path}/run-events` } },
    },
    { self: path },
  );
}

function counts(phase: Phase): Record<string, number> {
  return {
    'resource-additions': phase.counts.additions,
    'resource-changes': phase.counts.changes,
    'resource-destructions': phase.counts.destructions,
    'resource-imports': phase.counts.imports,
  };
}

/** Terrace runs every phase itself: no agents. */
const EXECUTION_DETAILS = { mode: 'remote' };

/** What the signed `log-read-url` is made with. */
type UrlContext = Pick<Ctx, 'config' | 'baseUrl' | 'now'>;

export function serializePlan(plan: Plan, ctx: UrlContext): ResourceObject {
  return resource(
    'plans',
    plan.id,
    {
      'execution-details': EXECUTION_DETAILS,
      'generated-configuration': plan.generatedConfiguration,
      'has-changes': plan.hasChanges,
      // Absolute, signature in the path: the CLI reads it without a token (cli-protocol.md §6.4).
      'log-read-url': logReadUrl(ctx, 'plans', plan.id),
      ...counts(plan),
      status: plan.status,
      'status-timestamps': plan.statusTimestamps,
    },
    undefined,
    { self: apiPath('plans', plan.id), 'json-output': `${apiPath('plans', plan.id)}/json-output` },
  );
}

export function serializeApply(apply: Phase, ctx: UrlContext): ResourceObject {
  return resource(
    'applies',
    apply.id,
    {
      'execution-details': EXECUTION_DETAILS,
      'log-read-url': logReadUrl(ctx, 'applies', apply.id),
      ...counts(apply),
      status: apply.status,
      'status-timestamps': apply.statusTimestamps,
    },
    undefined,
    { self: apiPath('applies', apply.id) },
  );
}

export function serializeRunEvent(event: RunEvent): ResourceObject {
  return resource(
    'run-events',
    event.id,
    { action: event.action, 'created-at': timestamp(event.createdAt), description: event.description },
    { actor: toOne('users', event.actorId) },
  );
}

/** `organization-capacity` (go-tfe Organizations.ReadCapacity): identified by the organization's name. */
export function serializeOrganizationCapacity(capacity: { organizationName: string; running: number; pending: number }): ResourceObject {
  return resource('organization-capacity', capacity.organizationName, { pending: capacity.pending, running: capacity.running });
}

registerResourceType<RunView>('runs', {
  serialize: serializeRun,
  load: (ctx, ids) => runService.visibleViews(ctx, ids.filter(isRunId)),
  relations: {
    plan: carriedRelation({ type: 'plans', idOf: (v) => v.run.id, membersOf: (v) => [v.plan] }),
    apply: carriedRelation({ type: 'applies', idOf: (v) => v.run.id, membersOf: (v) => [v.apply] }),
  },
});
registerResourceType<Plan>('plans', { serialize: serializePlan });
registerResourceType<Phase>('applies', { serialize: serializeApply });
