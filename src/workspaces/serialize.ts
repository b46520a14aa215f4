import type { FastifyRequest } from 'fastify';
import { serializeAgentPool } from '../agent-pools/serialize.js';
import * as agentPoolService from '../agent-pools/service.js';
import type { Action } from '../auth/permissions.js';
import { document, type ResourceObject, resource, timestamp, toOne } from '../jsonapi/document.js';
import { parseInclude, visibleOnly } from '../jsonapi/include.js';
import type { Query } from '../jsonapi/query.js';
import { serializeOrganization } from '../organizations/serialize.js';
import { serializeProject } from '../projects/serialize.js';
import { runsOfWorkspaces } from '../runs/include.js';
import { serializeStateVersion } from '../state-versions/serialize.js';
import * as stateVersionService from '../state-versions/service.js';
import { outputTypeName } from '../state-versions/state-file.js';
import type { OutputView } from '../state-version-outputs/service.js';
import { serializeConfigurationVersion } from '../configuration-versions/serialize.js';
import * as configurationVersionService from '../configuration-versions/service.js';
import type { ConfigurationVersionView } from '../configuration-versions/service.js';
import * as tagService from './tag-service.js';
import { serializeUser } from '../users/serialize.js';
import { executionOf } from './execution.js';
import * as workspaceService from './service.js';

/** The workspace serializer, shared by every workspace route file. */

/** workspaces.mdx "Available Related Resources", and the OpenAPI list. Only what exists is included; the rest has nothing to include yet. */
const INCLUDES = [
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
  'can-manage-run-tasks': null,
  'can-manage-assessments': null,
  'can-read-assessment-results': null,
  'can-manage-ephemeral-workspaces': null,
};

function serializePermissions(allowed: ReadonlySet<Action>): Record<string, boolean> {
  return Object.fromEntries(Object.entries(PERMISSIONS).map(([key, action]) => [key, action !== null && allowed.has(action)]));
}

export function workspacePath(id: string): string {
  return `/api/v2/workspaces/${encodeURIComponent(id)}`;
}

function executionOfView(view: workspaceService.WorkspaceView) {
  const defaults = { defaultExecutionMode: view.settings['default-execution-mode'], defaultAgentPoolId: view.workspace.organizationDefaultAgentPoolId };
  return executionOf(view.workspace, defaults);
}

export function serializeWorkspace(view: workspaceService.WorkspaceView): ResourceObject {
  const { workspace: ws } = view;
  const path = workspacePath(ws.id);
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
      'tag-names': view.tagNames,
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
      'ssh-key': toOne('ssh-keys', null),
      readme: toOne('workspace-readme', null),
      outputs: { data: [] },
      vars: { links: { related: `${path}/vars` } },
      'remote-state-consumers': { links: { related: `${path}/relationships/remote-state-consumers` } },
      'tag-bindings': { links: { related: `${path}/tag-bindings` } },
      'effective-tag-bindings': { links: { related: `${path}/effective-tag-bindings` } },
    },
    {
      self: `/api/v2/organizations/${encodeURIComponent(ws.organizationName)}/workspaces/${encodeURIComponent(ws.name)}`,
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
    inherited ? { 'inherited-from': `/api/v2/projects/${encodeURIComponent(inherited)}` } : undefined,
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

/** The included resources, and the to-many relationships whose members only an include names. */
interface Included {
  resources: ResourceObject[];
  relationships: Map<string, Record<string, { data: { type: string; id: string }[] }>>;
}

async function includedFor(request: FastifyRequest, views: workspaceService.WorkspaceView[]): Promise<Included> {
  const ctx = request.ctx;
  const include = parseInclude(request.query as Query, INCLUDES);
  const workspaces = views.map((v) => v.workspace);
  const related = await workspaceService.related(ctx, views, {
    organization: include.has('organization'),
    project: include.has('project'),
    lockedBy: include.has('locked_by'),
  });
  const poolIds = include.has('agent_pool') ? new Set(views.flatMap((v) => executionOfView(v).agentPoolId ?? [])) : new Set<string>();
  const pools: agentPoolService.AgentPoolView[] = [];
  for (const id of poolIds) {
    const pool = await visibleOnly(() => agentPoolService.show(ctx, id));
    if (pool) pools.push(pool);
  }
  const stateVersions = include.has('current_state_version') ? await stateVersionService.currentOf(ctx, workspaces) : [];
  const configurationVersions: ConfigurationVersionView[] = [];
  if (include.has('current_configuration_version') || include.has('current_configuration_version.ingress_attributes')) {
    for (const id of new Set(workspaces.flatMap((ws) => ws.currentConfigurationVersionId ?? []))) {
      const version = await visibleOnly(() => configurationVersionService.show(ctx, id));
      if (version) configurationVersions.push(version);
    }
  }
  const relationships: Included['relationships'] = new Map(views.map((v) => [v.workspace.id, {}]));
  const resources: ResourceObject[] = [];
  if (include.has('effective_tag_bindings')) {
    const bindings = await tagService.effectiveBindingsOf(ctx, views);
    for (const [workspaceId, list] of bindings) {
      const rel = relationships.get(workspaceId);
      if (rel) rel['effective-tag-bindings'] = { data: list.map((b) => ({ type: 'effective-tag-bindings', id: b.id })) };
      resources.push(...list.map(serializeEffectiveBinding));
    }
  }
  if (include.has('outputs')) {
    const outputs = await stateVersionService.currentOutputsOf(ctx, workspaces);
    for (const [workspaceId, list] of outputs) {
      const rel = relationships.get(workspaceId);
      if (rel) rel.outputs = { data: list.map((o) => ({ type: 'workspace-outputs', id: o.id })) };
      resources.push(...list.map(serializeWorkspaceOutput));
    }
  }
  return {
    resources: [
      ...related.organizations.map(serializeOrganization),
      ...related.projects.map(serializeProject),
      ...related.users.map((user) => serializeUser(user)),
      ...pools.map(serializeAgentPool),
      ...stateVersions.map((view) => serializeStateVersion(ctx, view)),
      ...configurationVersions.map(serializeConfigurationVersion),
      ...resources,
      ...(await runsOfWorkspaces(ctx, workspaces, include)),
    ],
    relationships,
  };
}

/** The serialized workspace with the members of the relationships an include filled. */
function withIncluded(view: workspaceService.WorkspaceView, included: Included): ResourceObject {
  const serialized = serializeWorkspace(view);
  return { ...serialized, relationships: { ...serialized.relationships, ...included.relationships.get(view.workspace.id) } };
}

/** Workspaces and what `include=` asks for, with the list's links and meta. */
export async function workspacesDocument(
  request: FastifyRequest,
  views: workspaceService.WorkspaceView[],
  parts: { links?: Record<string, string | null>; meta?: Record<string, unknown> },
) {
  const included = await includedFor(request, views);
  return document(
    views.map((view) => withIncluded(view, included)),
    { ...parts, included: included.resources },
  );
}

/** A workspace document with what `include=` asks for. */
export async function workspaceDocument(request: FastifyRequest, view: workspaceService.WorkspaceView) {
  const included = await includedFor(request, [view]);
  return document(withIncluded(view, included), { included: included.resources });
}

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
