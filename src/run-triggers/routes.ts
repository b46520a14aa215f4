import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { includedPage } from '../jsonapi/include-registry.js';
import { IncludeParameters } from '../jsonapi/include.js';
import { PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import { type Static, Type } from '@sinclair/typebox';
import * as runTriggerService from './service.js';
import { createRoute, memberRoutes } from '../jsonapi/resource-routes.js';

/** run-triggers.mdx "Available Related Resources". */
const INCLUDES = ['workspace', 'sourceable'] as const;
const TYPE_FILTER = 'filter[run-trigger][type]';
const DIRECTIONS: readonly runTriggerService.Direction[] = ['inbound', 'outbound'];

const ListQuery = querySchema({ ...PageParameters, ...IncludeParameters, [TYPE_FILTER]: QueryText });
type ListQuery = Static<typeof ListQuery>;

/** The required `filter[run-trigger][type]`: a 400 when missing or not inbound/outbound (run-triggers.mdx "List Run Triggers"). */
function direction(query: ListQuery): runTriggerService.Direction {
  const value = query[TYPE_FILTER];
  if (value === undefined || !(DIRECTIONS as readonly string[]).includes(value)) {
    throw new BadRequestError(`${TYPE_FILTER} is required: inbound or outbound`, { parameter: TYPE_FILTER });
  }
  return value as runTriggerService.Direction;
}

interface WorkspaceParams {
  workspace_id: string;
}

export async function runTriggerRoutes(app: FastifyInstance): Promise<void> {
  createRoute(app, '/api/v2/workspaces/:workspace_id/run-triggers', 'run-triggers', INCLUDES, (ctx, p, body) => {
    // run-triggers.mdx's sample payload has no `data.type`; go-tfe sends it.
    const { relationships } = parseResourceBody(body, 'run-triggers', Type.Object({}), { typeMayBeMissing: true });
    return runTriggerService.create(ctx, p.workspace_id, relationshipId(relationships, 'sourceable', 'workspaces'));
  });

  app.get<{ Params: WorkspaceParams; Querystring: ListQuery }>(
    '/api/v2/workspaces/:workspace_id/run-triggers',
    withQuery(ListQuery),
    async (request, reply) => {
      return reply.send(
        await includedPage(request, 'run-triggers', INCLUDES, (page) =>
          runTriggerService.list(request.ctx, request.params.workspace_id, direction(request.query), page),
        ),
      );
    },
  );

  memberRoutes(app, '/api/v2/run-triggers/:run_trigger_id', 'run-triggers', INCLUDES, {
    show: (ctx, p) => runTriggerService.show(ctx, p.run_trigger_id),
    destroy: (ctx, p) => runTriggerService.destroy(ctx, p.run_trigger_id),
  });
}
