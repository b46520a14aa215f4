import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Action } from '../auth/permissions.js';
import { InvalidError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseResourceArray, parseResourceBody } from '../jsonapi/body.js';
import { document, type ResourceObject, resource, timestamp, toMany, toOne } from '../jsonapi/document.js';
import { parseInclude } from '../jsonapi/include.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryList, queryString, queryTagged } from '../jsonapi/query.js';
import * as projectService from './service.js';
import { type TagBindingInput, validateTagBindings } from './tag-bindings.js';

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

/**
 * The `permissions` attribute (OpenAPI `projects` schema): each key and the action that grants it. null
 * marks what Terrace does not implement yet (always false).
 */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-read': 'project:read',
  'can-update': 'project:update',
  'can-destroy': 'project:delete',
  'can-create-workspace': 'workspace:create',
  'can-move-workspace': 'project:move-workspaces',
  'can-move-stack': null,
  'can-manage-stacks': null,
  'can-view-stacks': null,
  'can-update-stacks': null,
  'can-deploy-no-code-modules': null,
  'can-read-teams': 'project:read-teams',
  'can-manage-teams': 'project:manage-teams',
  'can-manage-tags': 'project:update',
  'can-manage-varsets': 'variable-set:manage',
  'can-manage-ephemeral-workspace-for-projects': 'project:update',
};

function serializePermissions(view: projectService.ProjectView): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(PERMISSIONS).map(([key, action]) => {
      // The default project can never be deleted (concepts/projects/index.mdx "Default Project").
      if (key === 'can-destroy' && view.project.isDefault) return [key, false];
      return [key, action !== null && view.allowed.has(action)];
    }),
  );
}

function projectPath(id: string): string {
  return `/api/v2/projects/${encodeURIComponent(id)}`;
}

export function serializeProject(view: projectService.ProjectView): ResourceObject {
  const { project } = view;
  const path = projectPath(project.id);
  const effective = { related: `${path}/effective-tag-bindings` };
  return resource(
    'projects',
    project.id,
    {
      name: project.name,
      // The doc's responses show null for a project without a description.
      description: project.description === '' ? null : project.description,
      'created-at': timestamp(project.createdAt),
      'workspace-count': project.workspaceCount,
      // Team access to projects arrives with the teams issue.
      'team-count': 0,
      'auto-destroy-activity-duration': project.autoDestroyActivityDuration,
      'default-execution-mode': view.defaultExecutionMode,
      'setting-overwrites': { 'default-execution-mode': false, 'default-agent-pool': false },
      permissions: serializePermissions(view),
    },
    {
      organization: {
        ...toOne('organizations', project.organizationName),
        links: { related: `/api/v2/organizations/${encodeURIComponent(project.organizationName)}` },
      },
      'tag-bindings': { links: { related: `${path}/tag-bindings` } },
      'effective-tag-bindings': view.effectiveTagBindings
        ? {
            ...toMany(
              'effective-tag-bindings',
              view.effectiveTagBindings.map((b) => b.id),
            ),
            links: effective,
          }
        : { links: effective },
      'default-agent-pool': toOne('agent-pools', view.defaultAgentPoolId),
    },
    { self: path },
  );
}

function serializeTagBinding(binding: projectService.TagBinding): ResourceObject {
  return resource('tag-bindings', binding.id, { key: binding.key, value: binding.value, 'created-at': timestamp(binding.createdAt) });
}

/** A project's own bindings are all its effective ones: projects do not inherit tags. */
function serializeEffectiveTagBinding(binding: projectService.TagBinding): ResourceObject {
  return resource('effective-tag-bindings', binding.id, { key: binding.key, value: binding.value });
}

function includedBindings(views: projectService.ProjectView[]): ResourceObject[] {
  return views.flatMap((view) => (view.effectiveTagBindings ?? []).map(serializeEffectiveTagBinding));
}

function parseSort(query: Query): boolean {
  const sort = queryString(query, 'sort');
  if (sort === undefined || sort === 'name') return false;
  if (sort === '-name') return true;
  throw new InvalidError('sort must be "name" or "-name"', { parameter: 'sort' });
}

