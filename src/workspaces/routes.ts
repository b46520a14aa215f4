import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseResourceArray, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import type { Page } from '../jsonapi/pagination.js';
import { QueryText, queryTagged, splitList } from '../jsonapi/query.js';
import { validateTagBindings } from '../projects/tag-bindings.js';
import { consumerRoutes } from './consumer-routes.js';
import { lockRoutes } from './lock-routes.js';
import { tagReferences } from './request.js';
import { WORKSPACE_INCLUDES } from './serialize.js';
import * as workspaceService from './service.js';
import { tagRoutes } from './tag-routes.js';
import { createRoute, type FilterValues, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableText = Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()]);
const StringList = Type.Union([Type.Array(Type.String()), Type.Null()]);
const Flag = Type.Optional(Type.Boolean());

/** Every writable attribute of workspaces.mdx "Create a Workspace" / "Update a Workspace"; rules are in the service. */
const WorkspaceAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  description: Type.Optional(NullableText),
  'execution-mode': Type.Optional(Type.String()),
  operations: Flag,
  'agent-pool-id': Type.Optional(NullableString),
  'setting-overwrites': Type.Optional(Type.Object({ 'execution-mode': Flag, 'agent-pool': Flag })),
  'allow-destroy-plan': Flag,
  'assessments-enabled': Flag,
  'auto-apply': Flag,
  'auto-apply-run-trigger': Flag,
  'auto-destroy-at': Type.Optional(NullableString),
  'auto-destroy-activity-duration': Type.Optional(NullableString),
  'file-triggers-enabled': Flag,
  'global-remote-state': Flag,
  'queue-all-runs': Flag,
  'source-name': Type.Optional(NullableString),
  'source-url': Type.Optional(NullableText),
  'speculative-enabled': Flag,
  'structured-run-output-enabled': Flag,
  'terraform-version': Type.Optional(Type.String()),
  'trigger-patterns': Type.Optional(StringList),
  'trigger-prefixes': Type.Optional(StringList),
  'working-directory': Type.Optional(NullableText),
  'vcs-repo': Type.Optional(Type.Unknown()),
});

/** The sort fields of workspaces.mdx "List workspaces"; `-` in front reverses. */
const SORT_FIELDS: readonly workspaceService.WorkspaceSortField[] = ['name', 'current-run.created-at', 'latest-change-at'];

/** workspaces.mdx "List workspaces" query parameters; `filter[tagged][i][…]` are read by queryTagged. */
const ListFilters = {
  sort: QueryText,
  'search[name]': QueryText,
  'search[wildcard-name]': QueryText,
  'search[tags]': QueryText,
  'search[exclude-tags]': QueryText,
  'filter[project][id]': QueryText,
  'filter[current-run][status]': QueryText,
};
type ListQuery = FilterValues<typeof ListFilters>;

function parseSort(raw = 'name'): workspaceService.WorkspaceSort {
  const descending = raw.startsWith('-');
  const field = SORT_FIELDS.find((f) => f === (descending ? raw.slice(1) : raw));
  if (!field) throw new InvalidError(`sort must be one of ${SORT_FIELDS.join(', ')}, optionally prefixed with "-"`, { parameter: 'sort' });
  return { field, descending };
}

function listOptions(query: ListQuery, page: Page): workspaceService.ListOptions {
  return {
    filter: {
      search: query['search[name]'] || undefined,
      wildcard: query['search[wildcard-name]'] || undefined,
      tags: splitList(query['search[tags]']),
      excludeTags: splitList(query['search[exclude-tags]']),
      projectId: query['filter[project][id]'],
      currentRunStatuses: splitList(query['filter[current-run][status]']),
      tagged: queryTagged(query),
    },
    sort: parseSort(query.sort),
    page,
  };
}

/**
 * The pool of `agent-pool-id` (workspaces.mdx) or of the `agent-pool` relationship (OpenAPI `workspaces`);
 * null when either is null. Both given must agree.
 */
function agentPoolIdOf(attribute: string | null | undefined, relationships: Record<string, unknown>): string | null | undefined {
  if (relationships['agent-pool'] === undefined) return attribute;
  const related = relationshipId(relationships, 'agent-pool', 'agent-pools') ?? null;
  if (attribute !== undefined && attribute !== related) {
    throw new InvalidError('agent-pool-id and the agent-pool relationship name different pools', { pointer: '/data/relationships/agent-pool' });
  }
  return related;
}

