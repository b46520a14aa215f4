import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { QueryText } from '../jsonapi/query.js';
import { Type } from '@sinclair/typebox';
import * as runTriggerService from './service.js';
import { createRoute, type FilterValues, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

/** run-triggers.mdx "Available Related Resources". */
const INCLUDES = ['workspace', 'sourceable'] as const;
const TYPE_FILTER = 'filter[run-trigger][type]';
const DIRECTIONS: readonly runTriggerService.Direction[] = ['inbound', 'outbound'];

const ListFilters = { [TYPE_FILTER]: QueryText };

/** The required `filter[run-trigger][type]`: a 400 when missing or not inbound/outbound (run-triggers.mdx "List Run Triggers"). */
function direction(query: FilterValues<typeof ListFilters>): runTriggerService.Direction {
  const value = query[TYPE_FILTER];
  if (value === undefined || !(DIRECTIONS as readonly string[]).includes(value)) {
    throw new BadRequestError(`${TYPE_FILTER} is required: inbound or outbound`, { parameter: TYPE_FILTER });
  }
  return value as runTriggerService.Direction;
}

export async function runTriggerRoutes(app: FastifyInstance): Promise<void> {
  createRoute(app, '/api/v2/workspaces/:workspace_id/run-triggers', 'run-triggers', INCLUDES, (ctx, p, body) => {
    // run-triggers.mdx's sample payload has no `data.type`; go-tfe sends it.
    const { relationships } = parseResourceBody(body, 'run-triggers', Type.Object({}), { typeMayBeMissing: true });
    return runTriggerService.create(ctx, p.workspace_id, relationshipId(relationships, 'sourceable', 'workspaces'));
  });

  listRoute(app, '/api/v2/workspaces/:workspace_id/run-triggers', 'run-triggers', INCLUDES, ListFilters, (ctx, p, page, query) =>
    runTriggerService.list(ctx, p.workspace_id, direction(query), page),
  );

  memberRoutes(app, '/api/v2/run-triggers/:run_trigger_id', 'run-triggers', INCLUDES, {
    show: (ctx, p) => runTriggerService.show(ctx, p.run_trigger_id),
    destroy: (ctx, p) => runTriggerService.destroy(ctx, p.run_trigger_id),
  });
}
