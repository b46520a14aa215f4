import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { isWorkspaceId, type WorkspaceId } from '../ids.js';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { DB, TagRow } from '../db/schema.js';
import { camelized, selectWithOrganizationName } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

/** A flat tag of an organization (organization-tags.mdx) and how many workspaces carry it. */
export interface Tag {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  createdAt: Date;
  instanceCount: number;
}

function toTag(row: TagRow & { organization_name: string; instance_count: number | string | null }): Tag {
  return { ...camelized(row), instanceCount: Number(row.instance_count ?? 0) };
}

function selectTags(db: Db) {
  return selectWithOrganizationName(db, 'tags').select((eb) =>
    eb
      .selectFrom('workspace_tags')
      .select((inner) => inner.fn.countAll<number>().as('n'))
      .whereRef('workspace_tags.tag_id', '=', 'tags.id')
      .as('instance_count'),
  );
}

export async function findById(db: Db, id: string): Promise<Tag | undefined> {
  const row = await selectTags(db).where('tags.id', '=', id).executeTakeFirst();
  return row && toTag(row);
}

export interface TagFilter {
  /** `q`: name contains, ignoring case. */
  search?: string | undefined;
  /** `filter[exclude][taggable][id]`: leave out the tags this workspace carries. */
  excludeWorkspaceId?: string | undefined;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function matches(eb: ExpressionBuilder<DB, 'tags'>, organizationId: string, filter: TagFilter): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb('tags.organization_id', '=', organizationId)];
  if (filter.search !== undefined) conditions.push(eb('tags.name', 'ilike', containsPattern(filter.search)));
  const workspaceId = filter.excludeWorkspaceId;
  // An id that cannot be a workspace's excludes nothing, as an unknown workspace's does.
  if (workspaceId !== undefined && isWorkspaceId(workspaceId)) {
    conditions.push(
      eb.not(
        eb.exists(
          eb
            .selectFrom('workspace_tags')
            .select('workspace_tags.tag_id')
            .whereRef('workspace_tags.tag_id', '=', 'tags.id')
            .where('workspace_tags.workspace_id', '=', workspaceId),
        ),
      ),
    );
  }
  return eb.and(conditions);
}

/** A page of the organization's tags matching `filter`, by name in byte order then id. */
export async function selectPage(db: Db, organizationId: string, filter: TagFilter, window: PageWindow): Promise<Paged<Tag>> {
  const ordered = selectTags(db)
    .where((eb) => matches(eb, organizationId, filter))
    .orderBy(sql`tags.name collate "C"`)
    .orderBy('tags.id');
  const { rows, total } = await pageAndTotal(ordered, window);
  return { items: rows.map(toTag), total };
}

/** Those of `ids` that are tags of the organization. */
export async function existingIds(db: Db, organizationId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('tags').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Deletes the tags; their workspace attachments go with them (ON DELETE CASCADE). */
export async function deleteByIds(db: Db, organizationId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('tags').where('organization_id', '=', organizationId).where('id', 'in', ids).execute();
}

/** Attaches the tag to the workspaces; those that already carry it are left as they are. */
export async function attachWorkspaces(db: Db, tagId: string, workspaceIds: readonly WorkspaceId[]): Promise<void> {
  if (workspaceIds.length === 0) return;
  await db
    .insertInto('workspace_tags')
    .values(workspaceIds.map((workspaceId) => ({ workspace_id: workspaceId, tag_id: tagId })))
    .onConflict((oc) => oc.columns(['workspace_id', 'tag_id']).doNothing())
    .execute();
}
