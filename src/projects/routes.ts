import { documentWith } from '../jsonapi/include-registry.js';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Action } from '../auth/permissions.js';
import { MAX_TEXT_LENGTH, parseLinkageIds, parseResourceArray, parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { IncludeParameters, IncludeQuery, parseInclude } from '../jsonapi/include.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, queryEnum, querySchema, queryTagged, splitList, withQuery } from '../jsonapi/query.js';
import * as projectService from './service.js';
import { requestBindings, type TagBindingInput, validateTagBindings } from './tag-bindings.js';

import { serializeEffectiveTagBinding, serializeProject, serializeTagBinding } from './serialize.js';
const NullableString = Type.Union([Type.String(), Type.Null()]);

/** The execution settings of the OpenAPI `projects` schema (go-tfe ProjectCreateOptions). */
const ExecutionSettings = {
  'default-execution-mode': Type.Optional(Type.Union([Type.Literal('remote'), Type.Literal('local'), Type.Literal('agent')])),
  'default-agent-pool-id': Type.Optional(NullableString),
  'setting-overwrites': Type.Optional(
    Type.Object({ 'default-execution-mode': Type.Optional(Type.Boolean()), 'default-agent-pool': Type.Optional(Type.Boolean()) }),
  ),
};
const CreateAttributes = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  'auto-destroy-activity-duration': Type.Optional(NullableString),
  ...ExecutionSettings,
});
const UpdateAttributes = Type.Partial(CreateAttributes);

/** go-tfe's ProjectIncludeOpt. */
const INCLUDES = ['effective_tag_bindings'] as const;

/** `filter[permissions][…]`: "if present", only the projects where the caller may do this (projects.mdx). */
const PERMISSION_FILTERS = {
  'filter[permissions][create-workspace]': 'workspace:create',
  'filter[permissions][update]': 'project:update',
} as const satisfies Record<string, Action>;

/** projects.mdx "List projects" query parameters; `filter[tagged][i][…]` are read by queryTagged. */
const ListQuery = querySchema({
  ...PageParameters,
  ...IncludeParameters,
  q: QueryText,
  sort: queryEnum(['name', '-name']),
  'filter[names]': QueryText,
  'filter[permissions][create-workspace]': QueryText,
  'filter[permissions][update]': QueryText,
});
type ListQuery = Static<typeof ListQuery>;

function requiredActions(query: ListQuery): Action[] {
  return (Object.keys(PERMISSION_FILTERS) as (keyof typeof PERMISSION_FILTERS)[])
    .filter((name) => query[name] !== undefined && query[name] !== 'false')
    .map((name) => PERMISSION_FILTERS[name]);
}

/** `relationships.tag-bindings` of a create or update document, checked; undefined when absent. */
function relationshipTagBindings(relationships: Record<string, unknown>): TagBindingInput[] | undefined {
  const linkage = relationships['tag-bindings'];
  if (linkage === undefined) return undefined;
  const base = '/data/relationships/tag-bindings';
  return validateTagBindings(
    parseResourceArray(linkage, 'tag-bindings', base, 'invalid').map(({ item }) => item),
    `${base}/data`,
  );
}

/** The service's input from a create or update document: the attributes given, and the tag bindings when present. */
function projectInput<Attributes extends Partial<typeof CreateAttributes.static>>(body: { attributes: Attributes; relationships: Record<string, unknown> }) {
  const { attributes } = body;
  return {
    name: attributes.name as Attributes['name'],
    description: attributes.description,
    autoDestroyActivityDuration: attributes['auto-destroy-activity-duration'],
    tagBindings: relationshipTagBindings(body.relationships),
    defaultExecutionMode: attributes['default-execution-mode'],
    defaultAgentPoolId: attributes['default-agent-pool-id'],
    settingOverwrites: attributes['setting-overwrites'],
  };
}

interface OrganizationParams {
  organization_name: string;
}

interface ProjectParams {
  project_id: string;
}

