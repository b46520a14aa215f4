import { allowedActions, authorize, filterPermitted, preloadProjectAccess, projectsAllowing, type Target } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { resolveSettings } from '../organizations/settings.js';
import * as workspaceService from '../workspaces/service.js';
import * as projectStore from './store.js';
import { MAX_TAG_BINDINGS, type TagBindingInput, withBindingIds } from './tag-bindings.js';
import type { Paged } from '../db/paging.js';

export type { Project, TagBinding } from './store.js';

const ATTRIBUTES = '/data/attributes';

// projects.mdx "Create a Project": letters, digits, spaces, `-` and `_`, not starting or ending with a space, 3 to 40 characters.
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9 _-]{1,38}[A-Za-z0-9_-]$/;
const MAX_DESCRIPTION = 256;
// "a duration up to four digits that is greater than 0 followed by either a d for days or h hours" (projects.mdx).
const DURATION_PATTERN = /^[1-9]\d{0,3}[dh]$/;

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidError('name must be 3 to 40 letters, digits, spaces, "-" and "_", and cannot start or end with a space', {
      pointer: `${ATTRIBUTES}/name`,
    });
  }
}

function validateDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION) {
    throw new InvalidError(`description must be at most ${MAX_DESCRIPTION} characters`, { pointer: `${ATTRIBUTES}/description` });
  }
}

function validateDuration(duration: string | null): void {
  if (duration !== null && !DURATION_PATTERN.test(duration)) {
    throw new InvalidError('auto-destroy-activity-duration must be 1 to 4 digits greater than 0 followed by d or h, such as "14d"', {
      pointer: `${ATTRIBUTES}/auto-destroy-activity-duration`,
    });
  }
}

function duplicateName(name: string): InvalidError {
  return new InvalidError(`name ${name} has already been taken`, { pointer: `${ATTRIBUTES}/name` });
}

function projectNotFound(id: string): NotFoundError {
  return new NotFoundError(`project ${id} not found`);
}

/**
 * The execution settings of the OpenAPI project schema. Projects do not override them yet: they follow the
 * organization, so a request may only restate that (the value read back, or overwrites set to false).
 */
export interface ExecutionSettingsInput {
  defaultExecutionMode?: string | undefined;
  defaultAgentPoolId?: string | null | undefined;
  settingOverwrites?: { 'default-execution-mode'?: boolean | undefined; 'default-agent-pool'?: boolean | undefined } | undefined;
}

/** What a project inherits from its organization: the default execution mode, and the default pool when that mode is `agent`. */
interface InheritedExecution {
  mode: string;
  agentPoolId: string | null;
}

function inheritedExecution(settings: Record<string, unknown>, defaultAgentPoolId: string | null): InheritedExecution {
  const mode = resolveSettings(settings)['default-execution-mode'];
  return { mode, agentPoolId: mode === 'agent' ? defaultAgentPoolId : null };
}

function checkExecutionSettings(input: ExecutionSettingsInput, inherited: InheritedExecution): void {
  const organizationDefault = inherited.mode;
  const overwrites = input.settingOverwrites ?? {};
  const overwritten = Object.entries(overwrites).find(([, value]) => value === true);
  if (overwritten) {
    throw new InvalidError(`projects follow the organization's ${overwritten[0]}; setting-overwrites must be false`, {
      pointer: `${ATTRIBUTES}/setting-overwrites/${overwritten[0]}`,
    });
  }
  if (input.defaultExecutionMode !== undefined && input.defaultExecutionMode !== organizationDefault) {
    throw new InvalidError(
      `projects follow the organization's default execution mode (${organizationDefault}); set the execution mode on the organization or on each workspace`,
      { pointer: `${ATTRIBUTES}/default-execution-mode` },
    );
  }
  if (input.defaultAgentPoolId !== undefined && input.defaultAgentPoolId !== inherited.agentPoolId) {
    throw new InvalidError(
      `projects follow the organization's default agent pool (${inherited.agentPoolId ?? 'none'}); set it on the organization or on each workspace`,
      {
        pointer: `${ATTRIBUTES}/default-agent-pool-id`,
      },
    );
  }
}

/** A project as the caller sees it. */
export interface ProjectView {
  project: projectStore.Project;
  /** Inherited from the organization. */
  defaultExecutionMode: string;
  /** Inherited from the organization, with an `agent` default execution mode. */
  defaultAgentPoolId: string | null;
  allowed: ReadonlySet<Action>;
  /** Only when asked for (`include=effective_tag_bindings`). */
  effectiveTagBindings?: projectStore.TagBinding[] | undefined;
}

