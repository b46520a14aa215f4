import { type ResourceObject, resource, timestamp, toMany, toOne } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type { GpgKey } from '../gpg-keys/service.js';
import type { PlatformView, ProviderView, RegistryProvider, VersionView } from './service.js';

/** Private providers, versions, platforms (provider-versions-platforms.mdx) and GPG keys (gpg-keys.mdx). */

export function providerPath(provider: RegistryProvider): string {
  const { organizationName, registryName, namespace, name } = provider;
  return `/api/v2/organizations/${[organizationName, 'registry-providers', registryName, namespace, name].map(encodeURIComponent).join('/')}`;
}

export function serializeProvider({ provider, canManage }: ProviderView): ResourceObject {
  return resource(
    'registry-providers',
    provider.id,
    {
      name: provider.name,
      namespace: provider.namespace,
      'registry-name': provider.registryName,
      'created-at': timestamp(provider.createdAt),
      'updated-at': timestamp(provider.updatedAt),
      permissions: { 'can-delete': canManage },
    },
    {
      organization: toOne('organizations', provider.organizationName),
      versions: { data: [], links: { related: `${providerPath(provider)}/versions` } },
    },
    { self: providerPath(provider) },
  );
}

export function serializeProviderVersion({ version, provider, canManage, links }: VersionView): ResourceObject {
  const path = `${providerPath(provider)}/versions/${encodeURIComponent(version.version)}`;
  return resource(
    'registry-provider-versions',
    version.id,
    {
      version: version.version,
      'created-at': timestamp(version.createdAt),
      'updated-at': timestamp(version.updatedAt),
      'key-id': version.keyId,
      protocols: version.protocols,
      permissions: { 'can-delete': canManage, 'can-upload-asset': canManage },
      'shasums-uploaded': version.shasums !== null,
      'shasums-sig-uploaded': version.shasumsSig !== null,
    },
    {
      'registry-provider': toOne('registry-providers', version.providerId),
      platforms: { ...toMany('registry-provider-platforms', version.platformIds), links: { related: `${path}/platforms` } },
    },
    links,
  );
}

export function serializeProviderPlatform({ platform, canManage, links }: PlatformView): ResourceObject {
  return resource(
    'registry-provider-platforms',
    platform.id,
    {
      os: platform.os,
      arch: platform.arch,
      filename: platform.filename,
      shasum: platform.shasum,
      permissions: { 'can-delete': canManage, 'can-upload-asset': canManage },
      'provider-binary-uploaded': platform.blobKey !== null,
    },
    { 'registry-provider-version': toOne('registry-provider-versions', platform.versionId) },
    links,
  );
}

export function serializeGpgKey(key: GpgKey): ResourceObject {
  return resource(
    'gpg-keys',
    key.id,
    {
      'ascii-armor': key.asciiArmor,
      'created-at': timestamp(key.createdAt),
      'key-id': key.keyId,
      namespace: key.namespace,
      source: '',
      'source-url': null,
      'trust-signature': '',
      'updated-at': timestamp(key.updatedAt),
    },
    undefined,
    { self: `/v2/gpg-keys/${encodeURIComponent(key.id)}` },
  );
}

registerResourceType<ProviderView>('registry-providers', { serialize: serializeProvider });
