import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rawUploads } from '../blobs/raw-upload.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { QueryText, withQuery } from '../jsonapi/query.js';
import { listRoute, memberRoutes } from '../jsonapi/resource-routes.js';
import * as policySetService from '../policy-sets/service.js';
import * as policyService from './service.js';

const PolicyAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  kind: Type.Optional(Type.String()),
  query: Type.Optional(Type.String()),
  'enforcement-level': Type.Optional(Type.String()),
  enforce: Type.Optional(Type.Array(Type.Object({ path: Type.Optional(Type.String()), mode: Type.Optional(Type.String()) }), { maxItems: 1 })),
});

/** policies.mdx "Available Related Resources". */
const INCLUDES = ['policy_sets'] as const;

const ListFilters = { 'search[name]': QueryText };

function policyInput(body: unknown): policyService.PolicyInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'policies', PolicyAttributes);
  return {
    name: a.name,
    description: a.description,
    kind: a.kind,
    query: a.query,
    enforcementLevel: a['enforcement-level'],
    enforceMode: a.enforce?.[0]?.mode,
    policySetIds:
      relationships['policy-sets'] === undefined
        ? undefined
        : parseLinkageIds(relationships['policy-sets'], 'policy-sets', '/data/relationships/policy-sets', 'invalid'),
  };
}

interface PolicyParams {
  id: string;
}

export async function policyRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/policies', 'policies', INCLUDES, ListFilters, (ctx, p, page, query) =>
    policyService.list(ctx, p.organization_name, query['search[name]'], page),
  );

  app.post<{ Params: { organization_name: string }; Querystring: IncludeQuery }>(
    '/api/v2/organizations/:organization_name/policies',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const ctx = request.ctx;
      const policy = await policyService.create(ctx, request.params.organization_name, policyInput(request.body), async (policyId, setIds) => {
        for (const setId of setIds) await policySetService.addTargets(ctx, setId, 'policy', [policyId]);
      });
      // The docs' table says 200 for a creation; their clients accept either, and 201 is what a creation answers elsewhere.
      return reply.code(201).send(await includedDocument(request, 'policies', policy, INCLUDES));
    },
  );

  memberRoutes(app, '/api/v2/policies/:id', 'policies', INCLUDES, { service: policyService, input: policyInput });

  app.get<{ Params: PolicyParams }>('/api/v2/policies/:id/download', async (request, reply) => {
    return reply.type('text/plain; charset=utf-8').send(await policyService.download(request.ctx, request.params.id));
  });

  await app.register(uploadRoute);
}

/** `PUT /policies/:id/upload`: the raw Rego (policies.mdx: `application/octet-stream`, not JSON:API), at most 10 MB. */
const uploadRoute = rawUploads<PolicyParams>([
  {
    path: '/api/v2/policies/:id/upload',
    what: 'the raw policy code',
    maxBytes: () => policyService.MAX_POLICY_BYTES,
    handle: (request, body) => policyService.upload(request.ctx, request.params.id, body),
  },
]);
