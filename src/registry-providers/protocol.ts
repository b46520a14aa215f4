import { signedUrl } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import * as gpgKeyStore from '../gpg-keys/store.js';
import { findProvider } from './service.js';
import * as providerStore from './store.js';
import { DOWNLOAD_URL_TTL_SECONDS, downloadPath } from './transfers.js';

/** The provider registry protocol (concepts/registry: "Provider Registry Protocol"), what `terraform init` reads. */

/** A version terraform can install: signed SHA256SUMS, and the platforms whose binary it lists with their shasum. */
function installablePlatforms(version: providerStore.ProviderVersion, platforms: readonly providerStore.ProviderPlatform[]): providerStore.ProviderPlatform[] {
  if (version.shasums === null || version.shasumsSig === null) return [];
  const listed = new Set(
    version.shasums
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  );
  return platforms.filter((p) => p.versionId === version.id && p.blobKey !== null && listed.has(`${p.shasum}  ${p.filename}`));
}

async function protocolProvider(ctx: Ctx, namespace: string, name: string): Promise<providerStore.RegistryProvider> {
  return (await findProvider(ctx, namespace, { registryName: 'private', namespace, name }, 'registry:read')).provider;
}

export async function protocolVersions(ctx: Ctx, namespace: string, name: string) {
  const provider = await protocolProvider(ctx, namespace, name);
  const { versions } = await providerStore.versionsOf(ctx.db, provider.id);
  const platforms = await providerStore.platformsOf(
    ctx.db,
    versions.map((v) => v.id),
  );
  return {
    id: `${namespace}/${name}`,
    versions: versions.flatMap((version) => {
      const installable = installablePlatforms(version, platforms);
      return installable.length === 0
        ? []
        : [{ version: version.version, protocols: version.protocols, platforms: installable.map((p) => ({ os: p.os, arch: p.arch })) }];
    }),
    warnings: null,
  };
}

export async function protocolDownload(ctx: Ctx, namespace: string, name: string, versionNumber: string, os: string, arch: string) {
  const provider = await protocolProvider(ctx, namespace, name);
  const version = await providerStore.findVersionByNumber(ctx.db, provider.id, versionNumber);
  const platform = version && installablePlatforms(version, await providerStore.platformsOf(ctx.db, [version.id])).find((p) => p.os === os && p.arch === arch);
  const key = version && (await gpgKeyStore.find(ctx.db, provider.organizationId, version.keyId));
  if (!version || !platform || !key) throw new NotFoundError(`provider ${namespace}/${name} ${versionNumber} has no ${os}_${arch} package`);
  return {
    protocols: version.protocols,
    os,
    arch,
    filename: platform.filename,
    download_url: signedUrl(ctx, downloadPath('binary', platform.id), DOWNLOAD_URL_TTL_SECONDS),
    shasums_url: signedUrl(ctx, downloadPath('shasums', version.id), DOWNLOAD_URL_TTL_SECONDS),
    shasums_signature_url: signedUrl(ctx, downloadPath('shasums-sig', version.id), DOWNLOAD_URL_TTL_SECONDS),
    shasum: platform.shasum,
    signing_keys: { gpg_public_keys: [{ key_id: key.keyId, ascii_armor: key.asciiArmor, trust_signature: '', source: '', source_url: null }] },
  };
}
