import { authorizeWorkspace } from '../auth/authorize.js';
import { authorize, can, type Target as AuthorizationTarget } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { newVariableFields, type VariableInput } from '../variables/rules.js';
import * as variableSetStore from './store.js';
import * as variableSetVariableStore from './variable-store.js';
import type { Paged } from '../db/paging.js';

export type { VariableSet, VariableSetLinks } from './store.js';
export type { VariableInput } from '../variables/rules.js';
export type { VariableSetVariable } from './variable-store.js';

/** A set as the caller sees it: its links, whether the caller may change it, and its variables when included. */
export interface VariableSetView {
  set: variableSetStore.VariableSet;
  links: variableSetStore.VariableSetLinks;
  canUpdate: boolean;
  /** Present when the request includes `vars`. */
  variables?: variableSetVariableStore.VariableSetVariable[];
}

/** The parent relationship of a create or update body (variable-sets.mdx "Create a Variable Set"). */
export interface ParentInput {
  type: string;
  id: string;
}

export interface CreateVariableSetInput {
  name: string;
  description?: string | null | undefined;
  global?: boolean | undefined;
  priority?: boolean | undefined;
  workspaceIds?: readonly string[] | undefined;
  projectIds?: readonly string[] | undefined;
  variables?: readonly VariableInput[] | undefined;
  parent?: ParentInput | undefined;
}

/** Absent attributes keep their values; `workspaceIds`/`projectIds` replace the assignments; `variables` are added. */
export interface UpdateVariableSetInput extends Partial<CreateVariableSetInput> {}

const attribute = (name: string) => ({ pointer: `/data/attributes/${name}` });
const relationship = (name: string, index: number) => ({ pointer: `/data/relationships/${name}/data/${index}/id` });
const nestedVariable = (index: number) => `/data/relationships/vars/data/${index}/attributes`;

function variableSetNotFound(id: string): NotFoundError {
  return new NotFoundError(`variable set ${id} not found`);
}

function validateName(name: string): string {
  if (name.trim() === '') throw new InvalidError('name is required', attribute('name'));
  return name;
}

function duplicateName(name: string): InvalidError {
  // 422: the create and update tables list no 409 (variable-sets.mdx).
  return new InvalidError(`name ${name} has already been taken`, attribute('name'));
}

function globalAssignmentError(pointer: { pointer: string }): InvalidError {
  // go-tfe documents that applying a global set to workspaces or projects is an error.
  return new InvalidError('a global variable set applies to every workspace; it cannot be applied to specific workspaces or projects', pointer);
}

/**
 * Refuses variables whose key and category another global set of the organization already has
 * (variable-sets.mdx: global sets cannot conflict). Call inside a transaction holding lockOrganizationGlobalSets.
 */
export async function assertNoGlobalConflict(
  db: Ctx['db'],
  organizationId: string,
  setId: string,
  variables: ReadonlyArray<{ key: string; category: string }>,
  pointerOf: (index: number) => string,
): Promise<void> {
  const conflict = await variableSetVariableStore.findGlobalConflict(db, organizationId, setId, variables);
  if (!conflict) return;
  const index = variables.findIndex((v) => v.key === conflict.key && v.category === conflict.category);
  throw new InvalidError(
    `the global variable set ${conflict.setName} already has a ${conflict.category} variable ${conflict.key}; global variable sets cannot conflict`,
    {
      pointer: pointerOf(index),
    },
  );
}

/** A set's authorization target: a project-owned set is the project's (permissions.mdx "Variable sets"). */
function targetOf(set: Pick<variableSetStore.VariableSet, 'organizationId' | 'parentProjectId'>): AuthorizationTarget {
  return { organizationId: set.organizationId, projectId: set.parentProjectId ?? undefined };
}

