import * as agentPoolService from '../agent-pools/service.js';
import { allowedActions, authorize, can, preloadWorkspaceAccess, workspaceReadScope } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import { workspaceTargetOf } from '../auth/workspace-target.js';
import type { Ctx } from '../context.js';
import { NotifiedCache } from '../db/notified-cache.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import { isWorkspaceId, newId, type WorkspaceId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { type OrganizationSettings, resolveSettings } from '../organizations/settings.js';
import * as runDeletion from '../runs/deletion.js';
import { type TagBindingInput, withBindingIds } from '../projects/tag-bindings.js';
import * as reservedTagKeyService from '../reserved-tag-keys/service.js';
import { type ExecutionInput, executionChange } from './execution.js';
import {
  ATTRIBUTES,
  type ExecutionMode,
  parseTimestamp,
  validateAutoDestroyDuration,
  validateName,
  validateTagName,
  validateTerraformVersion,
} from './rules.js';
import * as workspaceBlobs from './blob-cleanup.js';
import * as workspaceListStore from './list-store.js';
import * as workspaceStore from './store.js';
import * as tagStore from './tag-store.js';
import { installedTerraformVersion } from './terraform-version.js';
import type { Paged } from '../db/paging.js';

export type { ExecutionMode } from './rules.js';
export type { WorkspaceFilter, WorkspaceSort, WorkspaceSortField } from './list-store.js';
export type { LockHolder, Workspace } from './store.js';

/** A workspace as the caller sees it: its organization's effective settings and what the caller may do. */
export interface WorkspaceView {
  workspace: workspaceStore.Workspace;
  settings: OrganizationSettings;
  allowed: ReadonlySet<Action>;
}

/** A workspace by id, or by organization and workspace name. */
export type WorkspaceSelector = { id: string } | { organizationName: string; name: string };

function describe(selector: WorkspaceSelector): string {
  return 'id' in selector ? `workspace ${selector.id}` : `workspace ${selector.organizationName}/${selector.name}`;
}

/** The caller's actions plus force-delete, per set of actions: shared, so serializers can reuse what they built for it. */
const withForceDelete = new WeakMap<ReadonlySet<Action>, ReadonlySet<Action>>();

/** The actions the caller may perform on a workspace of an organization with `settings`. */
async function workspaceActions(ctx: Ctx, workspace: workspaceStore.Workspace, settings: OrganizationSettings): Promise<ReadonlySet<Action>> {
  const allowed = await allowedActions(ctx, workspaceTargetOf(workspace));
  // The organization may let workspace admins force-delete (workspaces.mdx "Force Delete a workspace").
  if (!settings['allow-force-delete-workspaces'] || !allowed.has('workspace:delete') || allowed.has('workspace:force-delete')) return allowed;
  let extended = withForceDelete.get(allowed);
  if (!extended) {
    extended = new Set([...allowed, 'workspace:force-delete']);
    withForceDelete.set(allowed, extended);
  }
  return extended;
}

/** Views of workspaces: the caller's team access, in one query for all of them. */
export async function viewsOf(ctx: Ctx, workspaces: readonly workspaceStore.Workspace[]): Promise<WorkspaceView[]> {
  for (const organizationId of new Set(workspaces.map((ws) => ws.organizationId))) {
    await preloadWorkspaceAccess(
      ctx,
      organizationId,
      workspaces.filter((ws) => ws.organizationId === organizationId),
    );
  }
  const views: WorkspaceView[] = [];
  for (const workspace of workspaces) {
    const settings = resolveSettings(workspace.organizationSettings);
    views.push({ workspace, settings, allowed: await workspaceActions(ctx, workspace, settings) });
  }
  return views;
}

export async function viewOf(ctx: Ctx, workspace: workspaceStore.Workspace): Promise<WorkspaceView> {
  const [view] = await viewsOf(ctx, [workspace]);
  return view as WorkspaceView;
}