function inheritedBy(project: projectStore.Project): InheritedExecution {
  return inheritedExecution(project.organizationSettings, project.organizationDefaultAgentPoolId);
}

/** Views of projects; with their tag bindings (one query for all) when `withBindings`. */
async function viewsOf(ctx: Ctx, projects: projectStore.Project[], withBindings: boolean): Promise<ProjectView[]> {
  const bindings = withBindings
    ? await projectStore.listBindings(
        ctx.db,
        projects.map((p) => p.id),
      )
    : undefined;
  for (const organizationId of new Set(projects.map((p) => p.organizationId))) {
    await preloadProjectAccess(
      ctx,
      organizationId,
      projects.filter((p) => p.organizationId === organizationId).map((p) => p.id),
    );
  }
  const views: ProjectView[] = [];
  for (const project of projects) {
    const inherited = inheritedBy(project);
    views.push({
      project,
      defaultExecutionMode: inherited.mode,
      defaultAgentPoolId: inherited.agentPoolId,
      allowed: await allowedActions(ctx, targetOf(project)),
      effectiveTagBindings: bindings?.filter((b) => b.projectId === project.id),
    });
  }
  return views;
}

function targetOf(project: projectStore.Project): Target {
  return { organizationId: project.organizationId, projectId: project.id, description: `project ${project.id}` };
}

/** Loads a project by id and checks `action` on it; missing and not permitted are the same 404. */
async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<projectStore.Project> {
  const project = await projectStore.findById(ctx.db, id);
  if (!project) throw projectNotFound(id);
  await authorize(ctx, action, targetOf(project));
  return project;
}

/** Views of the projects by id that the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<ProjectView[]> {
  return viewsOf(ctx, await filterPermitted(ctx, 'project:read', await projectStore.findManyById(ctx.db, ids), targetOf), false);
}

async function reload(ctx: Ctx, id: string): Promise<ProjectView> {
  const project = await projectStore.findById(ctx.db, id);
  if (!project) throw projectNotFound(id);
  const [view] = await viewsOf(ctx, [project], false);
  return view as ProjectView;
}

export interface ListOptions {
  filter: projectStore.ProjectFilter;
  descending: boolean;
  /** `filter[permissions][create-workspace]` and `filter[permissions][update]`: only projects the caller may do this in. */
  requiredActions: readonly Action[];
  withBindings: boolean;
  page: Page;
}

/**
 * The organization's projects that the caller may read (and act in, for `requiredActions`), filtered in
 * SQL (projects.mdx "List projects"); `filter.names` wins over `filter.search`.
 */
export async function list(ctx: Ctx, organizationName: string, options: ListOptions): Promise<Paged<ProjectView> & { organizationTotal: number }> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const permitted = await projectsAllowing(ctx, org.id, ['project:read', ...options.requiredActions]);
  const named = options.filter.names !== undefined ? { ...options.filter, search: undefined } : options.filter;
  const filter = permitted === 'all' ? named : { ...named, ids: permitted };
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { projects, total, organizationTotal } = await projectStore.selectPage(ctx.db, org.id, filter, options.descending, window);
  return { items: await viewsOf(ctx, projects, options.withBindings), total, organizationTotal };
}

export async function show(ctx: Ctx, id: string, options: { withBindings: boolean }): Promise<ProjectView> {
  const project = await findAuthorized(ctx, id, 'project:read');
  const [view] = await viewsOf(ctx, [project], options.withBindings);
  return view as ProjectView;
}

export interface CreateProjectInput extends ExecutionSettingsInput {
  name: string;
  description?: string | null | undefined;
  autoDestroyActivityDuration?: string | null | undefined;
  /** Validated by validateTagBindings. */
  tagBindings?: readonly TagBindingInput[] | undefined;
}

