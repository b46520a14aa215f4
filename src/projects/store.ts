import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { DB, ProjectRow } from '../db/schema.js';
import type { TagBindingInput } from './tag-bindings.js';
import { camelized, lookupsById, selectWithOrganizationName } from '../db/rows.js';

/** The unique constraint on a project name within its organization. */
export const NAME_CONSTRAINT = 'projects_organization_name_key';

export interface Project {
  id: string;
  organizationId: string;
  organizationName: string;
  /** The organization's stored settings by wire name: projects inherit its default execution mode. */
  organizationSettings: Record<string, unknown>;
  /** The organization's default agent pool: projects inherit it with the default execution mode. */
  organizationDefaultAgentPoolId: string | null;
  name: string;
  /** '' when none. */
  description: string;
  /** The organization's Default Project: it cannot be deleted (concepts/projects/index.mdx). */
  isDefault: boolean;
  autoDestroyActivityDuration: string | null;
  createdAt: Date;
  workspaceCount: number;
}

type ProjectRecord = ProjectRow & {
  organization_name: string;
  organization_settings: Record<string, unknown>;
  organization_default_agent_pool_id: string | null;
  workspace_count: number | string | null;
};

function toProject(row: ProjectRecord): Project {
  return { ...camelized(row), workspaceCount: Number(row.workspace_count ?? 0) };
}

function selectProjects(db: Db) {
  return selectWithOrganizationName(db, 'projects')
    .select(['organizations.settings as organization_settings', 'organizations.default_agent_pool_id as organization_default_agent_pool_id'])
    .select((eb) =>
      eb
        .selectFrom('workspaces')
        .select((inner) => inner.fn.countAll<number>().as('n'))
        .whereRef('workspaces.project_id', '=', 'projects.id')
        .as('workspace_count'),
    );
}

export const { findById, findManyById } = lookupsById(selectProjects, 'projects.id', toProject);

/** One `filter[tagged][i]`: a key, and the value it must have when given. */
export interface TaggedFilter {
  key: string;
  value?: string | undefined;
}

/** The list filters of projects.mdx "List projects"; every one narrows the result. */
export interface ProjectFilter {
  /** `filter[names]`: any of these names, ignoring case. */
  names?: readonly string[] | undefined;
  /** `q`: name contains, ignoring case. */
  search?: string | undefined;
  /** `filter[tagged]`: bound to every one of these tags. */
  tagged?: readonly TaggedFilter[] | undefined;
  /** Only these projects: the ones a caller without organization-wide access reaches. */
  ids?: readonly string[] | undefined;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type ProjectEb = ExpressionBuilder<DB, 'projects'>;

function hasBinding(eb: ProjectEb, { key, value }: TaggedFilter): Expression<SqlBool> {
  let query = eb
    .selectFrom('project_tag_bindings')
    .select('project_tag_bindings.id')
    .whereRef('project_tag_bindings.project_id', '=', 'projects.id')
    .where('project_tag_bindings.key', '=', key);
  if (value !== undefined) query = query.where('project_tag_bindings.value', '=', value);
  return eb.exists(query);
}

function matches(eb: ProjectEb, organizationId: string, filter: ProjectFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb('projects.organization_id', '=', organizationId)];
  const names = filter.names;
  if (names !== undefined) {
    conditions.push(
      names.length === 0
        ? sql<boolean>`false`
        : eb(
            eb.fn('lower', ['projects.name']),
            'in',
            names.map((n) => n.toLowerCase()),
          ),
    );
  }
  if (filter.search !== undefined) conditions.push(eb('projects.name', 'ilike', containsPattern(filter.search)));
  for (const tagged of filter.tagged ?? []) conditions.push(hasBinding(eb, tagged));
  if (filter.ids !== undefined) conditions.push(filter.ids.length === 0 ? sql<boolean>`false` : eb('projects.id', 'in', filter.ids));
  return eb.and(conditions);
}

async function count(db: Db, organizationId: string, filter: ProjectFilter): Promise<number> {
  const row = await db
    .selectFrom('projects')
    .where((eb) => matches(eb, organizationId, filter))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A page of the organization's projects matching `filter`, by name in byte order (the same on PostgreSQL
 * and PGlite) then id; `total` counts the matches, `organizationTotal` every project of the organization within `filter.ids`.
 */
