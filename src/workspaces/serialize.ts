import { isWorkspaceId } from '../ids.js';
import { retentionPolicyRelationship } from '../data-retention-policies/serialize.js';
import { type Related, registerResourceType } from '../jsonapi/include-registry.js';
import type { Action } from '../auth/permissions.js';
import { type ResourceObject, resource, timestamp, toOne, apiPath } from '../jsonapi/document.js';
import * as stateVersionService from '../state-versions/service.js';
import { outputTypeName } from '../state-versions/state-file.js';
import type { OutputView } from '../state-version-outputs/service.js';
import * as tagService from './tag-service.js';
import { executionOf } from './execution.js';
import * as workspaceService from './service.js';

/** The workspace serializer, shared by every workspace route file. */

/** workspaces.mdx "Available Related Resources", and the OpenAPI list. Only what exists is included; the rest has nothing to include yet. */
export const WORKSPACE_INCLUDES = [
  'organization',
  'project',
  'locked_by',
  'readme',
  'outputs',
  'current_run',
  'current_run.plan',
  'current_run.apply',
  'current_run.configuration_version',
  'current_run.configuration_version.ingress_attributes',
  'latest_run',
  'latest_run.plan',
  'latest_run.configuration_version',
  'latest_run.configuration_version.ingress_attributes',
  'current_state_version',
  'current_state_version.resources_processed',
  'current_configuration_version',
  'current_configuration_version.ingress_attributes',
  'current_assessment_result',
  'agent_pool',
  'vars',
  'effective_tag_bindings',
] as const;

/**
 * The `permissions` attribute: each key and the action that grants it. null marks what Terrace does not
 * implement (always false). The CLI dereferences this object (cli-protocol.md §3.4) and picks
 * safe-delete when `can-force-delete` is present (§4.4), so every key is always sent.
 */
const PERMISSIONS: Readonly<Record<string, Action | null>> = {
  'can-update': 'workspace:update',
  'can-destroy': 'workspace:delete',
  'can-queue-run': 'workspace:queue-run',
  'can-read-run': 'workspace:read-runs',
  'can-read-variable': 'workspace:read-variables',
  'can-update-variable': 'workspace:manage-variables',
  'can-read-state-versions': 'workspace:read-state',
  'can-read-state-outputs': 'workspace:read-state-outputs',
  'can-create-state-versions': 'workspace:write-state',
  'can-queue-apply': 'workspace:apply-run',
  'can-queue-destroy': 'workspace:apply-run',
  'can-lock': 'workspace:lock',
  'can-unlock': 'workspace:unlock',
  'can-force-unlock': 'workspace:force-unlock',
  'can-read-settings': 'workspace:read',
  'can-manage-tags': 'workspace:update',
  'can-force-delete': 'workspace:force-delete',
  'can-manage-run-tasks': 'workspace:manage-run-tasks',
  'can-manage-assessments': null,
  'can-read-assessment-results': null,
  'can-manage-ephemeral-workspaces': null,
};

/** One `permissions` object per distinct set of actions (sets are shared per caller and role): a page of workspaces builds it once. */
const permissionsBySet = new WeakMap<ReadonlySet<Action>, Record<string, boolean>>();

function serializePermissions(allowed: ReadonlySet<Action>): Record<string, boolean> {
  let permissions = permissionsBySet.get(allowed);
  if (!permissions) {
    permissions = Object.fromEntries(Object.entries(PERMISSIONS).map(([key, action]) => [key, action !== null && allowed.has(action)]));
    permissionsBySet.set(allowed, permissions);
  }
  return permissions;
}

function executionOfView(view: workspaceService.WorkspaceView) {
  const defaults = { defaultExecutionMode: view.settings['default-execution-mode'], defaultAgentPoolId: view.workspace.organizationDefaultAgentPoolId };
  return executionOf(view.workspace, defaults);
}

