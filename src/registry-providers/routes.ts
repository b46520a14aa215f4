import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rawUploads, type SignedParams } from '../blobs/raw-upload.js';
import * as gpgKeyService from '../gpg-keys/service.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters, PageQuery } from '../jsonapi/pagination.js';
import { QueryText, querySchema, splitList, withQuery } from '../jsonapi/query.js';
import { serializeGpgKey, serializeProviderPlatform, serializeProviderVersion } from './serialize.js';
import * as providerProtocol from './protocol.js';
import * as providerService from './service.js';
import * as providerTransfers from './transfers.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const ProviderAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  'registry-name': Type.Optional(Type.String()),
});
const VersionAttributes = Type.Object({
  version: Type.Optional(Type.String()),
  'key-id': Type.Optional(Type.String()),
  protocols: Type.Optional(Type.Array(Type.String(), { maxItems: 10 })),
});
const PlatformAttributes = Type.Object({
  os: Type.Optional(Type.String()),
  arch: Type.Optional(Type.String()),
  shasum: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
});
const GpgKeyAttributes = Type.Object({
  namespace: Type.Optional(Type.String()),
  'ascii-armor': Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
});

interface OrganizationParams {
  organization_name: string;
}
interface ProviderParams extends OrganizationParams {
  registry_name: string;
  namespace: string;
  name: string;
}
interface VersionParams extends ProviderParams {
  version: string;
}
interface PlatformParams extends VersionParams {
  os: string;
  arch: string;
}
interface KeyParams {
  registry_name: string;
  namespace: string;
  key_id: string;
}
/** providers.mdx "List Terraform Registry Providers for an Organization". */
const ListFilters = { q: QueryText, 'filter[registry_name]': QueryText };
/** gpg-keys.mdx "List GPG Keys": `filter[namespace]` is required (checked by the service: a 400). */
const KeysQuery = querySchema({ ...PageParameters, 'filter[namespace]': QueryText });
type KeysQuery = Static<typeof KeysQuery>;

const API = '/api/v2/organizations/:organization_name/registry-providers';
const PROVIDER = `${API}/:registry_name/:namespace/:name` as const;
const GPG_KEYS = '/api/registry/:registry_name/v2/gpg-keys';
const PROTOCOL = '/api/registry/v1/providers/:namespace/:name';

function addressOf(params: ProviderParams): providerService.ProviderAddress {
  return { registryName: params.registry_name, namespace: params.namespace, name: params.name };
}

const PLATFORM_TYPES = ['registry-provider-platforms', 'registry-provider-version-platforms'];

