import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as policyService from './service.js';
import type { Policy } from './service.js';

/** policies.mdx "Show a Policy": with the deprecated `enforce` list of its one file, and the upload and download links. */
export function serializePolicy(policy: Policy): ResourceObject {
  const path = apiPath('policies', policy.id);
  return resource(
    'policies',
    policy.id,
    {
      name: policy.name,
      description: policy.description,
      kind: 'opa',
      query: policy.query,
      'enforcement-level': policy.enforcementLevel,
      enforce: [{ path: `${policy.name}.rego`, mode: policy.enforcementLevel }],
      'policy-set-count': policy.policySetIds.length,
      'updated-at': timestamp(policy.updatedAt),
    },
    {
      organization: toOne('organizations', policy.organizationName),
      'policy-sets': toMany('policy-sets', policy.policySetIds),
    },
    { self: path, upload: `${path}/upload`, ...(policy.hasBody ? { download: `${path}/download` } : {}) },
  );
}

registerResourceType<Policy>('policies', { serialize: serializePolicy, load: policyService.readableViews });