/** Reads a create or update document into the service's input. */
function workspaceInput(body: unknown): workspaceService.WorkspaceInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'workspaces', WorkspaceAttributes);
  const tags =
    relationships.tags === undefined ? undefined : tagReferences(parseResourceArray(relationships.tags, 'tags', '/data/relationships/tags', 'invalid'));
  const bindings = relationships['tag-bindings'];
  return {
    name: a.name,
    description: a.description,
    executionMode: a['execution-mode'],
    operations: a.operations,
    agentPoolId: agentPoolIdOf(a['agent-pool-id'], relationships),
    overwritesExecutionMode: a['setting-overwrites']?.['execution-mode'],
    overwritesAgentPool: a['setting-overwrites']?.['agent-pool'],
    allowDestroyPlan: a['allow-destroy-plan'],
    assessmentsEnabled: a['assessments-enabled'],
    autoApply: a['auto-apply'],
    autoApplyRunTrigger: a['auto-apply-run-trigger'],
    autoDestroyAt: a['auto-destroy-at'],
    autoDestroyActivityDuration: a['auto-destroy-activity-duration'],
    fileTriggersEnabled: a['file-triggers-enabled'],
    globalRemoteState: a['global-remote-state'],
    queueAllRuns: a['queue-all-runs'],
    sourceName: a['source-name'],
    sourceUrl: a['source-url'],
    speculativeEnabled: a['speculative-enabled'],
    structuredRunOutputEnabled: a['structured-run-output-enabled'],
    terraformVersion: a['terraform-version'],
    triggerPatterns: a['trigger-patterns'],
    triggerPrefixes: a['trigger-prefixes'],
    workingDirectory: a['working-directory'],
    hasVcsRepo: a['vcs-repo'] !== undefined && a['vcs-repo'] !== null,
    projectId: relationshipId(relationships, 'project', 'projects'),
    tags,
    tagBindings:
      bindings === undefined
        ? undefined
        : validateTagBindings(
            parseResourceArray(bindings, 'tag-bindings', '/data/relationships/tag-bindings', 'invalid').map(({ item }) => item),
            '/data/relationships/tag-bindings/data',
          ),
  };
}

interface OrganizationParams {
  organization_name: string;
}
interface NamedParams extends OrganizationParams {
  workspace_name: string;
}
interface IdParams {
  workspace_id: string;
}

function byName(params: NamedParams): workspaceService.WorkspaceSelector {
  return { organizationName: params.organization_name, name: params.workspace_name };
}

export async function workspaceRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/workspaces', 'workspaces', WORKSPACE_INCLUDES, ListFilters, (ctx, p, page, query) =>
    workspaceService.list(ctx, p.organization_name, listOptions(query, page)),
  );

  createRoute(app, '/api/v2/organizations/:organization_name/workspaces', 'workspaces', WORKSPACE_INCLUDES, (ctx, p, body) =>
    workspaceService.create(ctx, p.organization_name, workspaceInput(body)),
  );
  // A workspace by its organization and name, or by its id.
  memberRoutes(app, '/api/v2/organizations/:organization_name/workspaces/:workspace_name', 'workspaces', WORKSPACE_INCLUDES, {
    show: (ctx, p) => workspaceService.show(ctx, byName(p)),
    update: (ctx, p, body) => workspaceService.update(ctx, byName(p), workspaceInput(body)),
    destroy: (ctx, p) => workspaceService.destroy(ctx, byName(p)),
  });
  memberRoutes(app, '/api/v2/workspaces/:workspace_id', 'workspaces', WORKSPACE_INCLUDES, {
    show: (ctx, p) => workspaceService.show(ctx, { id: p.workspace_id }),
    update: (ctx, p, body) => workspaceService.update(ctx, { id: p.workspace_id }, workspaceInput(body)),
    destroy: (ctx, p) => workspaceService.destroy(ctx, { id: p.workspace_id }),
  });

  app.post<{ Params: NamedParams }>('/api/v2/organizations/:organization_name/workspaces/:workspace_name/actions/safe-delete', async (request, reply) => {
    await workspaceService.safeDestroy(request.ctx, byName(request.params));
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/actions/safe-delete', async (request, reply) => {
    await workspaceService.safeDestroy(request.ctx, { id: request.params.workspace_id });
    return reply.code(204).send();
  });

  await app.register(lockRoutes);
  await app.register(tagRoutes);
  await app.register(consumerRoutes);
}
