import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rawUploads, type SignedParams, signedTarballUpload } from '../blobs/raw-upload.js';
import { MAX_STRING_LENGTH, parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { QueryText } from '../jsonapi/query.js';
import { protocolDetailsDocument, protocolVersionsDocument, serializeModuleVersion } from './serialize.js';
import * as moduleService from './service.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const ModuleAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  provider: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  'registry-name': Type.Optional(Type.String()),
  'no-code': Type.Optional(Type.Boolean()),
});

const UpdateAttributes = Type.Object({
  'no-code': Type.Optional(Type.Boolean()),
  'vcs-repo': Type.Optional(Type.Unknown()),
  'test-config': Type.Optional(
    Type.Object({
      'tests-enabled': Type.Optional(Type.Boolean()),
      'agent-execution-mode': Type.Optional(Type.String()),
      'agent-pool-id': Type.Optional(Type.Union([Type.String(), Type.Null()])),
    }),
  ),
});

const VersionAttributes = Type.Object({
  version: Type.Optional(Type.String()),
  'commit-sha': Type.Optional(Type.Union([Type.String({ maxLength: MAX_STRING_LENGTH }), Type.Null()])),
});

interface OrganizationParams {
  organization_name: string;
}
interface NameParams extends OrganizationParams {
  registry_name: string;
  namespace: string;
  name: string;
}
interface ProviderParams extends NameParams {
  provider: string;
}
interface VersionParams extends ProviderParams {
  version: string;
}
interface ProtocolParams {
  namespace: string;
  name: string;
  provider: string;
}
/** modules.mdx "List Registry Modules for an Organization". */
const ListFilters = {
  q: QueryText,
  'filter[registry_name]': QueryText,
  'filter[provider]': QueryText,
  'filter[organization_name]': QueryText,
};

const API = '/api/v2/organizations/:organization_name/registry-modules';
const MODULE = `${API}/:registry_name/:namespace/:name/:provider` as const;
const PROTOCOL = '/api/registry/v1/modules/:namespace/:name/:provider';

function addressOf(params: ProviderParams): moduleService.ModuleAddress {
  return { registryName: params.registry_name, namespace: params.namespace, name: params.name, provider: params.provider };
}

/** The registry-modules API (modules.mdx) and the module registry protocol the CLI installs modules with. */
export async function registryModuleRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, API, 'registry-modules', [], ListFilters, (ctx, p, page, query) => {
    const filter = {
      q: query.q,
      registryName: query['filter[registry_name]'],
      provider: query['filter[provider]'],
      organizationName: query['filter[organization_name]'],
    };
    return moduleService.list(ctx, p.organization_name, filter, page);
  });

  createRoute(app, API, 'registry-modules', [], (ctx, p, body) => {
    const { attributes: a } = parseResourceBody(body, 'registry-modules', ModuleAttributes);
    return moduleService.create(ctx, p.organization_name, {
      name: a.name,
      provider: a.provider,
      namespace: a.namespace,
      registryName: a['registry-name'],
      noCode: a['no-code'],
    });
  });

  memberRoutes(app, MODULE, 'registry-modules', [], {
    show: (ctx, p) => moduleService.show(ctx, p.organization_name, addressOf(p)),
    update: (ctx, p, body) => {
      const { attributes: a } = parseResourceBody(body, 'registry-modules', UpdateAttributes);
      const config = a['test-config'];
      return moduleService.update(ctx, p.organization_name, addressOf(p), {
        noCode: a['no-code'],
        vcsRepo: a['vcs-repo'],
        testConfig: config && {
          testsEnabled: config['tests-enabled'],
          agentExecutionMode: config['agent-execution-mode'],
          agentPoolId: config['agent-pool-id'],
        },
      });
    },
    destroy: (ctx, p) => moduleService.destroy(ctx, p.organization_name, addressOf(p)),
  });

  app.post<{ Params: ProviderParams }>(`${MODULE}/versions`, async (request, reply) => {
    const { attributes: a } = parseResourceBody(request.body, 'registry-module-versions', VersionAttributes);
    const view = await moduleService.createVersion(request.ctx, request.params.organization_name, addressOf(request.params), {
      version: a.version,
      commitSha: a['commit-sha'],
    });
    return reply.code(201).send(document(serializeModuleVersion(view)));
  });

  // modules.mdx "Delete a Module": a version, a provider, or the whole name.
  app.delete<{ Params: VersionParams }>(`${MODULE}/:version`, async (request, reply) => {
    await moduleService.destroy(request.ctx, request.params.organization_name, addressOf(request.params), request.params.version);
    return reply.code(204).send();
  });
  app.delete<{ Params: NameParams }>(`${API}/:registry_name/:namespace/:name`, async (request, reply) => {
    const { registry_name: registryName, namespace, name } = request.params;
    await moduleService.destroy(request.ctx, request.params.organization_name, { registryName, namespace, name });
    return reply.code(204).send();
  });

  // The protocol: the caller's token, as every registry request of the CLI carries it.
  const authenticated = { config: { auth: 'required' as const } };
  app.get<{ Params: ProtocolParams }>(`${PROTOCOL}/versions`, authenticated, async (request, reply) => {
    const { namespace, name, provider } = request.params;
    const { module, versions } = await moduleService.protocolVersions(request.ctx, namespace, name, provider);
    return reply.type('application/json').send(protocolVersionsDocument(module, versions));
  });
  app.get<{ Params: ProtocolParams & { version: string } }>(`${PROTOCOL}/:version/download`, authenticated, async (request, reply) => {
    const { namespace, name, provider, version } = request.params;
    const url = await moduleService.downloadUrl(request.ctx, namespace, name, provider, version);
    return reply.header('X-Terraform-Get', url).code(204).send();
  });
  app.get<{ Params: ProtocolParams }>(`${PROTOCOL}/download`, authenticated, async (request, reply) => {
    const { namespace, name, provider } = request.params;
    const version = await moduleService.latestVersion(request.ctx, namespace, name, provider);
    return reply.redirect(`/api/registry/v1/modules/${[namespace, name, provider, version].map(encodeURIComponent).join('/')}/download`, 302);
  });
  app.get<{ Params: ProtocolParams & { version: string } }>(`${PROTOCOL}/:version`, authenticated, async (request, reply) => {
    const { namespace, name, provider, version } = request.params;
    const found = await moduleService.details(request.ctx, namespace, name, provider, version);
    return reply.type('application/json').send(protocolDetailsDocument(found.module, found.version, found.versions, found.interface));
  });
  app.get<{ Params: ProtocolParams }>(PROTOCOL, authenticated, async (request, reply) => {
    const { namespace, name, provider } = request.params;
    const found = await moduleService.details(request.ctx, namespace, name, provider, undefined);
    return reply.type('application/json').send(protocolDetailsDocument(found.module, found.version, found.versions, found.interface));
  });

  // The archive behind a download (go-getter: HEAD, then GET, without a token).
  app.get<{ Params: SignedParams }>('/_blobs/registry-module-versions/:id/archive/:expiry/:signature', async (request, reply) => {
    const { id, expiry, signature } = request.params;
    return reply.type('application/gzip').send(await moduleService.archive(request.ctx, id, expiry, signature));
  });

  await app.register(uploadRoute);
}

/** The version's `upload` link: the raw .tar.gz, streamed, as configuration versions take theirs. */
const uploadRoute = rawUploads([signedTarballUpload('/_blobs/registry-module-versions/:id/upload/:expiry/:signature', moduleService.upload)]);