export function serializeWorkspace(view: workspaceService.WorkspaceView): ResourceObject {
  const { workspace: ws } = view;
  const path = apiPath('workspaces', ws.id);
  const execution = executionOfView(view);
  return resource(
    'workspaces',
    ws.id,
    {
      name: ws.name,
      description: ws.description === '' ? null : ws.description,
      environment: 'default',
      'created-at': timestamp(ws.createdAt),
      'updated-at': timestamp(ws.updatedAt),
      'latest-change-at': timestamp(ws.latestChangeAt),
      locked: ws.lockedBy !== null,
      'locked-reason': ws.lockReason ?? '',
      'execution-mode': execution.mode,
      operations: execution.mode !== 'local',
      // Which of the two the workspace sets itself rather than following its organization (workspaces.mdx "setting-overwrites").
      'setting-overwrites': { 'execution-mode': execution.overwrites.executionMode, 'agent-pool': execution.overwrites.agentPool },
      'terraform-version': ws.terraformVersion,
      'working-directory': ws.workingDirectory,
      'allow-destroy-plan': ws.allowDestroyPlan,
      'assessments-enabled': ws.assessmentsEnabled,
      'auto-apply': ws.autoApply,
      'auto-apply-run-trigger': ws.autoApplyRunTrigger,
      'auto-destroy-at': timestamp(ws.autoDestroyAt),
      'auto-destroy-activity-duration': ws.autoDestroyActivityDuration,
      'auto-destroy-status': null,
      'file-triggers-enabled': ws.fileTriggersEnabled,
      'global-remote-state': ws.globalRemoteState,
      'queue-all-runs': ws.queueAllRuns,
      'speculative-enabled': ws.speculativeEnabled,
      'structured-run-output-enabled': ws.structuredRunOutputEnabled,
      'trigger-patterns': ws.triggerPatterns,
      'trigger-prefixes': ws.triggerPrefixes,
      // No VCS connections yet; a non-null vcs-repo would also block CLI applies (cli-protocol.md §6.2).
      'vcs-repo': null,
      'vcs-repo-identifier': null,
      'resource-count': ws.resourceCount,
      // Averages over no runs are undefined; counts of no runs are 0.
      'apply-duration-average': null,
      'plan-duration-average': null,
      'policy-check-failures': 0,
      'run-failures': 0,
      'workspace-kpis-runs-count': 0,
      'last-assessment-result-at': null,
      source: 'tfe-api',
      'source-name': ws.sourceName,
      'source-url': ws.sourceUrl,
      'tag-names': ws.tagNames,
      permissions: serializePermissions(view.allowed),
      actions: { 'is-destroyable': ws.lockedBy === null && ws.resourceCount === 0 },
    },
    {
      organization: toOne('organizations', ws.organizationName),
      project: toOne('projects', ws.projectId),
      'current-run': toOne('runs', ws.currentRunId),
      'latest-run': toOne('runs', ws.latestRunId),
      'current-state-version': toOne('state-versions', ws.currentStateVersionId),
      'current-configuration-version': toOne('configuration-versions', ws.currentConfigurationVersionId),
      'current-assessment-result': toOne('assessment-results', null),
      'locked-by': toOne(ws.lockedBy?.kind ?? 'users', ws.lockedBy?.id),
      'agent-pool': toOne('agent-pools', execution.agentPoolId),
      'ssh-key': toOne('ssh-keys', ws.sshKeyId),
      'data-retention-policy': retentionPolicyRelationship(ws.dataRetentionPolicy),
      readme: toOne('workspace-readme', null),
      outputs: { data: [] },
      vars: { links: { related: `${path}/vars` } },
      'remote-state-consumers': { links: { related: `${path}/relationships/remote-state-consumers` } },
      'tag-bindings': { links: { related: `${path}/tag-bindings` } },
      'effective-tag-bindings': { links: { related: `${path}/effective-tag-bindings` } },
    },
    {
      self: `${apiPath('organizations', ws.organizationName)}/workspaces/${encodeURIComponent(ws.name)}`,
      // The workspace's web page, as the service links it (no-code-provisioning.mdx sample).
      'self-html': `/app/${encodeURIComponent(ws.organizationName)}/workspaces/${encodeURIComponent(ws.name)}`,
    },
  );
}

/** The `included` resources for `include=`: the organization, the project, users holding locks and current state versions. */
/** An effective tag binding: the workspace's own, or its project's with a link to it. */
export function serializeEffectiveBinding(binding: tagService.EffectiveTagBinding): ResourceObject {
  const inherited = binding.inheritedFromProjectId;
  return resource(
    'effective-tag-bindings',
    binding.id,
    { key: binding.key, value: binding.value },
    undefined,
    inherited ? { 'inherited-from': apiPath('projects', inherited) } : undefined,
  );
}

/**
 * An output of the workspace's current state as `include=outputs` gives it (go-tfe WorkspaceOutputs);
 * its id is the state version output's, which the tfe provider reads a sensitive value through.
 */
function serializeWorkspaceOutput(output: OutputView): ResourceObject {
  return resource('workspace-outputs', output.id, {
    name: output.name,
    sensitive: output.sensitive,
    'output-type': outputTypeName(output.detailedType, output.value),
    value: output.value,
    'detailed-type': output.detailedType,
  });
}

/** Lists the members that only an include names, per workspace, as `related` entries of `type`. */
function membersByWorkspace<V>(type: string, members: Map<string, V[]>): Map<string, Related[]> {
  return new Map([...members].map(([workspaceId, list]) => [workspaceId, list.map((view) => ({ type, view }))]));
}

registerResourceType<workspaceService.WorkspaceView>('workspaces', {
  serialize: serializeWorkspace,
  load: (ctx, ids) => workspaceService.readableViews(ctx, ids.filter(isWorkspaceId)),
  relations: {
    // The current state version only where the caller may read state, outputs where it may read outputs.
    current_state_version: {
      load: async (ctx, views) => {
        const versions = await stateVersionService.currentOf(
          ctx,
          views.map((v) => v.workspace),
        );
        return new Map(versions.map((view) => [view.version.workspaceId, [{ type: 'state-versions', view }]]));
      },
    },
    outputs: {
      linkage: true,
      load: async (ctx, views) =>
        membersByWorkspace(
          'workspace-outputs',
          await stateVersionService.currentOutputsOf(
            ctx,
            views.map((v) => v.workspace),
          ),
        ),
    },
    effective_tag_bindings: {
      linkage: true,
      load: async (ctx, views) => membersByWorkspace('effective-tag-bindings', await tagService.effectiveBindingsOf(ctx, views)),
    },
  },
});
registerResourceType<OutputView>('workspace-outputs', { serialize: serializeWorkspaceOutput });
registerResourceType<tagService.EffectiveTagBinding>('effective-tag-bindings', { serialize: serializeEffectiveBinding });

export function serializeTag(tag: tagService.Tag, organizationName: string): ResourceObject {
  return resource(
    'tags',
    tag.id,
    { name: tag.name, 'created-at': timestamp(tag.createdAt), 'instance-count': tag.instanceCount },
    { organization: toOne('organizations', organizationName) },
  );
}

export function serializeBinding(binding: tagService.TagBinding): ResourceObject {
  return resource('tag-bindings', binding.id, { key: binding.key, value: binding.value, 'created-at': timestamp(binding.createdAt) });
}
