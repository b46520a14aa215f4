import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import { IncludeParameters, IncludeQuery } from '../jsonapi/include.js';
import { PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import { type Static, Type } from '@sinclair/typebox';
import * as runTriggerService from './service.js';

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
interface TriggerParams {
  run_trigger_id: string;
}

export async function runTriggerRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: WorkspaceParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/run-triggers',
    withQuery(IncludeQuery),
    async (request, reply) => {
      // run-triggers.mdx's sample payload has no `data.type`; go-tfe sends it.
      const { relationships } = parseResourceBody(request.body, 'run-triggers', Type.Object({}), { typeMayBeMissing: true });
      const trigger = await runTriggerService.create(request.ctx, request.params.workspace_id, relationshipId(relationships, 'sourceable', 'workspaces'));
      return reply.code(201).send(await includedDocument(request, 'run-triggers', trigger, INCLUDES));
    },
  );

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

  app.get<{ Params: TriggerParams; Querystring: IncludeQuery }>('/api/v2/run-triggers/:run_trigger_id', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'run-triggers', await runTriggerService.show(request.ctx, request.params.run_trigger_id), INCLUDES));
  });

  app.delete<{ Params: TriggerParams }>('/api/v2/run-triggers/:run_trigger_id', async (request, reply) => {
    await runTriggerService.destroy(request.ctx, request.params.run_trigger_id);
    return reply.code(204).send();
  });
}