/** Loads a set and checks `action` on its organization or owning project; unknown and not permitted are the same 404. */
export async function findAuthorized(ctx: Ctx, id: string, action: 'variable-set:read' | 'variable-set:manage'): Promise<variableSetStore.VariableSet> {
  const set = await variableSetStore.findById(ctx.db, id);
  if (!set) throw variableSetNotFound(id);
  await authorize(ctx, action, { ...targetOf(set), description: `variable set ${id}` });
  return set;
}

async function viewsOf(ctx: Ctx, sets: variableSetStore.VariableSet[], withVariables: boolean): Promise<VariableSetView[]> {
  const ids = sets.map((s) => s.id);
  const links = await variableSetStore.selectLinks(ctx.db, ids);
  const variables = withVariables ? await variableSetVariableStore.selectBySets(ctx.db, ids) : [];
  const views: VariableSetView[] = [];
  for (const set of sets) {
    views.push({
      set,
      links: links.get(set.id) ?? { variableIds: [], workspaceIds: [], projectIds: [] },
      canUpdate: await can(ctx, 'variable-set:manage', targetOf(set)),
      ...(withVariables ? { variables: variables.filter((v) => v.variableSetId === set.id) } : {}),
    });
  }
  return views;
}

export async function show(ctx: Ctx, id: string, options: { withVariables: boolean }): Promise<VariableSetView> {
  const set = await findAuthorized(ctx, id, 'variable-set:read');
  return (await viewsOf(ctx, [set], options.withVariables))[0] as VariableSetView;
}

export interface ListOptions {
  /** `q`: part of the name. */
  search?: string | undefined;
  page: Page;
  withVariables: boolean;
}

async function listPage(ctx: Ctx, filter: variableSetStore.VariableSetFilter, options: ListOptions): Promise<Paged<VariableSetView>> {
  const { sets, total } = await variableSetStore.selectPage(ctx.db, filter, options.search, { limit: options.page.size, offset: pageOffset(options.page) });
  return { items: await viewsOf(ctx, sets, options.withVariables), total };
}

/** The organization's sets; `filter[global]` and `scope=owned` (organization-owned only) from the OpenAPI spec. */
export async function listForOrganization(
  ctx: Ctx,
  organizationName: string,
  options: ListOptions & { isGlobal?: boolean | undefined; organizationOwnedOnly?: boolean | undefined },
): Promise<Paged<VariableSetView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'variable-set:read');
  return listPage(
    ctx,
    { kind: 'organization', organizationId: org.id, isGlobal: options.isGlobal, organizationOwnedOnly: options.organizationOwnedOnly },
    options,
  );
}

export type ProjectListScope = 'owned' | 'applied' | 'shared' | 'all';

/** A project's sets, global ones included (variable-sets.mdx "List Variable Sets"); `scope` from the OpenAPI spec. */
export async function listForProject(ctx: Ctx, projectId: string, options: ListOptions & { scope: ProjectListScope }): Promise<Paged<VariableSetView>> {
  const project = await variableSetStore.findProject(ctx.db, projectId);
  if (!project) throw new NotFoundError(`project ${projectId} not found`);
  await authorize(ctx, 'variable-set:read', { organizationId: project.organizationId, projectId: project.id, description: `project ${projectId}` });
  return listPage(ctx, { kind: 'project', organizationId: project.organizationId, projectId, scope: options.scope }, options);
}

/** The sets that apply to a workspace: global, through its project, or directly. Needs read-variables on the workspace. */
export async function listForWorkspace(ctx: Ctx, workspaceId: string, options: ListOptions): Promise<Paged<VariableSetView>> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:read-variables');
  const filter = { kind: 'workspace' as const, organizationId: workspace.organizationId, projectId: workspace.projectId, workspaceId };
  return listPage(ctx, filter, options);
}

/**
 * The sets the caller could apply to the workspace (OpenAPI `listApplicableVarsets`): the
 * organization's and the workspace's project's sets not applied to it yet, for whoever may manage
 * its variables.
 */
