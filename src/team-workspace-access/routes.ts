import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WORKSPACE_ACCESS_LEVELS } from '../auth/access-levels.js';
import { InvalidError } from '../errors.js';
import { literals, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { PageParameters, paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as teamWorkspaceService from './service.js';

import { serializeTeamWorkspace } from './serialize.js';

/** The fine-grained attributes (team-access.mdx "Add Team Access to a Workspace"). */
const PermissionAttributes = {
  runs: Type.Optional(literals(['read', 'plan', 'apply'])),
  variables: Type.Optional(literals(['none', 'read', 'write'])),
  'state-versions': Type.Optional(literals(['none', 'read-outputs', 'read', 'write'])),
  'sentinel-mocks': Type.Optional(literals(['none', 'read'])),
  'workspace-locking': Type.Optional(Type.Boolean()),
  'run-tasks': Type.Optional(Type.Boolean()),
};
const CreateAttributes = Type.Object({ access: literals(WORKSPACE_ACCESS_LEVELS), ...PermissionAttributes });
const UpdateAttributes = Type.Object({ access: Type.Optional(literals(WORKSPACE_ACCESS_LEVELS)), ...PermissionAttributes });

function permissionsInput(a: Static<typeof UpdateAttributes>): teamWorkspaceService.PermissionsInput {
  return {
    runs: a.runs,
    variables: a.variables,
    stateVersions: a['state-versions'],
    sentinelMocks: a['sentinel-mocks'],
    workspaceLocking: a['workspace-locking'],
    runTasks: a['run-tasks'],
  };
}

function required(id: string | undefined, name: string): string {
  if (id === undefined) throw new InvalidError(`relationships.${name} is required`, { pointer: `/data/relationships/${name}` });
  return id;
}

/** team-access.mdx "List Team Access to a Workspace" query parameters. */
const ListQuery = querySchema({ ...PageParameters, 'filter[workspace][id]': QueryText, 'filter[team][id]': QueryText });

interface AccessParams {
  id: string;
}

export async function teamWorkspaceRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v2/team-workspaces', withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const paginated = query['page[number]'] !== undefined || query['page[size]'] !== undefined;
    const page = paginated ? parsePage(query) : undefined;
    const filter = { workspaceId: query['filter[workspace][id]'], teamId: query['filter[team][id]'] };
    const { rows, total } = await teamWorkspaceService.list(ctx, filter, page);
    const parts = page ? paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total) : {};
    return reply.send(document(rows.map(serializeTeamWorkspace), parts));
  });

  // 200, as team-access.mdx "Add Team Access to a Workspace" documents (the OpenAPI says 201; go-tfe accepts both).
  app.post('/api/v2/team-workspaces', async (request, reply) => {
    const { attributes, relationships } = parseResourceBody(request.body, 'team-workspaces', CreateAttributes);
    const row = await teamWorkspaceService.create(request.ctx, {
      workspaceId: required(relationshipId(relationships, 'workspace', 'workspaces'), 'workspace'),
      teamId: required(relationshipId(relationships, 'team', 'teams'), 'team'),
      access: attributes.access,
      permissions: permissionsInput(attributes),
    });
    return reply.send(document(serializeTeamWorkspace(row)));
  });

  app.get<{ Params: AccessParams }>('/api/v2/team-workspaces/:id', async (request, reply) => {
    return reply.send(document(serializeTeamWorkspace(await teamWorkspaceService.show(request.ctx, request.params.id))));
  });

  app.patch<{ Params: AccessParams }>('/api/v2/team-workspaces/:id', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'team-workspaces', UpdateAttributes);
    const row = await teamWorkspaceService.update(request.ctx, request.params.id, attributes.access, permissionsInput(attributes));
    return reply.send(document(serializeTeamWorkspace(row)));
  });

  app.delete<{ Params: AccessParams }>('/api/v2/team-workspaces/:id', async (request, reply) => {
    await teamWorkspaceService.destroy(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
