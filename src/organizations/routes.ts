import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import type { Action } from '../auth/permissions.js';
import { type ParsedResource, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document, type ResourceObject, resource, timestamp, toOne } from '../jsonapi/document.js';
import { parseInclude } from '../jsonapi/include.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryString } from '../jsonapi/query.js';
import { ENTITLEMENTS } from './entitlements.js';
import { serializeProject } from '../projects/routes.js';
import * as projectService from '../projects/service.js';
import * as organizationService from './service.js';
import { SETTING_ATTRIBUTES } from './settings.js';

const CreateAttributes = Type.Object({ name: Type.String(), email: Type.String() });
const UpdateAttributes = Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()) });

/** `entitlement_set` from organizations.mdx "Available Related Resources"; `default-project` from the OpenAPI spec. */
const INCLUDES = ['entitlement_set', 'default-project'] as const;

/**
 * The `permissions` attribute: each key and the action that grants it. null marks what Terrace does not
 * implement yet (always false); the issue that adds the feature names its action here.
 */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-update': 'organization:update',
  'can-destroy': 'organization:delete',
  'can-access-via-teams': null,
  'can-create-module': null,
  'can-create-team': 'team:create',
  'can-create-workspace': 'workspace:create',
  'can-manage-users': 'organization:manage-membership',
  'can-manage-subscription': null,
  'can-manage-sso': null,
  'can-update-oauth': null,
  'can-update-sentinel': null,
  'can-update-ssh-keys': null,
  'can-update-api-token': 'organization:manage-token',
  'can-traverse': 'organization:read',
  'can-start-trial': null,
  'can-update-agent-pools': 'agent-pool:manage',
  'can-manage-tags': 'tag:manage',
  'can-manage-varsets': 'variable-set:manage',
  'can-read-varsets': 'variable-set:read',
  'can-manage-public-providers': null,
  'can-create-provider': null,
  'can-manage-public-modules': null,
  'can-manage-custom-providers': null,
  'can-manage-run-tasks': null,
  'can-read-run-tasks': null,
  'can-create-project': 'project:create',
};

function serializePermissions(allowed: ReadonlySet<Action>): Record<string, boolean> {
  return Object.fromEntries(Object.entries(PERMISSIONS).map(([key, action]) => [key, action !== null && allowed.has(action)]));
}

function organizationPath(name: string): string {
  return `/api/v2/organizations/${encodeURIComponent(name)}`;
}

export function serializeOrganization(view: organizationService.OrganizationView): ResourceObject {
  const { organization: org, settings } = view;
  const path = organizationPath(org.name);
  return resource(
    'organizations',
    org.name,
    {
      name: org.name,
      'external-id': org.id,
      'created-at': timestamp(org.createdAt),
      email: org.email,
      'session-timeout': settings['session-timeout'],
      'session-remember': settings['session-remember'],
      'collaborator-auth-policy': settings['collaborator-auth-policy'],
      // Plans and billing belong to HashiCorp's hosted service (spec/README.md): no plan, never expired.
      'plan-expired': false,
      'plan-expires-at': null,
      'plan-is-trial': false,
      'plan-is-enterprise': false,
      'cost-estimation-enabled': settings['cost-estimation-enabled'],
      'send-passing-statuses-for-untriggered-speculative-plans': settings['send-passing-statuses-for-untriggered-speculative-plans'],
      'aggregated-commit-status-enabled': settings['aggregated-commit-status-enabled'],
      'speculative-plan-management-enabled': settings['speculative-plan-management-enabled'],
      'allow-force-delete-workspaces': settings['allow-force-delete-workspaces'],
      permissions: serializePermissions(view.allowed),
      'fair-run-queuing-enabled': false,
      'saml-enabled': false,
      'owners-team-saml-role-id': settings['owners-team-saml-role-id'],
      'two-factor-conformant': false,
      'assessments-enforced': settings['assessments-enforced'],
      'default-execution-mode': settings['default-execution-mode'],
      'user-tokens-enabled': settings['user-tokens-enabled'],
      'is-in-degraded-mode': false,
    },
    {
      'default-agent-pool': toOne('agent-pools', org.defaultAgentPoolId),
      'default-project': toOne('projects', view.defaultProjectId),
      'oauth-tokens': { links: { related: `${path}/oauth-tokens` } },
      'authentication-token': { links: { related: `${path}/authentication-token` } },
      'entitlement-set': { ...toOne('entitlement-sets', org.id), links: { related: `${path}/entitlement-set` } },
    },
    { self: path },
  );
}

