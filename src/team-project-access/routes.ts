import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ACCESS_LEVELS } from '../auth/access-levels.js';
import { InvalidError } from '../errors.js';
import { literals, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as teamProjectService from './service.js';

import { serializeTeamProject } from './serialize.js';

/** project-team-access.mdx "Add Team Access to a Project"; `variable-sets` from permissions.mdx, plus the tfe provider's `write` (= manage). */
const PermissionAttributes = {
  'project-access': Type.Optional(
    Type.Object({
      settings: Type.Optional(literals(['read', 'update', 'delete'])),
      teams: Type.Optional(literals(['none', 'read', 'manage'])),
      'variable-sets': Type.Optional(literals(['none', 'read', 'write', 'manage'])),
    }),
  ),
  'workspace-access': Type.Optional(
    Type.Object({
      runs: Type.Optional(literals(['read', 'plan', 'apply'])),
      'sentinel-mocks': Type.Optional(literals(['none', 'read'])),
      'state-versions': Type.Optional(literals(['none', 'read-outputs', 'read', 'write'])),
      variables: Type.Optional(literals(['none', 'read', 'write'])),
      create: Type.Optional(Type.Boolean()),
      locking: Type.Optional(Type.Boolean()),
      delete: Type.Optional(Type.Boolean()),
      move: Type.Optional(Type.Boolean()),
      'run-tasks': Type.Optional(Type.Boolean()),
    }),
  ),
};
const CreateAttributes = Type.Object({ access: literals(PROJECT_ACCESS_LEVELS), ...PermissionAttributes });
const UpdateAttributes = Type.Object({ access: Type.Optional(literals(PROJECT_ACCESS_LEVELS)), ...PermissionAttributes });

function permissionsInput(a: Static<typeof UpdateAttributes>): teamProjectService.PermissionsInput {
  const project = a['project-access'];
  const workspace = a['workspace-access'];
  return {
    project: project && { settings: project.settings, teams: project.teams, variableSets: project['variable-sets'] },
    workspace: workspace && {
      runs: workspace.runs,
      sentinelMocks: workspace['sentinel-mocks'],
      stateVersions: workspace['state-versions'],
      variables: workspace.variables,
      create: workspace.create,
      workspaceLocking: workspace.locking,
      delete: workspace.delete,
      move: workspace.move,
      runTasks: workspace['run-tasks'],
    },
  };
}

function required(id: string | undefined, name: string): string {
  if (id === undefined) throw new InvalidError(`relationships.${name} is required`, { pointer: `/data/relationships/${name}` });
  return id;
}

/** project-team-access.mdx "List Team Access to a Project" query parameters. */
const ListQuery = querySchema({ ...PageParameters, 'filter[project][id]': QueryText });

interface AccessParams {
  id: string;
}

export async function teamProjectRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/v2/team-projects', withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    const { items: rows, parts } = await listPage(request, (page) => teamProjectService.list(ctx, query['filter[project][id]'], page));
    return reply.send(document(rows.map(serializeTeamProject), parts));
  });

  // 200, as project-team-access.mdx "Add Team Access to a Project" documents.
  app.post('/api/v2/team-projects', async (request, reply) => {
    const { attributes, relationships } = parseResourceBody(request.body, 'team-projects', CreateAttributes);
    const row = await teamProjectService.create(request.ctx, {
      projectId: required(relationshipId(relationships, 'project', 'projects'), 'project'),
      teamId: required(relationshipId(relationships, 'team', 'teams'), 'team'),
      access: attributes.access,
      permissions: permissionsInput(attributes),
    });
    return reply.send(document(serializeTeamProject(row)));
  });

  app.get<{ Params: AccessParams }>('/api/v2/team-projects/:id', async (request, reply) => {
    return reply.send(document(serializeTeamProject(await teamProjectService.show(request.ctx, request.params.id))));
  });

  app.patch<{ Params: AccessParams }>('/api/v2/team-projects/:id', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'team-projects', UpdateAttributes);
    const row = await teamProjectService.update(request.ctx, request.params.id, attributes.access, permissionsInput(attributes));
    return reply.send(document(serializeTeamProject(row)));
  });

  app.delete<{ Params: AccessParams }>('/api/v2/team-projects/:id', async (request, reply) => {
    await teamProjectService.destroy(request.ctx, request.params.id);
    return reply.code(204).send();
  });
}
