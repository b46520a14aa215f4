import type { FastifyInstance } from 'fastify';
import { document } from '../jsonapi/document.js';
import * as phaseService from './phase-service.js';
import { serializeApply, serializePlan } from './serialize.js';

interface IdParams {
  id: string;
}

/** Named as in the other `/runs/:run_id…` routes: one parameter name per path position. */
interface RunParams {
  run_id: string;
}

/** plans.mdx "Show a plan", applies.mdx "Show an apply", and both by their run (OpenAPI `/runs/{id}/plan`, `/runs/{id}/apply`). */
export async function phaseRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: IdParams }>('/api/v2/plans/:id', async (request, reply) => {
    return reply.send(document(serializePlan(await phaseService.showPlan(request.ctx, { id: request.params.id }), request.ctx)));
  });

  app.get<{ Params: RunParams }>('/api/v2/runs/:run_id/plan', async (request, reply) => {
    return reply.send(document(serializePlan(await phaseService.showPlan(request.ctx, { runId: request.params.run_id }), request.ctx)));
  });

  app.get<{ Params: IdParams }>('/api/v2/applies/:id', async (request, reply) => {
    return reply.send(document(serializeApply(await phaseService.showApply(request.ctx, { id: request.params.id }), request.ctx)));
  });

  app.get<{ Params: RunParams }>('/api/v2/runs/:run_id/apply', async (request, reply) => {
    return reply.send(document(serializeApply(await phaseService.showApply(request.ctx, { runId: request.params.run_id }), request.ctx)));
  });
}
