import { type ResourceObject, resource, toOne, apiPath } from '../jsonapi/document.js';
import type * as variableService from './service.js';
import { variableAttributes } from './variable-resource.js';

/** Where a variable's `links.self` points: the workspace path, or the legacy `/vars` one it was reached by. */
export type SelfStyle = 'workspace' | 'legacy';

export function serializeVariable(view: variableService.VariableView, style: SelfStyle): ResourceObject {
  const { variable: v, workspace: ws } = view;
  const self = style === 'legacy' ? apiPath('vars', v.id) : `${apiPath('workspaces', ws.id)}/vars/${encodeURIComponent(v.id)}`;
  return resource(
    'vars',
    v.id,
    variableAttributes(v),
    {
      configurable: {
        ...toOne('workspaces', ws.id),
        links: { related: `${apiPath('organizations', ws.organizationName)}/workspaces/${encodeURIComponent(ws.name)}` },
      },
    },
    { self },
  );
}