function serializeEntitlementSet(set: organizationService.EntitlementSet): ResourceObject {
  return resource('entitlement-sets', set.id, { ...set.entitlements }, undefined, { self: `/api/v2/entitlement-sets/${encodeURIComponent(set.id)}` });
}

/** Entitlement sets to include for `views`, for those whose caller may read them. */
function includedEntitlementSets(views: organizationService.OrganizationView[], include: ReadonlySet<string>): ResourceObject[] {
  if (!include.has('entitlement_set')) return [];
  return views
    .filter((v) => v.allowed.has('organization:read-entitlements'))
    .map((v) => serializeEntitlementSet({ id: v.organization.id, entitlements: ENTITLEMENTS }));
}

/** The `included` resources of organization documents: entitlement sets, and default projects the caller may read. */
async function included(ctx: Ctx, views: organizationService.OrganizationView[], include: ReadonlySet<string>): Promise<ResourceObject[]> {
  const projects = [];
  if (include.has('default-project')) {
    for (const v of views) {
      if (v.defaultProjectId && v.allowed.has('project:read'))
        projects.push(serializeProject(await projectService.show(ctx, v.defaultProjectId, { withBindings: false })));
    }
  }
  return [...includedEntitlementSets(views, include), ...projects];
}

/** The `default-agent-pool` relationship (go-tfe OrganizationUpdateOptions): undefined when absent, null for none. */
function defaultAgentPoolOf(body: ParsedResource<unknown>): string | null | undefined {
  if (body.relationships['default-agent-pool'] === undefined) return undefined;
  return relationshipId(body.relationships, 'default-agent-pool', 'agent-pools') ?? null;
}

/** The settings among the request attributes (everything but name and email). */
function pickSettings(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => SETTING_ATTRIBUTES.includes(key)));
}

interface OrganizationParams {
  organization_name: string;
}

export async function organizationRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v2/organizations', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const include = parseInclude(query, INCLUDES);
    // Always paginated (default 20): the doc's unpaginated answer would grow without bound for a site admin.
    const page = parsePage(query);
    const { views, total } = await organizationService.list(ctx, {
      search: queryString(query, 'q'),
      name: queryString(query, 'q[name]'),
      email: queryString(query, 'q[email]'),
      page,
    });
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
    return reply.send(document(views.map(serializeOrganization), { included: await included(ctx, views, include), ...parts }));
  });

  app.post('/api/v2/organizations', async (request, reply) => {
    const ctx = request.ctx;
    const body = parseResourceBody(request.body, 'organizations', CreateAttributes);
    const { attributes } = body;
    const org = await organizationService.createOrganization(ctx, {
      name: attributes.name,
      email: attributes.email,
      settings: pickSettings(attributes),
      defaultAgentPool: defaultAgentPoolOf(body),
    });
    const view = await organizationService.viewOf(ctx, org);
    // The create response carries the entitlement set without being asked (organizations.mdx "Create an Organization").
    return reply.code(201).send(document(serializeOrganization(view), { included: includedEntitlementSets([view], new Set(['entitlement_set'])) }));
  });

  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name', async (request, reply) => {
    const ctx = request.ctx;
    const include = parseInclude(request.query as Query, INCLUDES);
    const view = await organizationService.show(ctx, request.params.organization_name);
    return reply.send(document(serializeOrganization(view), { included: await included(ctx, [view], include) }));
  });

  app.patch<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name', async (request, reply) => {
    const ctx = request.ctx;
    const body = parseResourceBody(request.body, 'organizations', UpdateAttributes);
    const { attributes } = body;
    const view = await organizationService.update(ctx, request.params.organization_name, {
      name: attributes.name,
      email: attributes.email,
      settings: pickSettings(attributes),
      defaultAgentPool: defaultAgentPoolOf(body),
    });
    return reply.send(document(serializeOrganization(view)));
  });

  app.delete<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name', async (request, reply) => {
    await organizationService.destroy(request.ctx, request.params.organization_name);
    return reply.code(204).send();
  });

  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/entitlement-set', async (request, reply) => {
    const set = await organizationService.showEntitlementSet(request.ctx, request.params.organization_name);
    return reply.send(document(serializeEntitlementSet(set)));
  });

  app.get<{ Params: { id: string } }>('/api/v2/entitlement-sets/:id', async (request, reply) => {
    const set = await organizationService.showEntitlementSetById(request.ctx, request.params.id);
    return reply.send(document(serializeEntitlementSet(set)));
  });
}