export async function listApplicable(ctx: Ctx, workspaceId: string, options: ListOptions): Promise<Paged<VariableSetView>> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:manage-variables');
  const filter = { kind: 'applicable' as const, organizationId: workspace.organizationId, projectId: workspace.projectId, workspaceId };
  return listPage(ctx, filter, options);
}

/** The parent project id of a create body, or null for the organization; a foreign or unknown parent is a 422. */
async function resolveParent(ctx: Ctx, org: { id: string; name: string }, parent: ParentInput | undefined): Promise<string | null> {
  const pointer = { pointer: '/data/relationships/parent/data' };
  if (parent === undefined) return null;
  if (parent.type === 'organizations') {
    if (parent.id !== org.name) throw new InvalidError(`the parent organization must be ${org.name}`, pointer);
    return null;
  }
  if (parent.type !== 'projects') throw new InvalidError('the parent must be an organization or a project', pointer);
  const project = await variableSetStore.findProject(ctx.db, parent.id);
  if (!project || project.organizationId !== org.id) throw new InvalidError(`project ${parent.id} not found`, pointer);
  return project.id;
}

type Target = Pick<variableSetStore.VariableSet, 'organizationId' | 'isGlobal' | 'parentProjectId'>;

/** Checks that `ids` are workspaces a set may be applied to: same organization, and inside the owning project if any. */
async function resolveWorkspaces(ctx: Ctx, set: Target, ids: readonly string[], pointerOf: (index: number) => { pointer: string }): Promise<string[]> {
  if (ids.length > 0 && set.isGlobal) throw globalAssignmentError(pointerOf(0));
  const found = new Map((await variableSetStore.findWorkspaces(ctx.db, ids)).map((w) => [w.id, w]));
  ids.forEach((id, index) => {
    const workspace = found.get(id);
    if (!workspace || workspace.organizationId !== set.organizationId) throw new InvalidError(`workspace ${id} not found`, pointerOf(index));
    if (set.parentProjectId !== null && workspace.projectId !== set.parentProjectId) {
      throw new InvalidError(`workspace ${id} is not in the project that owns this variable set`, pointerOf(index));
    }
  });
  return [...new Set(ids)];
}

/** Checks that `ids` are projects a set may be applied to: same organization; a project-owned set only to its own project. */
async function resolveProjects(ctx: Ctx, set: Target, ids: readonly string[], pointerOf: (index: number) => { pointer: string }): Promise<string[]> {
  if (ids.length > 0 && set.isGlobal) throw globalAssignmentError(pointerOf(0));
  const found = new Map((await variableSetStore.findProjects(ctx.db, ids)).map((p) => [p.id, p]));
  ids.forEach((id, index) => {
    const project = found.get(id);
    if (!project || project.organizationId !== set.organizationId) throw new InvalidError(`project ${id} not found`, pointerOf(index));
    if (set.parentProjectId !== null && id !== set.parentProjectId) {
      throw new InvalidError('a project-owned variable set can only be applied to its own project', pointerOf(index));
    }
  });
  return [...new Set(ids)];
}

/**
 * Validates (with the workspace-variable rules) and seals the variables of a create or update body; two
 * with the same key and category are a 422.
 */
function prepareNestedVariables(ctx: Ctx, inputs: readonly VariableInput[]) {
  const seen = new Set<string>();
  return inputs.map((input, index) => {
    const prepared = newVariableFields(ctx.config, input, nestedVariable(index));
    const pair = `${prepared.category}\u0000${prepared.key}`;
    if (seen.has(pair)) throw new InvalidError(`key ${prepared.key} is given twice for the same category`, { pointer: `${nestedVariable(index)}/key` });
    seen.add(pair);
    return prepared;
  });
}