/** Views of the workspaces by id that the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly WorkspaceId[]): Promise<WorkspaceView[]> {
  const views = await viewsOf(ctx, await workspaceStore.findManyById(ctx.db, undefined, [...new Set(ids)]));
  return views.filter((v) => v.allowed.has('workspace:read'));
}

function find(ctx: Ctx, selector: WorkspaceSelector): Promise<workspaceStore.Workspace | undefined> {
  if ('id' in selector) return isWorkspaceId(selector.id) ? workspaceStore.findById(ctx.db, selector.id) : Promise.resolve(undefined);
  return workspaceStore.findByName(ctx.db, selector.organizationName, selector.name);
}

/** Checks `action` on the workspace `selector` found; unknown and not permitted are the same 404. */
async function authorized(ctx: Ctx, selector: WorkspaceSelector, action: Action, workspace: workspaceStore.Workspace | undefined): Promise<workspaceStore.Workspace> {
  const description = describe(selector);
  if (!workspace) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, action, workspaceTargetOf(workspace, description));
  return workspace;
}

/** Loads a workspace and checks `action` on it; unknown and not permitted are the same 404. */
export async function findAuthorized(ctx: Ctx, selector: WorkspaceSelector, action: Action): Promise<workspaceStore.Workspace> {
  return authorized(ctx, selector, action, await find(ctx, selector));
}

/** Reloads a workspace after a change and returns its view. */
export async function reload(ctx: Ctx, id: WorkspaceId): Promise<WorkspaceView> {
  const workspace = await workspaceStore.findById(ctx.db, id);
  if (!workspace) throw new NotFoundError(`workspace ${id} not found`);
  return viewOf(ctx, workspace);
}

export const WORKSPACE_CHANNEL = 'terrace_workspaces';

/**
 * Workspaces as a show reads them, by id and by name: what clients poll, and a show was two thirds
 * of its CPU in reading the row (docs/design.md "Read path performance"). Only a show answers from
 * it; whatever may write reads the row itself. Migration 0049's triggers NOTIFY its channel on any
 * change to a workspace, its tags or its organization (src/db/notified-cache.ts says when else it is
 * emptied); the caller's access is checked on every show, from the auth cache.
 */
const shownWorkspaces = new NotifiedCache(WORKSPACE_CHANNEL, 5_000, 10_000);

export async function show(ctx: Ctx, selector: WorkspaceSelector): Promise<WorkspaceView> {
  const key = 'id' in selector ? `id:${selector.id}` : `name:${selector.organizationName}/${selector.name}`;
  const workspace = await shownWorkspaces.get(key, () => find(ctx, selector));
  return viewOf(ctx, await authorized(ctx, selector, 'workspace:read', workspace));
}

export interface ListOptions {
  filter: workspaceListStore.WorkspaceFilter;
  sort: workspaceListStore.WorkspaceSort;
  page: Page;
}

/**
 * The organization's workspaces the caller may read, filtered in SQL: all of them for owners and whoever
 * reads every workspace (no join), else those the caller's teams reach through workspace or project access.
 */
export async function list(ctx: Ctx, organizationName: string, options: ListOptions): Promise<Paged<WorkspaceView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const scope = await workspaceReadScope(ctx, org.id);
  const filter = 'all' in scope ? options.filter : { ...options.filter, readableByTeams: scope.teamIds };
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { workspaces, total } = await workspaceListStore.selectPage(ctx.db, org, filter, options.sort, window);
  return { items: await viewsOf(ctx, workspaces), total };
}

/** A flat tag to attach by id or by name (name: created in the organization when missing). */
export type TagReference = { id: string } | { name: string };

/** Settings from a request body, before validation; undefined leaves a setting as it is (or at its default on create). */
export interface WorkspaceInput extends ExecutionInput {
  name?: string | undefined;
  description?: string | null | undefined;
  allowDestroyPlan?: boolean | undefined;
  assessmentsEnabled?: boolean | undefined;
  autoApply?: boolean | undefined;
  autoApplyRunTrigger?: boolean | undefined;
  autoDestroyAt?: string | null | undefined;
  autoDestroyActivityDuration?: string | null | undefined;
  fileTriggersEnabled?: boolean | undefined;
  globalRemoteState?: boolean | undefined;
  queueAllRuns?: boolean | undefined;
  sourceName?: string | null | undefined;
  sourceUrl?: string | null | undefined;
  speculativeEnabled?: boolean | undefined;
  structuredRunOutputEnabled?: boolean | undefined;
  terraformVersion?: string | undefined;
  triggerPatterns?: string[] | null | undefined;
  triggerPrefixes?: string[] | null | undefined;
  workingDirectory?: string | null | undefined;
  /** A non-null `vcs-repo` was given. */
  hasVcsRepo?: boolean | undefined;
  projectId?: string | undefined;
  /** `relationships.tags` (create only). */
  tags?: TagReference[] | undefined;
  /** `relationships.tag-bindings`, already validated: on update, the complete new set. */
  tagBindings?: TagBindingInput[] | undefined;
}

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/**
 * Validates the settings of `input` and returns those to store (undefined ones stay as they are), and
 * the agent pool newly named, which the caller checks with agentPoolService.checkUsableBy.
 */
