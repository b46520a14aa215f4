import { Type } from '@sinclair/typebox';
import { includedDocument } from '../jsonapi/include-registry.js';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document, resource } from '../jsonapi/document.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import { QueryText, queryEnum, withQuery } from '../jsonapi/query.js';
import * as resourceService from './resource-service.js';
import { serializeStateVersion } from './serialize.js';
import * as stateVersionService from './service.js';
import { stateUploadRoutes } from './upload-routes.js';
import { listRoute } from '../jsonapi/resource-routes.js';

/**
 * A create body may carry the state and JSON state inline (base64, so a third larger); larger states
 * go to the upload URL, which streams. The limit bounds what one request holds in memory.
 */
const CREATE_BODY_LIMIT = 32 * 1024 * 1024;

const InlineState = Type.String({ maxLength: CREATE_BODY_LIMIT });

/** state-versions.mdx "Create a State Version": the CLI's body (cli-protocol.md §5.2) or the API's with base64 content. */
const CreateAttributes = Type.Object({
  // A bigint column.
  serial: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  md5: Type.String(),
  lineage: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  force: Type.Optional(Type.Boolean()),
  state: Type.Optional(InlineState),
  'json-state': Type.Optional(InlineState),
  'json-state-outputs': Type.Optional(InlineState),
});

/** state-versions.mdx "Available Related Resources". */
const INCLUDES = ['outputs', 'created_by', 'run', 'run.created_by', 'run.configuration_version'] as const;

const STATUSES: readonly stateVersionService.StateVersionStatus[] = ['pending', 'finalized', 'discarded'];

/** state-versions.mdx "List State Versions for a Workspace" query parameters; both filters are required (checked below, with their names). */
const ListFilters = {
  'filter[workspace][name]': QueryText,
  'filter[organization][name]': QueryText,
  'filter[status]': queryEnum(STATUSES),
};

/** A required filter: a 422 naming it when absent or empty. */
function required(value: string | undefined, name: string): string {
  if (!value) throw new InvalidError(`${name} is required`, { parameter: name });
  return value;
}

interface WorkspaceParams {
  workspace_id: string;
}

export async function stateVersionRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Params: WorkspaceParams }>('/api/v2/workspaces/:workspace_id/state-versions', { bodyLimit: CREATE_BODY_LIMIT }, async (request, reply) => {
    const { attributes: a, relationships } = parseResourceBody(request.body, 'state-versions', CreateAttributes);
    const view = await stateVersionService.create(request.ctx, request.params.workspace_id, {
      serial: a.serial,
      md5: a.md5,
      lineage: a.lineage ?? undefined,
      force: a.force ?? false,
      state: a.state,
      jsonState: a['json-state'],
      jsonStateOutputs: a['json-state-outputs'],
      runId: relationshipId(relationships, 'run', 'runs'),
    });
    return reply.code(201).send(document(serializeStateVersion(request.ctx, view)));
  });

  app.patch<{ Params: WorkspaceParams }>('/api/v2/workspaces/:workspace_id/state-versions', async (request, reply) => {
    const { relationships } = parseResourceBody(request.body, 'state-versions', Type.Object({}));
    const sourceId = relationshipId(relationships, 'rollback-state-version', 'state-versions');
    if (sourceId === undefined) {
      throw new InvalidError('relationships.rollback-state-version is required', { pointer: '/data/relationships/rollback-state-version' });
    }
    const view = await stateVersionService.rollback(request.ctx, request.params.workspace_id, sourceId);
    return reply.code(201).send(document(serializeStateVersion(request.ctx, view)));
  });

  listRoute(app, '/api/v2/state-versions', 'state-versions', INCLUDES, ListFilters, (ctx, _p, page, query) =>
    stateVersionService.list(ctx, {
      workspaceName: required(query['filter[workspace][name]'], 'filter[workspace][name]'),
      organizationName: required(query['filter[organization][name]'], 'filter[organization][name]'),
      status: query['filter[status]'],
      page,
    }),
  );

  app.get<{ Params: { state_version_id: string }; Querystring: IncludeQuery }>(
    '/api/v2/state-versions/:state_version_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedDocument(request, 'state-versions', await stateVersionService.show(request.ctx, request.params.state_version_id), INCLUDES),
      );
    },
  );

  app.get<{ Params: WorkspaceParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/current-state-version',
    withQuery(IncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedDocument(request, 'state-versions', await stateVersionService.current(request.ctx, request.params.workspace_id), INCLUDES),
      );
    },
  );

  app.get<{ Params: WorkspaceParams; Querystring: PageQuery }>('/api/v2/workspaces/:workspace_id/resources', withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    const { items: resources, parts } = await listPage(request, (page) => resourceService.list(ctx, request.params.workspace_id, page));
    const data = resources.map((r) =>
      resource('resources', r.id, {
        address: r.address,
        name: r.name,
        // Dates, as workspace-resources.mdx shows them.
        'created-at': r.createdAt.toISOString().slice(0, 10),
        'updated-at': r.updatedAt.toISOString().slice(0, 10),
        module: r.module,
        provider: r.provider,
        'provider-type': r.providerType,
        'modified-by-state-version-id': r.modifiedByStateVersionId,
        'name-index': r.nameIndex,
      }),
    );
    return reply.send(document(data, parts));
  });

  await app.register(stateUploadRoutes);
}
