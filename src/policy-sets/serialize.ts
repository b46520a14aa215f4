import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as policySetService from './service.js';
import type { PolicySetView, VersionView } from './service.js';

/**
 * policy-sets.mdx "Show a policy set": a set is versioned (uploaded versions) unless it has individual
 * policies; `vcs-repo` and `policies-path` are null (no VCS sources).
 */
export function serializePolicySet({ set, targets, policyCount }: PolicySetView): ResourceObject {
  return resource(
    'policy-sets',
    set.id,
    {
      name: set.name,
      description: set.description,
      kind: set.kind,
      global: set.global,
      'agent-enabled': set.agentEnabled,
      'policy-tool-version': set.policyToolVersion,
      overridable: set.overridable,
      'policy-count': policyCount,
      'workspace-count': targets.workspace.length,
      'project-count': targets.project.length,
      'policies-path': null,
      versioned: targets.policy.length === 0,
      'vcs-repo': null,
      'created-at': timestamp(set.createdAt),
      'updated-at': timestamp(set.updatedAt),
    },
    {
      organization: toOne('organizations', set.organizationName),
      'current-version': toOne('policy-set-versions', set.currentVersionId),
      'newest-version': toOne('policy-set-versions', set.newestVersionId),
      projects: toMany('projects', targets.project),
      workspaces: toMany('workspaces', targets.workspace),
      'workspace-exclusions': toMany('workspaces', targets.exclusion),
      policies: toMany('policies', targets.policy),
    },
    { self: apiPath('policy-sets', set.id) },
  );
}

/** policy-sets.mdx "Show a policy set version": `source` is `tfe-api`, the upload link while it is pending. */
export function serializePolicySetVersion({ version, uploadUrl }: VersionView): ResourceObject {
  return resource(
    'policy-set-versions',
    version.id,
    {
      source: 'tfe-api',
      status: version.status,
      'status-timestamps': version.statusTimestamps,
      error: version.error,
      'ingress-attributes': null,
      'created-at': timestamp(version.createdAt),
      'updated-at': timestamp(version.updatedAt),
    },
    { 'policy-set': toOne('policy-sets', version.policySetId) },
    { self: apiPath('policy-set-versions', version.id), ...(uploadUrl ? { upload: uploadUrl } : {}) },
  );
}

registerResourceType<PolicySetView>('policy-sets', { serialize: serializePolicySet, load: policySetService.readableViews });
registerResourceType<VersionView>('policy-set-versions', { serialize: serializePolicySetVersion, load: policySetService.visibleVersions });