export async function selectPage(
  db: Db,
  organizationId: string,
  filter: ProjectFilter,
  descending: boolean,
  window: PageWindow,
): Promise<{ projects: Project[]; total: number; organizationTotal: number }> {
  const direction = descending ? 'desc' : 'asc';
  const ordered = selectProjects(db)
    .where((eb) => matches(eb, organizationId, filter))
    .orderBy(sql`projects.name collate "C"`, direction)
    .orderBy('projects.id', direction);
  const [{ rows, total }, organizationTotal] = await Promise.all([pageAndTotal(ordered, window), count(db, organizationId, { ids: filter.ids })]);
  return { projects: rows.map(toProject), total, organizationTotal };
}

export async function insert(
  db: Db,
  project: { id: string; organizationId: string; name: string; description: string; autoDestroyActivityDuration: string | null; createdAt: Date },
): Promise<void> {
  await db
    .insertInto('projects')
    .values({
      id: project.id,
      organization_id: project.organizationId,
      name: project.name,
      description: project.description,
      auto_destroy_activity_duration: project.autoDestroyActivityDuration,
      created_at: project.createdAt,
    })
    .execute();
}

export interface ProjectChanges {
  name?: string | undefined;
  description?: string | undefined;
  /** null clears it. */
  autoDestroyActivityDuration?: string | null | undefined;
}

/** Applies the given changes; false when the project does not exist. */
export async function update(db: Db, id: string, changes: ProjectChanges): Promise<boolean> {
  const values = {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(changes.autoDestroyActivityDuration !== undefined ? { auto_destroy_activity_duration: changes.autoDestroyActivityDuration } : {}),
  };
  if (Object.keys(values).length === 0) return (await db.selectFrom('projects').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  const result = await db.updateTable('projects').set(values).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes the project with its tag bindings; a workspace still in it makes this fail (foreign key, RESTRICT). */
export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface TagBinding {
  id: string;
  projectId: string;
  key: string;
  value: string;
  createdAt: Date;
}

function toTagBinding(row: { id: string; project_id: string; key: string; value: string; created_at: Date }): TagBinding {
  return { id: row.id, projectId: row.project_id, key: row.key, value: row.value, createdAt: row.created_at };
}

/** The tag bindings of these projects, by key. */
export async function listBindings(db: Db, projectIds: readonly string[]): Promise<TagBinding[]> {
  if (projectIds.length === 0) return [];
  const rows = await db.selectFrom('project_tag_bindings').selectAll().where('project_id', 'in', projectIds).orderBy(sql`key collate "C"`).execute();
  return rows.map(toTagBinding);
}

type NewBinding = TagBindingInput & { id: string };

/** Replaces every tag binding of the project with `bindings`. */
export async function replaceBindings(db: Db, projectId: string, bindings: readonly NewBinding[], now: Date): Promise<void> {
  await db.deleteFrom('project_tag_bindings').where('project_id', '=', projectId).execute();
  if (bindings.length === 0) return;
  await db
    .insertInto('project_tag_bindings')
    .values(bindings.map((b) => ({ id: b.id, project_id: projectId, key: b.key, value: b.value, created_at: now })))
    .execute();
}

/** Adds bindings, or changes the value of those whose key is already bound; returns them in the given order. */
export async function upsertBindings(db: Db, projectId: string, bindings: readonly NewBinding[], now: Date): Promise<TagBinding[]> {
  if (bindings.length === 0) return [];
  const rows = await db
    .insertInto('project_tag_bindings')
    .values(bindings.map((b) => ({ id: b.id, project_id: projectId, key: b.key, value: b.value, created_at: now })))
    .onConflict((oc) => oc.columns(['project_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .returningAll()
    .execute();
  const byKey = new Map(rows.map((row) => [row.key, toTagBinding(row)]));
  return bindings.map((b) => byKey.get(b.key) as TagBinding);
}

export async function countBindings(db: Db, projectId: string): Promise<number> {
  const row = await db
    .selectFrom('project_tag_bindings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
