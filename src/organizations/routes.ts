import { Type } from '@sinclair/typebox';
import { documentWith, includedDocument } from '../jsonapi/include-registry.js';
import type { FastifyInstance } from 'fastify';
import { type ParsedResource, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { QueryText, withQuery } from '../jsonapi/query.js';
import * as organizationService from './service.js';
import { SETTING_ATTRIBUTES } from './settings.js';

import { serializeOrganization, serializeEntitlementSet } from './serialize.js';
import { listRoute } from '../jsonapi/resource-routes.js';
const CreateAttributes = Type.Object({ name: Type.String(), email: Type.String() });
const UpdateAttributes = Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()) });

/** `entitlement_set` from organizations.mdx "Available Related Resources"; `default-project` from the OpenAPI spec. */
const INCLUDES = ['entitlement_set', 'default-project'] as const;

/** The `default-agent-pool` relationship (go-tfe OrganizationUpdateOptions): undefined when absent, null for none. */
function defaultAgentPoolOf(body: ParsedResource<unknown>): string | null | undefined {
  if (body.relationships['default-agent-pool'] === undefined) return undefined;
  return relationshipId(body.relationships, 'default-agent-pool', 'agent-pools') ?? null;
}

/** The settings among the request attributes (everything but name and email). */
function pickSettings(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => SETTING_ATTRIBUTES.includes(key)));
}

/** organizations.mdx "List Organizations" query parameters. */
const ListFilters = { q: QueryText, 'q[name]': QueryText, 'q[email]': QueryText };

interface OrganizationParams {
  organization_name: string;
}

export async function organizationRoutes(app: FastifyInstance): Promise<void> {
  // Always paginated (default 20): the doc's unpaginated answer would grow without bound for a site admin.
  listRoute(app, '/api/v2/organizations', 'organizations', INCLUDES, ListFilters, (ctx, _p, page, query) =>
    organizationService.list(ctx, { search: query.q, name: query['q[name]'], email: query['q[email]'], page }),
  );

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
    return reply.code(201).send(await documentWith(ctx, 'organizations', view, ['entitlement_set']));
  });

  app.get<{ Params: OrganizationParams; Querystring: IncludeQuery }>(
    '/api/v2/organizations/:organization_name',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const view = await organizationService.show(request.ctx, request.params.organization_name);
      return reply.send(await includedDocument(request, 'organizations', view, INCLUDES));
    },
  );

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
