import { carriedRelation, registerResourceType } from '../jsonapi/include-registry.js';
import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import { variableAttributes } from '../variables/variable-resource.js';
import type * as variableSetService from './service.js';

export function serializeVariableSet({ set, links, canUpdate }: variableSetService.VariableSetView): ResourceObject {
  return resource(
    'varsets',
    set.id,
    {
      name: set.name,
      description: set.description,
      global: set.isGlobal,
      priority: set.priority,
      'updated-at': timestamp(set.updatedAt),
      'var-count': links.variableIds.length,
      'workspace-count': links.workspaceIds.length,
      'project-count': links.projectIds.length,
      permissions: { 'can-update': canUpdate },
    },
    {
      organization: toOne('organizations', set.organizationName),
      vars: toMany('vars', links.variableIds),
      workspaces: toMany('workspaces', links.workspaceIds),
      projects: toMany('projects', links.projectIds),
      parent: set.parentProjectId === null ? toOne('organizations', set.organizationName) : toOne('projects', set.parentProjectId),
    },
    { self: apiPath('varsets', set.id) },
  );
}

export function serializeVariable(v: variableSetService.VariableSetVariable, extra: ResourceObject['relationships'] = {}): ResourceObject {
  return resource(
    'vars',
    v.id,
    variableAttributes(v),
    { varset: { ...toOne('varsets', v.variableSetId), links: { related: apiPath('varsets', v.variableSetId) } }, ...extra },
    { self: `${apiPath('varsets', v.variableSetId)}/relationships/vars/${encodeURIComponent(v.id)}` },
  );
}

registerResourceType<variableSetService.VariableSetView>('varsets', {
  serialize: serializeVariableSet,
  relations: {
    // Loaded with the set when asked for.
    vars: carriedRelation({ type: 'variable-set-vars', idOf: (v) => v.set.id, membersOf: (v) => v.variables ?? [] }),
  },
});
// A set's variables are `vars` on the wire, as a workspace's are, but another view: a key of their own.
registerResourceType<variableSetService.VariableSetVariable>('variable-set-vars', { serialize: (v) => serializeVariable(v) });