/** `filter[permissions][…]`: "if present", only the projects where the caller may do this (projects.mdx). */
const PERMISSION_FILTERS: Readonly<Record<string, Action>> = {
  'filter[permissions][create-workspace]': 'workspace:create',
  'filter[permissions][update]': 'project:update',
};

function requiredActions(query: Query): Action[] {
  return Object.entries(PERMISSION_FILTERS)
    .filter(([name]) => {
      const value = queryString(query, name);
      return value !== undefined && value !== 'false';
    })
    .map(([, action]) => action);
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

function executionSettings(attributes: Partial<typeof CreateAttributes.static>): projectService.ExecutionSettingsInput {
  return {
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
  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/projects', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const include = parseInclude(query, INCLUDES);
    const page = parsePage(query);
    const names = queryList(query, 'filter[names]');
    const tagged = queryTagged(query);
    const { views, total, organizationTotal } = await projectService.list(ctx, request.params.organization_name, {
      filter: {
        names: names && names.length > 0 ? names : undefined,
        search: queryString(query, 'q') || undefined,
        tagged: tagged.length > 0 ? tagged : undefined,
      },
      descending: parseSort(query),
      requiredActions: requiredActions(query),
      withBindings: include.has('effective_tag_bindings'),
      page,
    });
    const { links, meta } = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(
      document(views.map(serializeProject), {
        included: includedBindings(views),
        links,
        meta: { 'status-counts': { total: organizationTotal, matching: total }, ...meta },
      }),
    );
  });

  app.post<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/projects', async (request, reply) => {
    const { attributes, relationships } = parseResourceBody(request.body, 'projects', CreateAttributes);
    const view = await projectService.create(request.ctx, request.params.organization_name, {
      name: attributes.name,
      description: attributes.description,
      autoDestroyActivityDuration: attributes['auto-destroy-activity-duration'],
      tagBindings: relationshipTagBindings(relationships),
      ...executionSettings(attributes),
    });
    return reply.code(201).send(document(serializeProject(view)));
  });

  app.get<{ Params: ProjectParams }>('/api/v2/projects/:project_id', async (request, reply) => {
    const include = parseInclude(request.query as Query, INCLUDES);
    const view = await projectService.show(request.ctx, request.params.project_id, { withBindings: include.has('effective_tag_bindings') });
    return reply.send(document(serializeProject(view), { included: includedBindings([view]) }));
  });

  app.patch<{ Params: ProjectParams }>('/api/v2/projects/:project_id', async (request, reply) => {
    const { attributes, relationships } = parseResourceBody(request.body, 'projects', UpdateAttributes);
    const view = await projectService.update(request.ctx, request.params.project_id, {
      name: attributes.name,
      description: attributes.description,
      autoDestroyActivityDuration: attributes['auto-destroy-activity-duration'],
      tagBindings: relationshipTagBindings(relationships),
      ...executionSettings(attributes),
    });
    return reply.send(document(serializeProject(view)));
  });

  app.delete<{ Params: ProjectParams }>('/api/v2/projects/:project_id', async (request, reply) => {
    await projectService.destroy(request.ctx, request.params.project_id);
    return reply.code(204).send();
  });

  app.get<{ Params: ProjectParams }>('/api/v2/projects/:project_id/tag-bindings', async (request, reply) => {
    const bindings = await projectService.listTagBindings(request.ctx, request.params.project_id);
    return reply.send(document(bindings.map(serializeTagBinding)));
  });

  app.get<{ Params: ProjectParams }>('/api/v2/projects/:project_id/effective-tag-bindings', async (request, reply) => {
    const bindings = await projectService.listTagBindings(request.ctx, request.params.project_id);
    return reply.send(document(bindings.map(serializeEffectiveTagBinding)));
  });

  app.patch<{ Params: ProjectParams }>('/api/v2/projects/:project_id/tag-bindings', async (request, reply) => {
    const items = parseResourceArray(request.body, 'tag-bindings', '', 'bad-request').map(({ item }) => item);
    const bindings = await projectService.addTagBindings(request.ctx, request.params.project_id, validateTagBindings(items, '/data'));
    return reply.send(document(bindings.map(serializeTagBinding)));
  });
}