function settingsOf(
  input: WorkspaceInput,
  current: workspaceStore.Workspace | undefined,
  defaultExecutionMode: ExecutionMode,
): { settings: Partial<workspaceStore.WorkspaceSettings>; newPoolId: string | undefined } {
  if (input.hasVcsRepo) {
    throw invalid('vcs-repo', 'VCS connections are not supported by this server yet: create the workspace without vcs-repo and use the CLI or the API');
  }
  if (input.name !== undefined) validateName(input.name);
  if (input.assessmentsEnabled) throw invalid('assessments-enabled', 'health assessments are not available on this server');
  if (input.terraformVersion !== undefined) validateTerraformVersion(input.terraformVersion);
  if (input.autoDestroyActivityDuration) validateAutoDestroyDuration(input.autoDestroyActivityDuration);
  const autoDestroyAt =
    input.autoDestroyAt === undefined ? undefined : input.autoDestroyAt === null ? null : parseTimestamp(input.autoDestroyAt, `${ATTRIBUTES}/auto-destroy-at`);
  const nullToEmpty = <T>(value: T | null | undefined, empty: T): T | undefined => (value === undefined ? undefined : (value ?? empty));
  const execution = executionChange(input, current, defaultExecutionMode);
  const settings = {
    name: input.name,
    description: nullToEmpty(input.description, ''),
    executionMode: execution.executionMode,
    agentPoolId: execution.agentPoolId,
    allowDestroyPlan: input.allowDestroyPlan,
    assessmentsEnabled: input.assessmentsEnabled,
    autoApply: input.autoApply,
    autoApplyRunTrigger: input.autoApplyRunTrigger,
    autoDestroyAt,
    autoDestroyActivityDuration: input.autoDestroyActivityDuration === '' ? null : input.autoDestroyActivityDuration,
    fileTriggersEnabled: input.fileTriggersEnabled,
    globalRemoteState: input.globalRemoteState,
    queueAllRuns: input.queueAllRuns,
    sourceName: input.sourceName,
    sourceUrl: input.sourceUrl,
    speculativeEnabled: input.speculativeEnabled,
    structuredRunOutputEnabled: input.structuredRunOutputEnabled,
    terraformVersion: input.terraformVersion,
    triggerPatterns: nullToEmpty(input.triggerPatterns, []),
    triggerPrefixes: nullToEmpty(input.triggerPrefixes, []),
    workingDirectory: nullToEmpty(input.workingDirectory, ''),
  };
  return { settings, newPoolId: execution.newPoolId };
}

const AGENT_POOL_POINTER = `${ATTRIBUTES}/agent-pool-id`;

const PROJECT_POINTER = '/data/relationships/project';
const TAGS_POINTER = '/data/relationships/tags/data';
const TAG_BINDINGS_POINTER = '/data/relationships/tag-bindings/data';

function checkTagNames(tags: readonly TagReference[] | undefined): void {
  tags?.forEach((tag, index) => {
    if ('name' in tag) validateTagName(tag.name, `${TAGS_POINTER}/${index}/attributes/name`);
  });
}

async function checkProject(ctx: Ctx, organizationId: string, projectId: string): Promise<void> {
  if (!(await workspaceStore.projectExists(ctx.db, organizationId, projectId))) {
    throw new InvalidError(`project ${projectId} not found in this organization`, { pointer: PROJECT_POINTER });
  }
}

function duplicateName(name: string): InvalidError {
  // 422 for a taken name, as for every other invalid attribute (workspaces.mdx "Create a Workspace").
  return new InvalidError(`name ${name} has already been taken`, { pointer: `${ATTRIBUTES}/name` });
}

