import type { Action } from '../auth/permissions.js';
import { carriedRelation, registerResourceType } from '../jsonapi/include-registry.js';
import { type ResourceObject, resource, timestamp, toMany, toOne, apiPath } from '../jsonapi/document.js';
import * as projectService from './service.js';

/**
 * The `permissions` attribute (OpenAPI `projects` schema): each key and the action that grants it. null
 * marks what Terrace does not implement yet (always false).
 */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-read': 'project:read',
  'can-update': 'project:update',
  'can-destroy': 'project:delete',
  'can-create-workspace': 'workspace:create',
  'can-move-workspace': 'project:move-workspaces',
  'can-move-stack': null,
  'can-manage-stacks': null,
  'can-view-stacks': null,
  'can-update-stacks': null,
  'can-deploy-no-code-modules': null,
  'can-read-teams': 'project:read-teams',
  'can-manage-teams': 'project:manage-teams',
  'can-manage-tags': 'project:update',
  'can-manage-varsets': 'variable-set:manage',
  'can-manage-ephemeral-workspace-for-projects': 'project:update',
};

function serializePermissions(view: projectService.ProjectView): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(PERMISSIONS).map(([key, action]) => {
      // The default project can never be deleted (concepts/projects/index.mdx "Default Project").
      if (key === 'can-destroy' && view.project.isDefault) return [key, false];
      return [key, action !== null && view.allowed.has(action)];
    }),
  );
}

export function serializeProject(view: projectService.ProjectView): ResourceObject {
  const { project } = view;
  const path = apiPath('projects', project.id);
  const effective = { related: `${path}/effective-tag-bindings` };
  return resource(
    'projects',
    project.id,
    {
      name: project.name,
      // The doc's responses show null for a project without a description.
      description: project.description === '' ? null : project.description,
      'created-at': timestamp(project.createdAt),
      'workspace-count': project.workspaceCount,
      // Team access to projects arrives with the teams issue.
      'team-count': 0,
      'auto-destroy-activity-duration': project.autoDestroyActivityDuration,
      'default-execution-mode': view.defaultExecutionMode,
      'setting-overwrites': { 'default-execution-mode': false, 'default-agent-pool': false },
      permissions: serializePermissions(view),
    },
    {
      organization: {
        ...toOne('organizations', project.organizationName),
        links: { related: apiPath('organizations', project.organizationName) },
      },
      'tag-bindings': { links: { related: `${path}/tag-bindings` } },
      'effective-tag-bindings': view.effectiveTagBindings
        ? {
            ...toMany(
              'effective-tag-bindings',
              view.effectiveTagBindings.map((b) => b.id),
            ),
            links: effective,
          }
        : { links: effective },
      'default-agent-pool': toOne('agent-pools', view.defaultAgentPoolId),
    },
    { self: path },
  );
}

export function serializeTagBinding(binding: projectService.TagBinding): ResourceObject {
  return resource('tag-bindings', binding.id, { key: binding.key, value: binding.value, 'created-at': timestamp(binding.createdAt) });
}

/** A project's own bindings are all its effective ones: projects do not inherit tags. */
export function serializeEffectiveTagBinding(binding: projectService.TagBinding): ResourceObject {
  return resource('effective-tag-bindings', binding.id, { key: binding.key, value: binding.value });
}

registerResourceType<projectService.ProjectView>('projects', {
  serialize: serializeProject,
  load: projectService.readableViews,
  relations: {
    // Loaded with the project when asked for; a project's own bindings are all its effective ones (projects do not inherit tags).
    effective_tag_bindings: carriedRelation({
      type: 'effective-tag-bindings',
      idOf: (v) => v.project.id,
      membersOf: (v) => (v.effectiveTagBindings ?? []).map((b) => ({ id: b.id, key: b.key, value: b.value, inheritedFromProjectId: null })),
    }),
  },
});
