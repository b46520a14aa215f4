import { sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { TagRow } from '../db/schema.js';
import type { TagBindingInput } from '../projects/tag-bindings.js';
import type { Paged } from '../db/paging.js';

/** A flat organization tag (organization-tags.mdx) and how many workspaces carry it. */
export interface Tag {
  id: string;
  organizationId: string;
  name: string;
  createdAt: Date;
  instanceCount: number;
}

function toTag(row: TagRow & { instance_count: number | null }): Tag {
  return { id: row.id, organizationId: row.organization_id, name: row.name, createdAt: row.created_at, instanceCount: Number(row.instance_count ?? 0) };
}

/** Byte order, the same on PostgreSQL and PGlite. */
const BY_NAME = sql`tags.name collate "C"`;

function selectTags(db: Db) {
  return db
    .selectFrom('tags')
    .selectAll('tags')
    .select((eb) =>
      eb
        .selectFrom('workspace_tags')
        .select((inner) => inner.fn.countAll<number>().as('n'))
        .whereRef('workspace_tags.tag_id', '=', 'tags.id')
        .as('instance_count'),
    );
}

/** The organization's tags with these names, creating the missing ones (`newId` names them). */
export async function ensureTags(db: Db, organizationId: string, names: readonly string[], newId: () => string, now: Date): Promise<Tag[]> {
  if (names.length === 0) return [];
  await db
    .insertInto('tags')
    .values(names.map((name) => ({ id: newId(), organization_id: organizationId, name, created_at: now })))
    .onConflict((oc) => oc.columns(['organization_id', 'name']).doNothing())
    .execute();
  return findByNames(db, organizationId, names);
}

export async function findByNames(db: Db, organizationId: string, names: readonly string[]): Promise<Tag[]> {
  if (names.length === 0) return [];
  const rows = await selectTags(db).where('tags.organization_id', '=', organizationId).where('tags.name', 'in', names).execute();
  return rows.map(toTag);
}

export async function findByIds(db: Db, organizationId: string, ids: readonly string[]): Promise<Tag[]> {
  if (ids.length === 0) return [];
  const rows = await selectTags(db).where('tags.organization_id', '=', organizationId).where('tags.id', 'in', ids).execute();
  return rows.map(toTag);
}

export async function attach(db: Db, workspaceId: WorkspaceId, tagIds: readonly string[]): Promise<void> {
  if (tagIds.length === 0) return;
  await db
    .insertInto('workspace_tags')
    .values(tagIds.map((tagId) => ({ workspace_id: workspaceId, tag_id: tagId })))
    .onConflict((oc) => oc.columns(['workspace_id', 'tag_id']).doNothing())
    .execute();
}

/** Removes tags from a workspace, then deletes those of them no workspace carries any more (workspaces.mdx "Remove tags from workspace"). */
export async function detach(db: Db, workspaceId: WorkspaceId, tagIds: readonly string[]): Promise<void> {
  if (tagIds.length === 0) return;
  await db.deleteFrom('workspace_tags').where('workspace_id', '=', workspaceId).where('tag_id', 'in', tagIds).execute();
  await db
    .deleteFrom('tags')
    .where('id', 'in', tagIds)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('workspace_tags').select('workspace_tags.tag_id').whereRef('workspace_tags.tag_id', '=', 'tags.id'))))
    .execute();
}

/** A page of a workspace's flat tags, by name. */
export async function selectPageOfWorkspace(db: Db, workspaceId: WorkspaceId, window: PageWindow): Promise<Paged<Tag>> {
  const attached = selectTags(db).where((eb) =>
    eb.exists(
      eb
        .selectFrom('workspace_tags')
        .select('workspace_tags.tag_id')
        .whereRef('workspace_tags.tag_id', '=', 'tags.id')
        .where('workspace_tags.workspace_id', '=', workspaceId),
    ),
  );
  const { rows, total } = await pageAndTotal(attached.orderBy(BY_NAME), window);
  return { items: rows.map(toTag), total };
}

/** A key/value tag bound directly to a workspace. */
export interface TagBinding {
  id: string;
  key: string;
  value: string;
  createdAt: Date;
}

/** A binding in effect on a workspace: its own, or its project's when it does not override the key. */
export interface EffectiveTagBinding {
  id: string;
  key: string;
  value: string;
  /** The project it comes from; null for the workspace's own. */
  inheritedFromProjectId: string | null;
}

export async function selectBindings(db: Db, workspaceId: WorkspaceId): Promise<TagBinding[]> {
  const rows = await db
    .selectFrom('workspace_tag_bindings')
    .select(['id', 'key', 'value', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy(sql`key collate "C"`)
    .execute();
  return rows.map((row) => ({ id: row.id, key: row.key, value: row.value, createdAt: row.created_at }));
}

/** Adds bindings, or changes the value of those whose key exists; other keys stay. */
export async function upsertBindings(db: Db, workspaceId: WorkspaceId, bindings: readonly (TagBindingInput & { id: string })[], now: Date): Promise<void> {
  if (bindings.length === 0) return;
  await db
    .insertInto('workspace_tag_bindings')
    .values(bindings.map((b) => ({ id: b.id, workspace_id: workspaceId, key: b.key, value: b.value, created_at: now })))
    .onConflict((oc) => oc.columns(['workspace_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

/** Makes `bindings` the workspace's complete set. */
export async function replaceBindings(db: Db, workspaceId: WorkspaceId, bindings: readonly (TagBindingInput & { id: string })[], now: Date): Promise<void> {
  await db.deleteFrom('workspace_tag_bindings').where('workspace_id', '=', workspaceId).execute();
  await upsertBindings(db, workspaceId, bindings, now);
}

/** The workspace's own bindings and its project's, the workspace's winning on a shared key. */
export async function selectEffectiveBindings(db: Db, workspaceId: WorkspaceId, projectId: string): Promise<EffectiveTagBinding[]> {
  return (await selectEffectiveBindingsOf(db, [{ id: workspaceId, projectId }])).get(workspaceId) ?? [];
}

/** selectEffectiveBindings of several workspaces in two queries, by workspace id. */
export async function selectEffectiveBindingsOf(db: Db, workspaces: readonly { id: WorkspaceId; projectId: string }[]): Promise<Map<WorkspaceId, EffectiveTagBinding[]>> {
  const result = new Map<WorkspaceId, EffectiveTagBinding[]>();
  if (workspaces.length === 0) return result;
  const [own, inherited] = await Promise.all([
    db
      .selectFrom('workspace_tag_bindings')
      .select(['id', 'workspace_id', 'key', 'value'])
      .where(
        'workspace_id',
        'in',
        workspaces.map((ws) => ws.id),
      )
      .execute(),
    db
      .selectFrom('project_tag_bindings')
      .select(['id', 'project_id', 'key', 'value'])
      .where('project_id', 'in', [...new Set(workspaces.map((ws) => ws.projectId))])
      .execute(),
  ]);
  for (const ws of workspaces) {
    const mine = own.filter((b) => b.workspace_id === ws.id);
    const ownKeys = new Set(mine.map((b) => b.key));
    const effective: EffectiveTagBinding[] = [
      ...mine.map((b) => ({ id: b.id, key: b.key, value: b.value, inheritedFromProjectId: null })),
      ...inherited
        .filter((b) => b.project_id === ws.projectId && !ownKeys.has(b.key))
        .map((b) => ({ id: b.id, key: b.key, value: b.value, inheritedFromProjectId: ws.projectId })),
    ];
    result.set(
      ws.id,
      effective.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
  }
  return result;
}
