import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { literals, MAX_TEXT_LENGTH, parseAttributes, parseCommentBody, parseResourceBody } from '../jsonapi/body.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
import * as taskStageService from './service.js';
import { listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

/** run-task-stages-and-results.mdx "Available Related Resources"; `policy_evaluations` is what the CLI asks for. */
const STAGE_INCLUDES = ['run', 'run.workspace', 'task_results', 'policy_evaluations'] as const;
const RESULT_INCLUDES = ['task_stage', 'task_result_outcomes'] as const;

/** An outcome's body: "a maximum allowable limit of 5MB" (run-tasks-integration.mdx "Outcomes Payload Body"). */
const MAX_OUTCOME_BODY = 5 * 1024 * 1024;
/** Room for a few outcomes with large bodies. */
const CALLBACK_BODY_LIMIT = 16 * 1024 * 1024;
const MAX_OUTCOMES = 100;

const CallbackAttributes = Type.Object({
  // "Only passed, failed or running are allowed."
  status: literals(['running', 'passed', 'failed'] as const),
  message: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  url: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
});

const Tag = Type.Object({ label: Type.String(), level: Type.Optional(literals(['none', 'info', 'warning', 'error'] as const)) });
const Outcomes = Type.Object({
  data: Type.Array(
    Type.Object({
      type: Type.Optional(Type.Literal('task-result-outcomes')),
      attributes: Type.Object({
        'outcome-id': Type.String(),
        description: Type.String({ maxLength: MAX_TEXT_LENGTH }),
        body: Type.Optional(Type.Union([Type.String({ maxLength: MAX_OUTCOME_BODY }), Type.Null()])),
        url: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
        tags: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Array(Tag)), Type.Null()])),
      }),
    }),
    { maxItems: MAX_OUTCOMES },
  ),
});

/** The integration's callback document (run-tasks-integration.mdx "Request Body"); a bad one is a 422. */
function callbackReport(body: unknown): taskStageService.ResultReport {
  const { attributes, relationships } = parseResourceBody(body, 'task-results', CallbackAttributes);
  if (attributes.status === undefined) throw new InvalidError('status is required: running, passed or failed', { pointer: '/data/attributes/status' });
  const outcomes = relationships.outcomes === undefined ? undefined : parseAttributes(relationships.outcomes, Outcomes, '/data/relationships/outcomes');
  return {
    status: attributes.status,
    message: attributes.message ?? undefined,
    url: attributes.url ?? undefined,
    outcomes: outcomes?.data.map(({ attributes: o }) => ({
      outcomeId: o['outcome-id'],
      description: o.description,
      body: o.body ?? null,
      url: o.url ?? null,
      tags: o.tags ?? null,
    })),
  };
}

interface StageParams {
  task_stage_id: string;
}
interface ResultParams {
  task_result_id: string;
}
interface OutcomeParams {
  task_result_outcome_id: string;
}

export async function taskStageRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/runs/:run_id/task-stages', 'task-stages', STAGE_INCLUDES, {}, (ctx, p, page) => taskStageService.listStages(ctx, p.run_id, page));

  memberRoutes(app, '/api/v2/task-stages/:task_stage_id', 'task-stages', STAGE_INCLUDES, {
    show: (ctx, p) => taskStageService.showStage(ctx, p.task_stage_id),
  });

  app.post<{ Params: StageParams; Querystring: IncludeQuery }>(
    '/api/v2/task-stages/:task_stage_id/actions/override',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const view = await taskStageService.override(request.ctx, request.params.task_stage_id, parseCommentBody(request.body));
      return reply.send(await includedDocument(request, 'task-stages', view, STAGE_INCLUDES));
    },
  );

  app.get<{ Params: ResultParams; Querystring: IncludeQuery }>('/api/v2/task-results/:task_result_id', withQuery(IncludeQuery), async (request, reply) => {
    const result = await taskStageService.showResult(request.ctx, request.params.task_result_id);
    return reply.send(await includedDocument(request, 'task-results', result, RESULT_INCLUDES));
  });

  app.patch<{ Params: ResultParams; Querystring: IncludeQuery }>(
    '/api/v2/task-results/:task_result_id/callback',
    { bodyLimit: CALLBACK_BODY_LIMIT, ...withQuery(IncludeQuery) },
    async (request, reply) => {
      const result = await taskStageService.callback(request.ctx, request.params.task_result_id, callbackReport(request.body));
      return reply.send(await includedDocument(request, 'task-results', result, []));
    },
  );

  listRoute(app, '/api/v2/task-results/:task_result_id/outcomes', 'task-result-outcomes', [], {}, (ctx, p, page) =>
    taskStageService.listOutcomes(ctx, p.task_result_id, page),
  );

  app.get<{ Params: OutcomeParams; Querystring: IncludeQuery }>(
    '/api/v2/task-result-outcomes/:task_result_outcome_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const outcome = await taskStageService.showOutcome(request.ctx, request.params.task_result_outcome_id);
      return reply.send(await includedDocument(request, 'task-result-outcomes', outcome, []));
    },
  );

  // The outcome's markdown body, where its `links.body` points.
  app.get<{ Params: OutcomeParams }>('/api/v2/task-result-outcomes/:task_result_outcome_id/body', async (request, reply) => {
    return reply.type('text/markdown; charset=utf-8').send(await taskStageService.outcomeBody(request.ctx, request.params.task_result_outcome_id));
  });
}