export async function projectRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams; Querystring: ListQuery }>(
    '/api/v2/organizations/:organization_name/projects',
    withQuery(ListQuery),
    async (request, reply) => {
      const { ctx, query } = request;
      const include = parseInclude(query, INCLUDES);
      const names = splitList(query['filter[names]']);
      const tagged = queryTagged(query);
      const {
        items: views,
        total,
        organizationTotal,
        parts: { links, meta },
      } = await listPage(request, (page) =>
        projectService.list(ctx, request.params.organization_name, {
          filter: {
            names: names && names.length > 0 ? names : undefined,
            search: query.q || undefined,
            tagged: tagged.length > 0 ? tagged : undefined,
          },
          descending: query.sort === '-name',
          requiredActions: requiredActions(query),
          withBindings: include.has('effective_tag_bindings'),
          page,
        }),
      );
      return reply.send(
        await documentWith(ctx, 'projects', views, include, {
          links,
          meta: { 'status-counts': { total: organizationTotal, matching: total }, ...meta },
        }),
      );
    },
  );

  app.post<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/projects', async (request, reply) => {
    const input = projectInput(parseResourceBody(request.body, 'projects', CreateAttributes));
    const view = await projectService.create(request.ctx, request.params.organization_name, input);
    return reply.code(201).send(document(serializeProject(view)));
  });

  app.get<{ Params: ProjectParams; Querystring: IncludeQuery }>('/api/v2/projects/:project_id', withQuery(IncludeQuery), async (request, reply) => {
    const include = parseInclude(request.query, INCLUDES);
    const view = await projectService.show(request.ctx, request.params.project_id, { withBindings: include.has('effective_tag_bindings') });
    return reply.send(await documentWith(request.ctx, 'projects', view, include));
  });

  app.patch<{ Params: ProjectParams }>('/api/v2/projects/:project_id', async (request, reply) => {
    const input = projectInput(parseResourceBody(request.body, 'projects', UpdateAttributes));
    const view = await projectService.update(request.ctx, request.params.project_id, input);
    return reply.send(document(serializeProject(view)));
  });

  app.delete<{ Params: ProjectParams }>('/api/v2/projects/:project_id', async (request, reply) => {
    await projectService.destroy(request.ctx, request.params.project_id);
    return reply.code(204).send();
  });

  app.post<{ Params: ProjectParams }>('/api/v2/projects/:project_id/relationships/workspaces', async (request, reply) => {
    const ids = parseLinkageIds(request.body, 'workspaces', '', 'bad-request');
    await projectService.moveWorkspaces(request.ctx, request.params.project_id, ids);
    return reply.code(204).send();
  });

  for (const path of ['/api/v2/projects/:project_id/tag-bindings', '/api/v2/projects/:project_id/relationships/tag-bindings']) {
    app.get<{ Params: ProjectParams }>(path, async (request, reply) => {
      const bindings = await projectService.listTagBindings(request.ctx, request.params.project_id);
      return reply.send(document(bindings.map(serializeTagBinding)));
    });
  }

  app.get<{ Params: ProjectParams }>('/api/v2/projects/:project_id/effective-tag-bindings', async (request, reply) => {
    const bindings = await projectService.listTagBindings(request.ctx, request.params.project_id);
    return reply.send(document(bindings.map(serializeEffectiveTagBinding)));
  });

  app.patch<{ Params: ProjectParams }>('/api/v2/projects/:project_id/tag-bindings', async (request, reply) => {
    const bindings = await projectService.addTagBindings(request.ctx, request.params.project_id, requestBindings(request.body));
    return reply.send(document(bindings.map(serializeTagBinding)));
  });

  // The same addition, answered 204 (OpenAPI addProjectTagBindings).
  app.post<{ Params: ProjectParams }>('/api/v2/projects/:project_id/relationships/tag-bindings', async (request, reply) => {
    await projectService.addTagBindings(request.ctx, request.params.project_id, requestBindings(request.body));
    return reply.code(204).send();
  });

  // Every binding replaced (OpenAPI replaceProjectTagBindings): an empty list removes them all.
  app.patch<{ Params: ProjectParams }>('/api/v2/projects/:project_id/relationships/tag-bindings', async (request, reply) => {
    await projectService.update(request.ctx, request.params.project_id, { tagBindings: requestBindings(request.body) });
    return reply.code(204).send();
  });
}
