import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { withQuery } from '../jsonapi/query.js';
import * as policyEvaluationService from './service.js';
import type { OutcomeFilter } from './service.js';
import { listRoute } from '../jsonapi/resource-routes.js';

const FILTER = /^filter\[([^\]]+)\]\[(status|enforcementLevel|enforcement_level)\]$/;
const STATUSES = ['passed', 'failed', 'errored'];
const LEVELS = ['advisory', 'mandatory'];

/**
 * `filter[n][status]` and `filter[n][enforcementLevel]` (policy-evaluations.mdx; go-tfe sends
 * `enforcement_level`): one filter per n, any of which a set's outcomes may match.
 */
function outcomeFilters(query: Readonly<Record<string, unknown>>): OutcomeFilter[] {
  const byIndex = new Map<string, { status?: string; level?: string }>();
  for (const [name, raw] of Object.entries(query)) {
    const match = FILTER.exec(name);
    if (!match) continue;
    const value = String(raw);
    const entry = byIndex.get(match[1] as string) ?? {};
    if (match[2] === 'status') {
      if (!STATUSES.includes(value)) throw new InvalidError(`${name} must be passed, failed or errored`, { parameter: name });
      entry.status = value;
    } else {
      if (!LEVELS.includes(value)) throw new InvalidError(`${name} must be advisory or mandatory`, { parameter: name });
      entry.level = value;
    }
    byIndex.set(match[1] as string, entry);
  }
  return [...byIndex].map(([index, f]) => {
    if (!f.status) throw new InvalidError(`filter[${index}][status] is required with its enforcement level`, { parameter: `filter[${index}][status]` });
    return { status: f.status as OutcomeFilter['status'], enforcementLevel: f.level as OutcomeFilter['enforcementLevel'] };
  });
}

export async function policyEvaluationRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/task-stages/:task_stage_id/policy-evaluations', 'policy-evaluations', [], {}, (ctx, p, page) =>
    policyEvaluationService.listOfStage(ctx, p.task_stage_id, page),
  );

  listRoute(app, '/api/v2/policy-evaluations/:id/policy-set-outcomes', 'policy-set-outcomes', [], {}, (ctx, p, page, query) =>
    policyEvaluationService.listOutcomes(ctx, p.id, outcomeFilters(query), page),
  );

  app.get<{ Params: { id: string }; Querystring: IncludeQuery }>('/api/v2/policy-set-outcomes/:id', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'policy-set-outcomes', await policyEvaluationService.showOutcome(request.ctx, request.params.id), []));
  });
}