/** Creates a set with its assignments and variables in one transaction (variable-sets.mdx "Create a Variable Set"). */
export async function create(ctx: Ctx, organizationName: string, input: CreateVariableSetInput, options: { withVariables: boolean }): Promise<VariableSetView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const description = `organization ${organizationName}`;
  // Project admins create sets owned by their project (permissions.mdx "Variable sets"); other sets need the organization's permission.
  if (input.parent?.type !== 'projects') await authorize(ctx, 'variable-set:manage', { organizationId: org.id, description });
  const parentProjectId = await resolveParent(ctx, org, input.parent);
  await authorize(ctx, 'variable-set:manage', { ...targetOf({ organizationId: org.id, parentProjectId }), description });
  const name = validateName(input.name);
  const isGlobal = input.global ?? false;
  if (isGlobal && parentProjectId !== null) throw new InvalidError('a variable set owned by a project cannot be global', attribute('global'));
  const target = { organizationId: org.id, isGlobal, parentProjectId };
  const workspaceIds = await resolveWorkspaces(ctx, target, input.workspaceIds ?? [], (i) => relationship('workspaces', i));
  const projectIds = await resolveProjects(ctx, target, input.projectIds ?? [], (i) => relationship('projects', i));
  const variables = prepareNestedVariables(ctx, input.variables ?? []);
  const id = newId('varset');
  const now = ctx.now();
  try {
    await ctx.db.transaction().execute(async (trx) => {
      if (isGlobal) {
        await variableSetStore.lockOrganizationGlobalSets(trx, org.id);
        await assertNoGlobalConflict(trx, org.id, id, variables, (i) => `${nestedVariable(i)}/key`);
      }
      await variableSetStore.insert(trx, {
        id,
        organizationId: org.id,
        parentProjectId,
        name,
        description: input.description ?? '',
        isGlobal,
        priority: input.priority ?? false,
        now,
      });
      await variableSetStore.addWorkspaces(trx, id, workspaceIds);
      await variableSetStore.addProjects(trx, id, projectIds);
      for (const variable of variables) await variableSetVariableStore.insert(trx, { ...variable, id: newId('var'), variableSetId: id, now });
    });
  } catch (err) {
    if (isUniqueViolation(err, variableSetStore.NAME_CONSTRAINT)) throw duplicateName(name);
    throw err;
  }
  return show(ctx, id, options);
}

/**
 * Updates attributes, replaces the workspace and project assignments when given, and adds the given
 * variables. The parent cannot change (variable-sets.mdx "Update a Variable Set"). A set that becomes
 * global loses its assignments: it now applies everywhere.
 */