/** The registry-providers API, the GPG keys API, and the provider registry protocol. */
export async function registryProviderRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, API, 'registry-providers', [], ListFilters, (ctx, p, page, query) =>
    providerService.list(ctx, p.organization_name, { q: query.q, registryName: query['filter[registry_name]'] }, page),
  );
  createRoute(app, API, 'registry-providers', [], (ctx, p, body) => {
    const { attributes: a } = parseResourceBody(body, 'registry-providers', ProviderAttributes);
    return providerService.create(ctx, p.organization_name, { name: a.name, namespace: a.namespace, registryName: a['registry-name'] });
  });
  memberRoutes(app, PROVIDER, 'registry-providers', [], {
    show: (ctx, p) => providerService.show(ctx, p.organization_name, addressOf(p)),
    destroy: (ctx, p) => providerService.destroy(ctx, p.organization_name, addressOf(p)),
  });

  app.post<{ Params: ProviderParams }>(`${PROVIDER}/versions`, async (request, reply) => {
    const { attributes: a } = parseResourceBody(request.body, 'registry-provider-versions', VersionAttributes);
    const view = await providerService.createVersion(request.ctx, request.params.organization_name, addressOf(request.params), {
      version: a.version,
      keyId: a['key-id'],
      protocols: a.protocols,
    });
    return reply.code(201).send(document(serializeProviderVersion(view)));
  });
  app.get<{ Params: ProviderParams; Querystring: PageQuery }>(`${PROVIDER}/versions`, withQuery(PageQuery), async (request, reply) => {
    const { items: views, parts } = await listPage(request, (page) =>
      providerService.listVersions(request.ctx, request.params.organization_name, addressOf(request.params), page),
    );
    return reply.send({ data: views.map(serializeProviderVersion), ...parts });
  });
  app.get<{ Params: VersionParams }>(`${PROVIDER}/versions/:version`, async (request, reply) => {
    const view = await providerService.showVersion(request.ctx, request.params.organization_name, addressOf(request.params), request.params.version);
    return reply.send(document(serializeProviderVersion(view)));
  });
  app.delete<{ Params: VersionParams }>(`${PROVIDER}/versions/:version`, async (request, reply) => {
    await providerService.destroyVersion(request.ctx, request.params.organization_name, addressOf(request.params), request.params.version);
    return reply.code(204).send();
  });

  app.post<{ Params: VersionParams }>(`${PROVIDER}/versions/:version/platforms`, async (request, reply) => {
    // The docs' sample names the type registry-provider-version-platforms; their table, registry-provider-platforms.
    const type = (request.body as { data?: { type?: unknown } } | undefined)?.data?.type;
    const { attributes: a } = parseResourceBody(
      request.body,
      typeof type === 'string' && PLATFORM_TYPES.includes(type) ? type : (PLATFORM_TYPES[0] as string),
      PlatformAttributes,
    );
    const view = await providerService.createPlatform(request.ctx, request.params.organization_name, addressOf(request.params), request.params.version, a);
    return reply.code(201).send(document(serializeProviderPlatform(view)));
  });
  app.get<{ Params: VersionParams }>(`${PROVIDER}/versions/:version/platforms`, async (request, reply) => {
    const views = await providerService.listPlatforms(request.ctx, request.params.organization_name, addressOf(request.params), request.params.version);
    return reply.send({ data: views.map(serializeProviderPlatform) });
  });
  app.get<{ Params: PlatformParams }>(`${PROVIDER}/versions/:version/platforms/:os/:arch`, async (request, reply) => {
    const view = await providerService.showPlatform(request.ctx, request.params.organization_name, addressOf(request.params), request.params);
    return reply.send(document(serializeProviderPlatform(view)));
  });
  app.delete<{ Params: PlatformParams }>(`${PROVIDER}/versions/:version/platforms/:os/:arch`, async (request, reply) => {
    await providerService.destroyPlatform(request.ctx, request.params.organization_name, addressOf(request.params), request.params);
    return reply.code(204).send();
  });

  // GPG keys: under /api/registry, authenticated like the API.
  const authenticated = { config: { auth: 'required' as const } };
  app.get<{ Params: { registry_name: string }; Querystring: KeysQuery }>(GPG_KEYS, { ...authenticated, ...withQuery(KeysQuery) }, async (request, reply) => {
    const { items: keys, parts } = await listPage(request, (page) =>
      gpgKeyService.list(request.ctx, request.params.registry_name, splitList(request.query['filter[namespace]']), page),
    );
    return reply.send({ data: keys.map(serializeGpgKey), ...parts });
  });
  app.post<{ Params: { registry_name: string } }>(GPG_KEYS, authenticated, async (request, reply) => {
    const { attributes: a } = parseResourceBody(request.body, 'gpg-keys', GpgKeyAttributes);
    const key = await gpgKeyService.create(request.ctx, request.params.registry_name, { namespace: a.namespace, asciiArmor: a['ascii-armor'] });
    return reply.code(201).send(document(serializeGpgKey(key)));
  });
  app.get<{ Params: KeyParams }>(`${GPG_KEYS}/:namespace/:key_id`, authenticated, async (request, reply) => {
    const { registry_name: registryName, namespace, key_id: keyId } = request.params;
    return reply.send(document(serializeGpgKey(await gpgKeyService.show(request.ctx, registryName, namespace, keyId))));
  });
  app.patch<{ Params: KeyParams }>(`${GPG_KEYS}/:namespace/:key_id`, authenticated, async (request, reply) => {
    const { registry_name: registryName, namespace, key_id: keyId } = request.params;
    const { attributes: a } = parseResourceBody(request.body, 'gpg-keys', GpgKeyAttributes);
    // gpg-keys.mdx: 201 for an update.
    return reply.code(201).send(document(serializeGpgKey(await gpgKeyService.update(request.ctx, registryName, namespace, keyId, { namespace: a.namespace }))));
  });
  app.delete<{ Params: KeyParams }>(`${GPG_KEYS}/:namespace/:key_id`, authenticated, async (request, reply) => {
    const { registry_name: registryName, namespace, key_id: keyId } = request.params;
    await gpgKeyService.destroy(request.ctx, registryName, namespace, keyId);
    return reply.code(204).send();
  });

  // The protocol terraform init installs providers with.
  app.get<{ Params: { namespace: string; name: string } }>(`${PROTOCOL}/versions`, authenticated, async (request, reply) => {
    return reply.type('application/json').send(await providerProtocol.protocolVersions(request.ctx, request.params.namespace, request.params.name));
  });
  app.get<{ Params: { namespace: string; name: string; version: string; os: string; arch: string } }>(
    `${PROTOCOL}/:version/download/:os/:arch`,
    authenticated,
    async (request, reply) => {
      const { namespace, name, version, os, arch } = request.params;
      return reply.type('application/json').send(await providerProtocol.protocolDownload(request.ctx, namespace, name, version, os, arch));
    },
  );

  // The signed download URLs (terraform fetches them without a token).
  for (const kind of ['shasums', 'shasums-sig', 'binary'] as const) {
    app.get<{ Params: SignedParams }>(`/_blobs/registry-providers/${kind}/:id/download/:expiry/:signature`, async (request, reply) => {
      const { id, expiry, signature } = request.params;
      const content = await providerTransfers.download(request.ctx, kind, id, expiry, signature);
      return reply.type(kind === 'binary' ? 'application/zip' : kind === 'shasums' ? 'text/plain; charset=utf-8' : 'application/pgp-signature').send(content);
    });
  }

  await app.register(uploadRoutes);
}

const UPLOADS = {
  shasums: providerTransfers.uploadShasums,
  'shasums-sig': providerTransfers.uploadShasumsSignature,
  binary: providerTransfers.uploadBinary,
} as const;

/** The upload links: raw bodies of any content type, streamed. */
const uploadRoutes = rawUploads<SignedParams>(
  Object.entries(UPLOADS).map(([kind, upload]) => ({
    path: `/_blobs/registry-providers/${kind}/:id/:expiry/:signature`,
    what: 'the raw file',
    handle: (request, body) => upload(request.ctx, request.params.id, request.params.expiry, request.params.signature, body),
  })),
);
