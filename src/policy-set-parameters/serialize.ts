import { type ResourceObject, resource, apiPath } from '../jsonapi/document.js';
import type { PolicySetParameter } from './service.js';

/** policy-set-params.mdx "Create a Parameter": type `vars`, category `policy-set`; a sensitive value is null. */
export function serializeParameter(parameter: PolicySetParameter): ResourceObject {
  const setPath = apiPath('policy-sets', parameter.policySetId);
  return resource(
    'vars',
    parameter.id,
    { key: parameter.key, value: parameter.sensitive ? null : parameter.value, sensitive: parameter.sensitive, category: 'policy-set' },
    { configurable: { data: { type: 'policy-sets', id: parameter.policySetId }, links: { related: setPath } } },
    { self: `${setPath}/parameters/${encodeURIComponent(parameter.id)}` },
  );
}