export async function update(ctx: Ctx, id: string, input: UpdateVariableSetInput, options: { withVariables: boolean }): Promise<VariableSetView> {
  const set = await findAuthorized(ctx, id, 'variable-set:manage');
  const name = input.name === undefined ? set.name : validateName(input.name);
  if (input.parent !== undefined) {
    const current = set.parentProjectId === null ? { type: 'organizations', id: set.organizationName } : { type: 'projects', id: set.parentProjectId };
    if (input.parent.type !== current.type || input.parent.id !== current.id) {
      throw new InvalidError('the parent of a variable set cannot change; delete it and create it again', { pointer: '/data/relationships/parent/data' });
    }
  }
  const isGlobal = input.global ?? set.isGlobal;
  if (isGlobal && set.parentProjectId !== null) throw new InvalidError('a variable set owned by a project cannot be global', attribute('global'));
  const target = { organizationId: set.organizationId, isGlobal, parentProjectId: set.parentProjectId };
  const workspaceIds = input.workspaceIds && (await resolveWorkspaces(ctx, target, input.workspaceIds, (i) => relationship('workspaces', i)));
  const projectIds = input.projectIds && (await resolveProjects(ctx, target, input.projectIds, (i) => relationship('projects', i)));
  const added = prepareNestedVariables(ctx, input.variables ?? []);
  const now = ctx.now();
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const locked = await variableSetStore.findById(trx, id, { forUpdate: true });
      if (!locked) throw variableSetNotFound(id);
      const existing = await variableSetVariableStore.selectBySets(trx, [id]);
      added.forEach((variable, index) => {
        if (existing.some((e) => e.key === variable.key && e.category === variable.category)) {
          throw new InvalidError(`key ${variable.key} has already been taken in this variable set for this category`, {
            pointer: `${nestedVariable(index)}/key`,
          });
        }
      });
      if (isGlobal) {
        await variableSetStore.lockOrganizationGlobalSets(trx, set.organizationId);
        // Becoming global, the set's own variables must not clash with other global sets either.
        const checked = locked.isGlobal ? added : [...added, ...existing];
        await assertNoGlobalConflict(trx, set.organizationId, id, checked, (i) => (i < added.length ? `${nestedVariable(i)}/key` : '/data/attributes/global'));
      }
      await variableSetStore.update(trx, id, {
        name,
        description: input.description === undefined ? set.description : (input.description ?? ''),
        isGlobal,
        priority: input.priority ?? set.priority,
        now,
      });
      if (isGlobal || workspaceIds) await variableSetStore.removeWorkspaces(trx, id);
      if (isGlobal || projectIds) await variableSetStore.removeProjects(trx, id);
      await variableSetStore.addWorkspaces(trx, id, workspaceIds ?? []);
      await variableSetStore.addProjects(trx, id, projectIds ?? []);
      for (const variable of added) await variableSetVariableStore.insert(trx, { ...variable, id: newId('var'), variableSetId: id, now });
    });
  } catch (err) {
    if (isUniqueViolation(err, variableSetStore.NAME_CONSTRAINT)) throw duplicateName(name);
    throw err;
  }
  return show(ctx, id, options);
}

/** Deletes the set; its variables and assignments go with it. */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  await findAuthorized(ctx, id, 'variable-set:manage');
  if (!(await variableSetStore.deleteById(ctx.db, id))) throw variableSetNotFound(id);
}

const identifier = (index: number) => ({ pointer: `/data/${index}/id` });

/** Applies the set to more workspaces (variable-sets.mdx "Apply Variable Set to Workspaces"). */
export async function applyToWorkspaces(ctx: Ctx, id: string, workspaceIds: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'variable-set:manage');
  const ids = await resolveWorkspaces(ctx, set, workspaceIds, identifier);
  await ctx.db.transaction().execute(async (trx) => {
    await variableSetStore.addWorkspaces(trx, id, ids);
    await variableSetStore.touch(trx, id, ctx.now());
  });
}

export async function removeFromWorkspaces(ctx: Ctx, id: string, workspaceIds: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'variable-set:manage');
  const ids = await resolveWorkspaces(ctx, set, workspaceIds, identifier);
  await ctx.db.transaction().execute(async (trx) => {
    await variableSetStore.removeWorkspaces(trx, id, ids);
    await variableSetStore.touch(trx, id, ctx.now());
  });
}

/** Applies the set to more projects: every workspace in them, now and later (variable-sets.mdx "Apply Variable Set to Projects"). */
export async function applyToProjects(ctx: Ctx, id: string, projectIds: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'variable-set:manage');
  const ids = await resolveProjects(ctx, set, projectIds, identifier);
  await ctx.db.transaction().execute(async (trx) => {
    await variableSetStore.addProjects(trx, id, ids);
    await variableSetStore.touch(trx, id, ctx.now());
  });
}

export async function removeFromProjects(ctx: Ctx, id: string, projectIds: readonly string[]): Promise<void> {
  const set = await findAuthorized(ctx, id, 'variable-set:manage');
  const ids = await resolveProjects(ctx, set, projectIds, identifier);
  await ctx.db.transaction().execute(async (trx) => {
    await variableSetStore.removeProjects(trx, id, ids);
    await variableSetStore.touch(trx, id, ctx.now());
  });
}
