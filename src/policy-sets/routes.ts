import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rawUploads, signedTarballUpload } from '../blobs/raw-upload.js';
import { InvalidError } from '../errors.js';
import { parseLinkageIds, parseResourceBody } from '../jsonapi/body.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { QueryBoolean, QueryText, queryEnum, withQuery } from '../jsonapi/query.js';
import * as policySetService from './service.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const PolicySetAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  global: Type.Optional(Type.Boolean()),
  kind: Type.Optional(Type.String()),
  overridable: Type.Optional(Type.Boolean()),
  'agent-enabled': Type.Optional(Type.Boolean()),
  'policy-tool-version': Type.Optional(Type.String()),
  'vcs-repo': Type.Optional(Type.Union([Type.Object({}), Type.Null()])),
  'policies-path': Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** policy-sets.mdx "Available related resources". */
const INCLUDES = ['projects', 'workspaces', 'workspace_exclusions', 'policies', 'newest_version', 'current_version'] as const;

const ListFilters = {
  'search[name]': QueryText,
  'filter[kind]': queryEnum(['sentinel', 'opa']),
  'filter[versioned]': QueryBoolean,
};

const TARGET_PATHS: Record<string, policySetService.TargetKind> = {
  workspaces: 'workspace',
  projects: 'project',
  'workspace-exclusions': 'exclusion',
  policies: 'policy',
};
const TARGET_TYPES: Record<policySetService.TargetKind, string> = { workspace: 'workspaces', project: 'projects', exclusion: 'workspaces', policy: 'policies' };

function policySetInput(body: unknown): policySetService.PolicySetInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'policy-sets', PolicySetAttributes);
  if (a['vcs-repo'] != null || a['policies-path'] != null) {
    throw new InvalidError('policy sets from a VCS repository are not available: upload versions through POST /policy-sets/:id/versions', {
      pointer: a['vcs-repo'] != null ? '/data/attributes/vcs-repo' : '/data/attributes/policies-path',
    });
  }
  const targets: Partial<policySetService.Targets> = {};
  for (const [name, kind] of Object.entries(TARGET_PATHS)) {
    const rel = relationships[name];
    if (rel !== undefined) targets[kind] = parseLinkageIds(rel, TARGET_TYPES[kind], `/data/relationships/${name}`, 'invalid');
  }
  return {
    name: a.name,
    description: a.description,
    global: a.global,
    kind: a.kind,
    overridable: a.overridable,
    agentEnabled: a['agent-enabled'],
    policyToolVersion: a['policy-tool-version'],
    targets,
  };
}

interface SetParams {
  id: string;
}

export async function policySetRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/policy-sets', 'policy-sets', INCLUDES, ListFilters, (ctx, p, page, query) => {
    const filter = { name: query['search[name]'], kind: query['filter[kind]'], versioned: query['filter[versioned]'] };
    return policySetService.list(ctx, p.organization_name, filter, page);
  });

  createRoute(app, '/api/v2/organizations/:organization_name/policy-sets', 'policy-sets', INCLUDES, (ctx, p, body) =>
    policySetService.create(ctx, p.organization_name, policySetInput(body)),
  );
  memberRoutes(app, '/api/v2/policy-sets/:id', 'policy-sets', INCLUDES, { service: policySetService, input: policySetInput });

  for (const [path, kind] of Object.entries(TARGET_PATHS)) {
    const type = TARGET_TYPES[kind];
    app.post<{ Params: SetParams }>(`/api/v2/policy-sets/:id/relationships/${path}`, async (request, reply) => {
      await policySetService.addTargets(request.ctx, request.params.id, kind, parseLinkageIds(request.body, type, '', 'bad-request'));
      return reply.code(204).send();
    });
    app.delete<{ Params: SetParams }>(`/api/v2/policy-sets/:id/relationships/${path}`, async (request, reply) => {
      await policySetService.removeTargets(request.ctx, request.params.id, kind, parseLinkageIds(request.body, type, '', 'bad-request'));
      return reply.code(204).send();
    });
  }

  app.post<{ Params: SetParams; Querystring: IncludeQuery }>('/api/v2/policy-sets/:id/versions', withQuery(IncludeQuery), async (request, reply) => {
    return reply
      .code(201)
      .send(await includedDocument(request, 'policy-set-versions', await policySetService.createVersion(request.ctx, request.params.id), []));
  });

  memberRoutes(app, '/api/v2/policy-set-versions/:id', 'policy-set-versions', [], { show: (ctx, p) => policySetService.showVersion(ctx, p.id) });

  await app.register(uploadRoute);
}

/** A version's `upload` link: the raw .tar.gz, streamed, as configuration versions take theirs. */
const uploadRoute = rawUploads([signedTarballUpload('/_blobs/policy-set-versions/:id/upload/:expiry/:signature', policySetService.upload)]);
