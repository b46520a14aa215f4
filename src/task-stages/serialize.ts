import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as taskStageService from './service.js';
import type { Outcome, TaskResult, TaskStageView } from './service.js';

/** Task stages, task results and their outcomes (run-task-stages-and-results.mdx; OpenAPI `task-result-outcomes`). */

export function serializeTaskStage({ stage, canOverride }: TaskStageView): ResourceObject {
  return resource(
    'task-stages',
    stage.id,
    {
      status: stage.status,
      stage: stage.stage,
      'status-timestamps': stage.statusTimestamps,
      'created-at': timestamp(stage.createdAt),
      'updated-at': timestamp(stage.updatedAt),
      // One permission overrides both the tasks and the policies of a stage.
      permissions: { 'can-override-policy': canOverride, 'can-override-tasks': canOverride, 'can-override': canOverride },
      actions: { 'is-overridable': stage.status === 'awaiting_override' },
    },
    {
      run: toOne('runs', stage.runId),
      'task-results': toMany('task-results', stage.resultIds),
      'policy-evaluations': toMany('policy-evaluations', stage.policyEvaluationIds),
    },
    { self: apiPath('task-stages', stage.id) },
  );
}

export function serializeTaskResult(result: TaskResult): ResourceObject {
  return resource(
    'task-results',
    result.id,
    {
      message: result.message,
      status: result.status,
      'status-timestamps': result.statusTimestamps,
      url: result.url,
      'created-at': timestamp(result.createdAt),
      'updated-at': timestamp(result.updatedAt),
      'task-id': result.taskId,
      'task-name': result.taskName,
      'task-url': result.taskUrl,
      'task-result-outcomes-count': result.outcomeIds.length,
      stage: result.stage,
      'is-speculative': result.isSpeculative,
      'workspace-task-id': result.workspaceTaskId,
      'workspace-task-enforcement-level': result.enforcementLevel,
      // Terrace calls task URLs itself: never through an agent pool.
      'agent-pool-id': null,
    },
    {
      'task-stage': toOne('task-stages', result.taskStageId),
      'task-result-outcomes': { ...toMany('task-result-outcomes', result.outcomeIds), links: { related: `${apiPath('task-results', result.id)}/outcomes` } },
    },
    { self: apiPath('task-results', result.id) },
  );
}

/** Tags as the OpenAPI document shows them: the callback's object of named tag lists, as a list of `{label, value}`. */
export function serializeOutcome(outcome: Outcome): ResourceObject {
  const path = apiPath('task-result-outcomes', outcome.id);
  return resource(
    'task-result-outcomes',
    outcome.id,
    {
      'created-at': timestamp(outcome.createdAt),
      'outcome-id': outcome.outcomeId,
      description: outcome.description,
      tags:
        outcome.tags &&
        Object.entries(outcome.tags).map(([label, value]) => ({ label, value: value.map((t) => ({ label: t.label, level: t.level ?? 'none' })) })),
      url: outcome.url,
    },
    { 'task-result': toOne('task-results', outcome.taskResultId) },
    { self: path, ...(outcome.body !== null ? { body: `${path}/body` } : {}) },
  );
}

registerResourceType<TaskStageView>('task-stages', {
  serialize: serializeTaskStage,
  load: (ctx, ids) => taskStageService.visibleStages(ctx, ids),
});
registerResourceType<TaskResult>('task-results', {
  serialize: serializeTaskResult,
  load: (ctx, ids) => taskStageService.visibleResults(ctx, ids),
});
registerResourceType<Outcome>('task-result-outcomes', {
  serialize: serializeOutcome,
  load: (ctx, ids) => taskStageService.visibleOutcomes(ctx, ids),
});