/** Tags to attach, by reference: missing names are created, unknown ids refused. */
export async function resolveTags(ctx: Ctx, organizationId: string, tags: readonly TagReference[], pointer: string): Promise<tagStore.Tag[]> {
  const ids = tags.flatMap((t) => ('id' in t ? [t.id] : []));
  const names = [...new Set(tags.flatMap((t) => ('name' in t ? [t.name] : [])))];
  const byId = await tagStore.findByIds(ctx.db, organizationId, ids);
  const known = new Set(byId.map((t) => t.id));
  const unknown = tags.findIndex((t) => 'id' in t && !known.has(t.id));
  if (unknown >= 0)
    throw new InvalidError(`tag ${(tags[unknown] as { id: string }).id} not found in this organization`, { pointer: `${pointer}/${unknown}/id` });
  const byName = await tagStore.ensureTags(ctx.db, organizationId, names, () => newId('tag'), ctx.now());
  return [...byId, ...byName];
}

/** Creates a workspace in the organization's default project unless another of its projects is named. */
export async function create(ctx: Ctx, organizationName: string, input: WorkspaceInput): Promise<WorkspaceView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const description = `organization ${organizationName}`;
  if (input.projectId !== undefined && !(await workspaceStore.projectExists(ctx.db, org.id, input.projectId))) {
    // Who may create nowhere learns nothing about projects.
    await authorize(ctx, 'workspace:create', { organizationId: org.id, description });
    await checkProject(ctx, org.id, input.projectId);
  }
  const projectId = input.projectId ?? (await workspaceStore.findDefaultProjectId(ctx.db, org.id));
  if (!projectId) throw new NotFoundError(`organization ${organizationName} has no default project`);
  // Creating is a project permission ("Create Workspaces"; the Default Project for "Manage all workspaces").
  await authorize(ctx, 'workspace:create', { organizationId: org.id, projectId, description });
  if (input.name === undefined) throw invalid('name', 'name is required');
  const { settings, newPoolId } = settingsOf(input, undefined, resolveSettings(org.settings)['default-execution-mode']);
  checkTagNames(input.tags);
  const id = newId('ws');
  if (newPoolId) await agentPoolService.checkUsableBy(ctx, newPoolId, { id, organizationId: org.id, projectId }, AGENT_POOL_POINTER);
  const terraformVersion = settings.terraformVersion ?? (await installedTerraformVersion());
  await reservedTagKeyService.assertOverridable(ctx.db, { organizationId: org.id, projectId }, input.tagBindings ?? [], TAG_BINDINGS_POINTER);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now();
      await workspaceStore.insert(trx, { id, organizationId: org.id, now, settings: { ...settings, name: input.name as string, projectId, terraformVersion } });
      const tags = await resolveTags({ ...ctx, db: trx }, org.id, input.tags ?? [], TAGS_POINTER);
      await tagStore.attach(
        trx,
        id,
        tags.map((t) => t.id),
      );
      await tagStore.upsertBindings(trx, id, withBindingIds(input.tagBindings ?? []), now);
    });
  } catch (err) {
    if (isUniqueViolation(err, 'workspaces_organization_name_key')) throw duplicateName(input.name);
    throw err;
  }
  return reload(ctx, id);
}

/** Changes settings, moves the workspace to another project, or replaces its tag bindings. */
export async function update(ctx: Ctx, selector: WorkspaceSelector, input: WorkspaceInput): Promise<WorkspaceView> {
  const workspace = await findAuthorized(ctx, selector, 'workspace:update');
  const { settings, newPoolId } = settingsOf(input, workspace, resolveSettings(workspace.organizationSettings)['default-execution-mode']);
  if (input.tags !== undefined) throw new InvalidError('tags are added with POST /workspaces/:id/relationships/tags', { pointer: '/data/relationships/tags' });
  if (input.projectId !== undefined && input.projectId !== workspace.projectId) {
    await checkProject(ctx, workspace.organizationId, input.projectId);
    // Moving needs "Move Workspaces" on both the source and the destination project (permissions.mdx).
    for (const projectId of [workspace.projectId, input.projectId]) {
      await authorize(ctx, 'project:move-workspaces', { organizationId: workspace.organizationId, projectId, description: describe(selector) });
    }
  }
  if (newPoolId) {
    const target = { id: workspace.id, organizationId: workspace.organizationId, projectId: input.projectId ?? workspace.projectId };
    await agentPoolService.checkUsableBy(ctx, newPoolId, target, AGENT_POOL_POINTER);
  }
  if (input.tagBindings !== undefined) {
    const target = { organizationId: workspace.organizationId, projectId: input.projectId ?? workspace.projectId };
    await reservedTagKeyService.assertOverridable(ctx.db, target, input.tagBindings, TAG_BINDINGS_POINTER);
  }
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now();
      await workspaceStore.update(trx, workspace.id, { ...settings, projectId: input.projectId }, now);
      if (input.tagBindings !== undefined) await tagStore.replaceBindings(trx, workspace.id, withBindingIds(input.tagBindings), now);
    });
  } catch (err) {
    if (isUniqueViolation(err, 'workspaces_organization_name_key')) throw duplicateName(input.name ?? workspace.name);
    throw err;
  }
  return reload(ctx, workspace.id);
}