export async function create(ctx: Ctx, organizationName: string, input: CreateProjectInput): Promise<ProjectView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'project:create');
  validateName(input.name);
  const description = input.description ?? '';
  validateDescription(description);
  const duration = input.autoDestroyActivityDuration ?? null;
  validateDuration(duration);
  checkExecutionSettings(input, inheritedExecution(org.settings, org.defaultAgentPoolId));
  const id = newId('prj');
  const now = ctx.now();
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await projectStore.insert(trx, { id, organizationId: org.id, name: input.name, description, autoDestroyActivityDuration: duration, createdAt: now });
      await projectStore.replaceBindings(trx, id, withBindingIds(input.tagBindings ?? []), now);
    });
  } catch (err) {
    if (isUniqueViolation(err, projectStore.NAME_CONSTRAINT)) throw duplicateName(input.name);
    throw err;
  }
  return reload(ctx, id);
}

export interface UpdateProjectInput extends ExecutionSettingsInput {
  name?: string | undefined;
  /** null clears it. */
  description?: string | null | undefined;
  /** null clears it. */
  autoDestroyActivityDuration?: string | null | undefined;
  /** Replaces every binding of the project when given (go-tfe ProjectUpdateOptions). */
  tagBindings?: readonly TagBindingInput[] | undefined;
}

export async function update(ctx: Ctx, id: string, input: UpdateProjectInput): Promise<ProjectView> {
  const project = await findAuthorized(ctx, id, 'project:update');
  if (input.name !== undefined) validateName(input.name);
  const description = input.description === null ? '' : input.description;
  if (description !== undefined) validateDescription(description);
  if (input.autoDestroyActivityDuration !== undefined) validateDuration(input.autoDestroyActivityDuration);
  checkExecutionSettings(input, inheritedBy(project));
  const tagBindings = input.tagBindings;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const found = await projectStore.update(trx, id, { name: input.name, description, autoDestroyActivityDuration: input.autoDestroyActivityDuration });
      if (!found) throw projectNotFound(id);
      if (tagBindings !== undefined) await projectStore.replaceBindings(trx, id, withBindingIds(tagBindings), ctx.now());
    });
  } catch (err) {
    if (isUniqueViolation(err, projectStore.NAME_CONSTRAINT)) throw duplicateName(input.name ?? project.name);
    throw err;
  }
  return reload(ctx, id);
}

function notEmpty(project: projectStore.Project): ConflictError {
  return new ConflictError(`project ${project.name} still contains workspaces; move or delete them first`);
}

/** Deletes an empty project; the default project and a project with workspaces are refused (concepts/projects). */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const project = await findAuthorized(ctx, id, 'project:delete');
  if (project.isDefault) throw new ConflictError('the default project cannot be deleted');
  if (project.workspaceCount > 0) throw notEmpty(project);
  try {
    if (!(await projectStore.deleteById(ctx.db, id))) throw projectNotFound(id);
  } catch (err) {
    // A workspace created in the project since the check above.
    if (isForeignKeyViolation(err)) throw notEmpty(project);
    throw err;
  }
}

/** Moves workspaces into the project; "Move Workspaces" on it is checked first, a 404 as for any hidden project. */
export async function moveWorkspaces(ctx: Ctx, id: string, workspaceIds: readonly string[]): Promise<void> {
  const project = await findAuthorized(ctx, id, 'project:move-workspaces');
  if (workspaceIds.length === 0) throw new InvalidError('at least one workspace is required', { pointer: '/data' });
  await workspaceService.moveIntoProject(ctx, { organizationId: project.organizationId, projectId: project.id }, workspaceIds);
}

/** The project's tag bindings (for a project, also its effective ones: projects.mdx "List project tag bindings"). */
export async function listTagBindings(ctx: Ctx, id: string): Promise<projectStore.TagBinding[]> {
  await findAuthorized(ctx, id, 'project:read');
  return projectStore.listBindings(ctx.db, [id]);
}

/**
 * Adds bindings and changes the values of bound keys, never removing any (projects.mdx "Add or update
 * tag bindings on a project"); the project keeps at most MAX_TAG_BINDINGS.
 */
export async function addTagBindings(ctx: Ctx, id: string, bindings: readonly TagBindingInput[]): Promise<projectStore.TagBinding[]> {
  await findAuthorized(ctx, id, 'project:update');
  return ctx.db.transaction().execute(async (trx) => {
    const saved = await projectStore.upsertBindings(trx, id, withBindingIds(bindings), ctx.now());
    if ((await projectStore.countBindings(trx, id)) > MAX_TAG_BINDINGS) {
      throw new InvalidError(`a project can have at most ${MAX_TAG_BINDINGS} tag bindings`, { pointer: '/data' });
    }
    return saved;
  });
}
