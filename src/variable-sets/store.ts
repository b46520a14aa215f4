import { isWorkspaceId } from '../ids.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { camelized, type RowOf, selectWithOrganizationName } from '../db/rows.js';

export interface VariableSet {
  id: string;
  organizationId: string;
  /** The organization's name: its id on the wire. */
  organizationName: string;
  name: string;
  description: string;
  isGlobal: boolean;
  priority: boolean;
  /** The owning project; null when the organization owns the set. */
  parentProjectId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function toVariableSet(row: RowOf<typeof withOrganization>): VariableSet {
  return camelized(row);
}

/** The unique constraint on (organization_id, name). */
export const NAME_CONSTRAINT = 'variable_sets_organization_name_key';

function withOrganization(db: Db) {
  return selectWithOrganizationName(db, 'variable_sets');
}

export interface VariableSetFields {
  name: string;
  description: string;
  isGlobal: boolean;
  priority: boolean;
}

export async function insert(
  db: Db,
  set: VariableSetFields & { id: string; organizationId: string; parentProjectId: string | null; now: Date },
): Promise<VariableSet> {
  await db
    .insertInto('variable_sets')
    .values({
      id: set.id,
      organization_id: set.organizationId,
      name: set.name,
      description: set.description,
      is_global: set.isGlobal,
      priority: set.priority,
      parent_project_id: set.parentProjectId,
      created_at: set.now,
      updated_at: set.now,
    })
    .execute();
  return (await findById(db, set.id)) as VariableSet;
}

/** A set by id; locked against concurrent writes when `forUpdate` (inside a transaction). */
export async function findById(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<VariableSet | undefined> {
  let query = withOrganization(db).where('variable_sets.id', '=', id);
  if (options.forUpdate) query = query.forUpdate('variable_sets');
  const row = await query.executeTakeFirst();
  return row && toVariableSet(row);
}

export async function update(db: Db, id: string, fields: VariableSetFields & { now: Date }): Promise<void> {
  await db
    .updateTable('variable_sets')
    .set({ name: fields.name, description: fields.description, is_global: fields.isGlobal, priority: fields.priority, updated_at: fields.now })
    .where('id', '=', id)
    .execute();
}

/** Moves `updated-at` forward after a change to the set's variables or assignments. */
export async function touch(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('variable_sets').set({ updated_at: now }).where('id', '=', id).execute();
}

export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('variable_sets').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Serializes writes that must see every global set of an organization (no two global sets may share a
 * variable key and category, variable-sets.mdx). NO KEY UPDATE, so inserts referencing the organization
 * (which take KEY SHARE) are not blocked.
 */
export async function lockOrganizationGlobalSets(db: Db, organizationId: string): Promise<void> {
  await db.selectFrom('organizations').select('id').where('id', '=', organizationId).forNoKeyUpdate().execute();
}

/** Which sets a list covers, relative to an organization, a project or a workspace. */
export type VariableSetFilter =
  | { kind: 'organization'; organizationId: string; isGlobal?: boolean | undefined; organizationOwnedOnly?: boolean | undefined }
  /** owned: the project's own sets; applied: applied to the project, or global; shared: applied but owned elsewhere; all: owned or applied. */
  | { kind: 'project'; organizationId: string; projectId: string; scope: 'owned' | 'applied' | 'shared' | 'all' }
  /** Global sets, sets applied to the workspace, and sets applied to its project (variable-sets.mdx "List Variable Sets"). */
  | { kind: 'workspace'; organizationId: string; projectId: string; workspaceId: string }
  /** Sets that could still be applied to the workspace: not applied to it (nor global, nor through its project), owned by the organization or its project. */
  | { kind: 'applicable'; organizationId: string; projectId: string; workspaceId: string };

type SetsExpression = ExpressionBuilder<DB, 'variable_sets' | 'organizations'>;

function appliedToProject(eb: SetsExpression, projectId: string) {
  return eb.exists(
    eb
      .selectFrom('variable_set_projects')
      .select('variable_set_projects.project_id')
      .whereRef('variable_set_projects.variable_set_id', '=', 'variable_sets.id')
      .where('variable_set_projects.project_id', '=', projectId),
  );
}

function appliedToWorkspace(eb: SetsExpression, workspaceId: string) {
  return eb.exists(
    eb
      .selectFrom('variable_set_workspaces')
      .select('variable_set_workspaces.workspace_id')
      .whereRef('variable_set_workspaces.variable_set_id', '=', 'variable_sets.id')
      .where('variable_set_workspaces.workspace_id', '=', workspaceId),
  );
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filtered(db: Db, filter: VariableSetFilter, search: string | undefined) {
  let query = withOrganization(db).where('variable_sets.organization_id', '=', filter.organizationId);
  if (search !== undefined && search !== '') query = query.where('variable_sets.name', 'ilike', containsPattern(search));
  switch (filter.kind) {
    case 'organization':
      if (filter.isGlobal !== undefined) query = query.where('variable_sets.is_global', '=', filter.isGlobal);
      if (filter.organizationOwnedOnly) query = query.where('variable_sets.parent_project_id', 'is', null);
      return query;
    case 'project': {
      const { projectId, scope } = filter;
      return query.where((eb) => {
        const owned = eb('variable_sets.parent_project_id', '=', projectId);
        const applied = eb.or([eb('variable_sets.is_global', '=', true), appliedToProject(eb, projectId)]);
        if (scope === 'owned') return owned;
        if (scope === 'applied') return applied;
        if (scope === 'shared')
          return eb.and([applied, eb.or([eb('variable_sets.parent_project_id', 'is', null), eb('variable_sets.parent_project_id', '!=', projectId)])]);
        return eb.or([owned, applied]);
      });
    }
    case 'workspace':
      return query.where((eb) =>
        eb.or([eb('variable_sets.is_global', '=', true), appliedToWorkspace(eb, filter.workspaceId), appliedToProject(eb, filter.projectId)]),
      );
    case 'applicable':
      return query.where((eb) =>
        eb.and([
          eb('variable_sets.is_global', '=', false),
          eb.not(appliedToWorkspace(eb, filter.workspaceId)),
          eb.not(appliedToProject(eb, filter.projectId)),
          eb.or([eb('variable_sets.parent_project_id', 'is', null), eb('variable_sets.parent_project_id', '=', filter.projectId)]),
        ]),
      );
  }
}

/** A page of sets by name (byte order, the same on PostgreSQL and PGlite), and the total. */
export async function selectPage(
  db: Db,
  filter: VariableSetFilter,
  search: string | undefined,
  window: PageWindow,
): Promise<{ sets: VariableSet[]; total: number }> {
  const { rows, total } = await pageAndTotal(filtered(db, filter, search).orderBy(sql`variable_sets.name collate "C"`).orderBy('variable_sets.id'), window);
  return { sets: rows.map(toVariableSet), total };
}

/** What a set's relationships name: its variables, and the workspaces and projects it is applied to. */
export interface VariableSetLinks {
  variableIds: string[];
  workspaceIds: string[];
  projectIds: string[];
}

/** The links of each of `setIds`, by set id. */
export async function selectLinks(db: Db, setIds: readonly string[]): Promise<Map<string, VariableSetLinks>> {
  const links = new Map<string, VariableSetLinks>(setIds.map((id) => [id, { variableIds: [], workspaceIds: [], projectIds: [] }]));
  if (setIds.length === 0) return links;
  const [variables, workspaces, projects] = await Promise.all([
    db.selectFrom('variables').select(['variable_set_id', 'id']).where('variable_set_id', 'in', setIds).orderBy('created_at').orderBy('id').execute(),
    db
      .selectFrom('variable_set_workspaces')
      .select(['variable_set_id', 'workspace_id'])
      .where('variable_set_id', 'in', setIds)
      .orderBy('workspace_id')
      .execute(),
    db.selectFrom('variable_set_projects').select(['variable_set_id', 'project_id']).where('variable_set_id', 'in', setIds).orderBy('project_id').execute(),
  ]);
  for (const row of variables) links.get(row.variable_set_id as string)?.variableIds.push(row.id);
  for (const row of workspaces) links.get(row.variable_set_id)?.workspaceIds.push(row.workspace_id);
  for (const row of projects) links.get(row.variable_set_id)?.projectIds.push(row.project_id);
  return links;
}

/** Workspaces by id, with what assigning a set to them needs to check. */
export async function findWorkspaces(db: Db, ids: readonly string[]): Promise<Array<{ id: string; organizationId: string; projectId: string }>> {
  const workspaceIds = ids.filter(isWorkspaceId);
  if (workspaceIds.length === 0) return [];
  const rows = await db.selectFrom('workspaces').select(['id', 'organization_id', 'project_id']).where('id', 'in', workspaceIds).execute();
  return rows.map((row) => ({ id: row.id, organizationId: row.organization_id, projectId: row.project_id }));
}

export interface ProjectScope {
  id: string;
  organizationId: string;
  name: string;
}

export async function findProjects(db: Db, ids: readonly string[]): Promise<ProjectScope[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('projects').select(['id', 'organization_id', 'name']).where('id', 'in', ids).execute();
  return rows.map((row) => ({ id: row.id, organizationId: row.organization_id, name: row.name }));
}

export async function findProject(db: Db, id: string): Promise<ProjectScope | undefined> {
  return (await findProjects(db, [id]))[0];
}

/** Applies a set to workspaces; ones it is already applied to are left as they are. */
export async function addWorkspaces(db: Db, setId: string, workspaceIds: readonly string[]): Promise<void> {
  if (workspaceIds.length === 0) return;
  await db
    .insertInto('variable_set_workspaces')
    .values(workspaceIds.map((workspaceId) => ({ variable_set_id: setId, workspace_id: workspaceId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Removes the set from `workspaceIds`, or from every workspace when undefined. */
export async function removeWorkspaces(db: Db, setId: string, workspaceIds?: readonly string[]): Promise<void> {
  if (workspaceIds?.length === 0) return;
  let query = db.deleteFrom('variable_set_workspaces').where('variable_set_id', '=', setId);
  if (workspaceIds) query = query.where('workspace_id', 'in', workspaceIds);
  await query.execute();
}

export async function addProjects(db: Db, setId: string, projectIds: readonly string[]): Promise<void> {
  if (projectIds.length === 0) return;
  await db
    .insertInto('variable_set_projects')
    .values(projectIds.map((projectId) => ({ variable_set_id: setId, project_id: projectId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Removes the set from `projectIds`, or from every project when undefined. */
export async function removeProjects(db: Db, setId: string, projectIds?: readonly string[]): Promise<void> {
  if (projectIds?.length === 0) return;
  let query = db.deleteFrom('variable_set_projects').where('variable_set_id', '=', setId);
  if (projectIds) query = query.where('project_id', 'in', projectIds);
  await query.execute();
}

/** How a set reaches a workspace: as a global set, through the workspace's project, or directly. */
export interface AppliedSetRow {
  set: VariableSet;
  scope: 'global' | 'project' | 'workspace';
}

/** Every application of a set to the workspace; a set applied both directly and through the project appears twice. */
export async function selectAppliedToWorkspace(db: Db, workspace: { id: string; organizationId: string; projectId: string }): Promise<AppliedSetRow[]> {
  const [global, viaProject, direct] = await Promise.all([
    withOrganization(db).where('variable_sets.organization_id', '=', workspace.organizationId).where('variable_sets.is_global', '=', true).execute(),
    withOrganization(db)
      .innerJoin('variable_set_projects', 'variable_set_projects.variable_set_id', 'variable_sets.id')
      .where('variable_set_projects.project_id', '=', workspace.projectId)
      .where('variable_sets.is_global', '=', false)
      .execute(),
    withOrganization(db)
      .innerJoin('variable_set_workspaces', 'variable_set_workspaces.variable_set_id', 'variable_sets.id')
      .where('variable_set_workspaces.workspace_id', '=', workspace.id)
      .where('variable_sets.is_global', '=', false)
      .execute(),
  ]);
  return [
    ...global.map((row) => ({ set: toVariableSet(row), scope: 'global' as const })),
    ...viaProject.map((row) => ({ set: toVariableSet(row), scope: 'project' as const })),
    ...direct.map((row) => ({ set: toVariableSet(row), scope: 'workspace' as const })),
  ];
}