/**
 * Moves workspaces of the destination's organization into the project `destination` (projects.mdx "Move
 * workspaces into a project"), all or none: each needs "Move Workspaces" on its current project. The
 * caller has checked it on the destination. One the caller may not move, or that is not there, is a 403
 * naming them all, as the page documents (not the usual 404).
 */
export async function moveIntoProject(ctx: Ctx, destination: { organizationId: string; projectId: string }, ids: readonly string[]): Promise<void> {
  const unique = [...new Set(ids)];
  const found = new Map((await workspaceStore.findManyById(ctx.db, destination.organizationId, unique.filter(isWorkspaceId))).map((ws) => [ws.id, ws]));
  const refused: string[] = [];
  for (const id of unique) {
    const workspace = isWorkspaceId(id) ? found.get(id) : undefined;
    const target = workspace && { organizationId: workspace.organizationId, projectId: workspace.projectId };
    if (!target || !(await can(ctx, 'project:move-workspaces', target))) refused.push(id);
  }
  if (refused.length > 0) throw new ForbiddenError(`Workspace(s) not found, or you are not authorized to move them: ${refused.join(', ')}`);
  await ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    for (const id of found.keys()) await workspaceStore.update(trx, id, { projectId: destination.projectId }, now);
  });
}

/** Force delete: no check for managed resources. Owners only, unless the organization lets workspace admins. */
export async function destroy(ctx: Ctx, selector: WorkspaceSelector): Promise<void> {
  const workspace = await findAuthorized(ctx, selector, 'workspace:delete');
  const allowed = await workspaceActions(ctx, workspace, resolveSettings(workspace.organizationSettings));
  // A visible workspace the caller may delete but not force-delete: 403 (workspaces.mdx "Force Delete a workspace").
  if (!allowed.has('workspace:force-delete')) throw new ForbiddenError(`not authorized to force delete ${describe(selector)}; use safe-delete`);
  await runDeletion.cancelForDeletion(ctx, { workspaceId: workspace.id });
  await ctx.db.transaction().execute(async (trx) => {
    await workspaceBlobs.deleteBlobsAfterCommit(trx, { id: workspace.id });
    await workspaceStore.deleteById(trx, workspace.id);
  });
}

/** Deletes a workspace only when it manages no resources and is not locked (workspaces.mdx "Safe Delete a workspace"). */
export async function safeDestroy(ctx: Ctx, selector: WorkspaceSelector): Promise<void> {
  const workspace = await findAuthorized(ctx, selector, 'workspace:delete');
  // The CLI maps a 409 mentioning "locked" to its own message (cli-protocol.md §4.4).
  if (workspace.lockedBy) throw new ConflictError(`workspace ${workspace.name} is locked and cannot be deleted`);
  if (workspace.resourceCount > 0) {
    throw new ConflictError(`workspace ${workspace.name} is not safe to delete because it is managing ${workspace.resourceCount} resources`);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await workspaceBlobs.deleteBlobsAfterCommit(trx, { id: workspace.id });
    // Refused: the rollback drops the blob deletion too.
    if (!(await workspaceStore.deleteById(trx, workspace.id, { onlyIfSafe: true }))) {
      throw new ConflictError(`workspace ${workspace.name} was locked or changed while deleting; it is not safe to delete`);
    }
  });
}
