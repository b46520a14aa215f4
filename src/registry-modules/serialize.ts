import { type ResourceObject, resource, timestamp, toOne } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import type { ModuleInterface } from './module-interface.js';
import type { ModuleVersion, ModuleVersionView, ModuleView, RegistryModule } from './service.js';

/** Registry modules and versions (modules.mdx), and the registry protocol's answers. */

export function modulePath(module: RegistryModule): string {
  const { organizationName, registryName, namespace, name, provider } = module;
  return `/api/v2/organizations/${[organizationName, 'registry-modules', registryName, namespace, name, provider].map(encodeURIComponent).join('/')}`;
}

/** "status": `setup_complete` once a version was read, else `pending`. */
export function serializeModule({ module, canManage }: ModuleView): ResourceObject {
  return resource(
    'registry-modules',
    module.id,
    {
      name: module.name,
      namespace: module.namespace,
      provider: module.provider,
      'registry-name': module.registryName,
      status: module.versionStatuses.some((v) => v.status === 'ok') ? 'setup_complete' : 'pending',
      'version-statuses': module.versionStatuses,
      'no-code': module.noCode,
      // Tests run on the built-in runner (modules.mdx "Update a Private Registry Module").
      'test-config': { 'tests-enabled': module.testsEnabled, 'agent-execution-mode': 'remote', 'agent-pool-id': null },
      'created-at': timestamp(module.createdAt),
      'updated-at': timestamp(module.updatedAt),
      // Terrace has no VCS connections: nothing to resync or retry, which deletion rights stand for.
      permissions: { 'can-delete': canManage, 'can-resync': canManage, 'can-retry': canManage },
    },
    { organization: toOne('organizations', module.organizationName) },
    { self: modulePath(module) },
  );
}

export function serializeModuleVersion({ version, uploadUrl }: ModuleVersionView): ResourceObject {
  return resource(
    'registry-module-versions',
    version.id,
    {
      source: 'tfe-api',
      status: version.status,
      version: version.version,
      ...(version.error !== null ? { error: version.error } : {}),
      'created-at': timestamp(version.createdAt),
      'updated-at': timestamp(version.updatedAt),
    },
    { 'registry-module': toOne('registry-modules', version.moduleId) },
    uploadUrl ? { upload: uploadUrl } : undefined,
  );
}

/** The registry protocol's versions list ("List Available Versions for a Specific Module"). */
export function protocolVersionsDocument(module: RegistryModule, versions: readonly ModuleVersion[]) {
  return { modules: [{ source: `${module.namespace}/${module.name}/${module.provider}`, versions: versions.map((v) => ({ version: v.version })) }] };
}

/** "Get a Specific Module", with the interface read from the archive. */
export function protocolDetailsDocument(
  module: RegistryModule,
  version: ModuleVersion,
  versions: readonly ModuleVersion[],
  moduleInterface: ModuleInterface | null,
) {
  return {
    id: `${module.namespace}/${module.name}/${module.provider}/${version.version}`,
    owner: '',
    namespace: module.namespace,
    name: module.name,
    version: version.version,
    provider: module.provider,
    provider_logo_url: '',
    description: '',
    source: '',
    tag: '',
    published_at: timestamp(version.updatedAt),
    downloads: 0,
    verified: false,
    root: { path: '', name: module.name, ...moduleInterface },
    submodules: [],
    examples: [],
    providers: [module.provider],
    versions: versions.map((v) => v.version),
  };
}

registerResourceType<ModuleView>('registry-modules', { serialize: serializeModule });
