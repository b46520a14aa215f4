import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import { containsPattern, wildcardPattern } from './rules.js';
import { type JoinedRow, TAG_NAMES, toWorkspace, type Workspace } from './store.js';

/** The workspace list of an organization: its filters, sorts and counts (workspaces.mdx "List workspaces"). */

/** One `filter[tagged][i]`: a key, and the value it must have when given. */
export interface TaggedFilter {
  key: string;
  value?: string | undefined;
}

/** The list filters of workspaces.mdx "List workspaces"; every one narrows the result. */
export interface WorkspaceFilter {
  /** `search[name]`: name contains, ignoring case. */
  search?: string | undefined;
  /** `search[wildcard-name]`: `*` matches any characters. */
  wildcard?: string | undefined;
  /** `search[tags]`: carries every one of these tags. */
  tags?: readonly string[] | undefined;
  /** `search[exclude-tags]`: carries none of these. */
  excludeTags?: readonly string[] | undefined;
  projectId?: string | undefined;
  currentRunStatuses?: readonly string[] | undefined;
  tagged?: readonly TaggedFilter[] | undefined;
  /** Only workspaces these teams reach through workspace or project access (callers who cannot read every workspace). */
  readableByTeams?: readonly string[] | undefined;
}

export type WorkspaceSortField = 'name' | 'current-run.created-at' | 'latest-change-at';

export interface WorkspaceSort {
  field: WorkspaceSortField;
  descending: boolean;
}

/** Workspaces with a flat tag of this name. */
function flatTagIds(db: Db, organizationId: string, name: string) {
  return db
    .selectFrom('workspace_tags')
    .innerJoin('tags', 'tags.id', 'workspace_tags.tag_id')
    .select('workspace_tags.workspace_id')
    .where('tags.organization_id', '=', organizationId)
    .where('tags.name', '=', name);
}

/** Workspaces with a binding of their own with this key (and value, when given). */
function ownBindingIds(db: Db, key: string, value?: string) {
  let query = db.selectFrom('workspace_tag_bindings').select('workspace_tag_bindings.workspace_id').where('workspace_tag_bindings.key', '=', key);
  if (value !== undefined) query = query.where('workspace_tag_bindings.value', '=', value);
  return query;
}

/** Workspaces whose project has a binding with this key (and value); with `unlessOverridden`, only where the workspace has no own binding of the key. */
function projectBindingIds(db: Db, key: string, value?: string, unlessOverridden = false) {
  let query = db
    .selectFrom('workspaces as inheriting')
    .innerJoin('project_tag_bindings', 'project_tag_bindings.project_id', 'inheriting.project_id')
    .select('inheriting.id as workspace_id')
    .where('project_tag_bindings.key', '=', key);
  if (value !== undefined) query = query.where('project_tag_bindings.value', '=', value);
  if (unlessOverridden) query = query.where('inheriting.id', 'not in', ownBindingIds(db, key));
  return query;
}

/**
 * Where a `search[tags]` name can match: the organization's flat tag of that name, and whether any
 * workspace or project binds it as a key (in any organization: a source kept in vain costs only
 * plan quality, and checking the organization would read every binding of a common key).
 */
interface TagSources {
  name: string;
  tagId: string | undefined;
  hasOwnBindings: boolean;
  hasProjectBindings: boolean;
}

/**
 * Looked up before the list query, so that the query names the flat tag by id and leaves out the
 * empty sources: PostgreSQL then estimates the matches from its statistics (a tag on 10% of
 * 100,000 workspaces and one on 5 need different plans), which a join on the tag name or a
 * union of three sources hides from it (the API benchmark in README.md).
 */
async function findTagSources(db: Db, organizationId: string, names: readonly string[]): Promise<Map<string, TagSources>> {
  const found = await Promise.all(
    [...new Set(names)].map(async (name) => {
      const row = await db
        .selectNoFrom((eb) => [
          eb.selectFrom('tags').select('tags.id').where('tags.organization_id', '=', organizationId).where('tags.name', '=', name).as('tag_id'),
          eb.exists(ownBindingIds(db, name)).as('has_own_bindings'),
          eb
            .exists(db.selectFrom('project_tag_bindings').select('project_tag_bindings.key').where('project_tag_bindings.key', '=', name))
            .as('has_project_bindings'),
        ])
        .executeTakeFirstOrThrow();
      const sources = {
        name,
        tagId: row.tag_id ?? undefined,
        hasOwnBindings: Boolean(row.has_own_bindings),
        hasProjectBindings: Boolean(row.has_project_bindings),
      };
      return [name, sources] as const;
    }),
  );
  return new Map(found);
}

/** A query of workspace ids, from whichever tables. */
type WorkspaceIds = SelectQueryBuilder<any, any, { workspace_id: WorkspaceId }>;

/** UNION ALL of the parts; undefined when there are none. */
function unionOf(parts: readonly WorkspaceIds[]): WorkspaceIds | undefined {
  const [first, ...rest] = parts;
  return first && rest.reduce((ids, part) => ids.unionAll(part), first);
}

/** `search[tags]` matches a flat tag by name or a tag binding by key, the project's included (cli-protocol.md §4.3); undefined when nothing can match. */
function taggedIds(db: Db, sources: TagSources): WorkspaceIds | undefined {
  const parts: WorkspaceIds[] = [];
  if (sources.tagId !== undefined)
    parts.push(db.selectFrom('workspace_tags').select('workspace_tags.workspace_id').where('workspace_tags.tag_id', '=', sources.tagId));
  if (sources.hasOwnBindings) parts.push(ownBindingIds(db, sources.name));
  if (sources.hasProjectBindings) parts.push(projectBindingIds(db, sources.name));
  return unionOf(parts);
}

/**
 * `filter[tagged]` matches the effective bindings: the workspace's own, and the project's where the
 * workspace does not override the key. A flat tag counts as a key-only binding.
 */
function effectiveBindingIds(db: Db, organizationId: string, { key, value }: TaggedFilter, sources: ReadonlyMap<string, TagSources>) {
  if (value === undefined) return taggedIds(db, sources.get(key) as TagSources);
  const matches = ownBindingIds(db, key, value).unionAll(projectBindingIds(db, key, value, true));
  return value === '' ? matches.unionAll(flatTagIds(db, organizationId, key).where('workspace_tags.workspace_id', 'not in', ownBindingIds(db, key))) : matches;
}

/**
 * The rows whose `workspaces` one of `teamIds` has access to, on the workspace or on its project (any
 * level reads the workspace and its runs); none for no team. Uncorrelated subqueries, so PostgreSQL
 * reads the teams' grants once per list.
 */
export function reachedByTeams(db: Db, teamIds: readonly string[]): Expression<SqlBool> {
  if (teamIds.length === 0) return sql<SqlBool>`false`;
  const onWorkspaces = db.selectFrom('team_workspaces').select('team_workspaces.workspace_id').where('team_workspaces.team_id', 'in', teamIds);
  const onProjects = db.selectFrom('team_projects').select('team_projects.project_id').where('team_projects.team_id', 'in', teamIds);
  return sql<SqlBool>`(workspaces.id IN (${onWorkspaces}) OR workspaces.project_id IN (${onProjects}))`;
}

/** The names whose sources `filtered` needs. */
function tagNames(filter: WorkspaceFilter): string[] {
  const keys = (filter.tagged ?? []).filter((t) => t.value === undefined).map((t) => t.key);
  return [...(filter.tags ?? []), ...(filter.excludeTags ?? []), ...keys];
}

function filtered(db: Db, organizationId: string, filter: WorkspaceFilter, sources: ReadonlyMap<string, TagSources>) {
  let query = db.selectFrom('workspaces').where('workspaces.organization_id', '=', organizationId);
  if (filter.search !== undefined) query = query.where('workspaces.name', 'ilike', containsPattern(filter.search));
  if (filter.wildcard !== undefined) query = query.where('workspaces.name', 'ilike', wildcardPattern(filter.wildcard));
  if (filter.projectId !== undefined) query = query.where('workspaces.project_id', '=', filter.projectId);
  // Uncorrelated IN subqueries: PostgreSQL hashes each set once instead of probing three tables per workspace.
  for (const tag of filter.tags ?? []) {
    const ids = taggedIds(db, sources.get(tag) as TagSources);
    query = ids ? query.where('workspaces.id', 'in', ids) : query.where(sql<boolean>`false`);
  }
  const excluded = unionOf((filter.excludeTags ?? []).flatMap((tag) => taggedIds(db, sources.get(tag) as TagSources) ?? []));
  if (excluded) query = query.where('workspaces.id', 'not in', excluded);
  for (const tagged of filter.tagged ?? []) {
    const ids = effectiveBindingIds(db, organizationId, tagged, sources);
    query = ids ? query.where('workspaces.id', 'in', ids) : query.where(sql<boolean>`false`);
  }
  // Owners and organization-wide readers never get here, so their list has no such filter.
  if (filter.readableByTeams !== undefined) query = query.where(reachedByTeams(db, filter.readableByTeams));
  const runStatuses = filter.currentRunStatuses;
  if (runStatuses?.length) {
    query = query.where(
      'workspaces.current_run_id',
      'in',
      db.selectFrom('runs').select('runs.id').where('runs.organization_id', '=', organizationId).where('runs.status', 'in', runStatuses),
    );
  }
  return query;
}

/** The organization of the list, as its route already read it: the rows carry its name and settings. */
export interface ListedOrganization {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  defaultAgentPoolId: string | null;
}

export async function selectPage(
  db: Db,
  organization: ListedOrganization,
  filter: WorkspaceFilter,
  sort: WorkspaceSort,
  window: { limit: number; offset: number },
): Promise<{ workspaces: Workspace[]; total: number }> {
  const organizationId = organization.id;
  const sources = await findTagSources(db, organizationId, tagNames(filter));
  // Only what the order needs: the page's ids come first, its rows after (below).
  let matches = filtered(db, organizationId, filter, sources).select([
    'workspaces.id',
    'workspaces.name',
    'workspaces.latest_change_at',
    'workspaces.current_run_id',
  ]);
  // A name search reads its matches through the trigram index and sorts them. Otherwise PostgreSQL
  // may walk the name index and filter, assuming the matches spread evenly through the names; when
  // they sort late (search[name]=billing after api-…, auth-…) it reads most of the organization.
  // OFFSET 0 keeps the subquery from being merged into the sorted query.
  if (filter.search !== undefined || filter.wildcard !== undefined) matches = matches.offset(0);
  // No join with organizations: for a name search it would run on every match before the sort.
  let page = db.selectFrom(matches.as('workspaces')).select('workspaces.name');
  const direction = sort.descending ? 'desc' : 'asc';
  if (sort.field === 'latest-change-at') page = page.orderBy('workspaces.latest_change_at', direction);
  if (sort.field === 'current-run.created-at') {
    // Workspaces without a run last either way.
    page = page.orderBy(
      (eb) => eb.selectFrom('runs').select('runs.created_at').whereRef('runs.id', '=', 'workspaces.current_run_id'),
      (ob) => (sort.descending ? ob.desc() : ob.asc()).nullsLast(),
    );
  }
  page = page.orderBy('workspaces.name', sort.field === 'name' ? direction : 'asc');
  // A deferred join: the offset walks names, and only the page's rows are read whole, with their tags
  // (a deep page builds no skipped row). Names, not ids: sorted by name, the walk reads the unique
  // (organization_id, name) index alone, never the table (page 500 of 1,000 at 100,000 workspaces:
  // 17–20 → 5–7 ms). `with ordinality` keeps the page's order.
  const pageNames = page.limit(window.limit).offset(window.offset);
  const pageRows = sql<Omit<JoinedRow, 'organization_name' | 'organization_settings' | 'organization_default_agent_pool_id'>>`
    select workspaces.*, ${TAG_NAMES} as tag_names
    from unnest(array(${pageNames})) with ordinality as page(name, n)
    join workspaces on workspaces.organization_id = ${organizationId} and workspaces.name = page.name
    order by page.n`;
  const [{ rows }, total] = await Promise.all([pageRows.execute(db), countMatches(db, organizationId, filter, sources)]);
  const joined = {
    organization_name: organization.name,
    organization_settings: organization.settings,
    organization_default_agent_pool_id: organization.defaultAgentPoolId,
  };
  // Completed in place: a page is a hundred rows of forty columns, and each copy of them shows in its latency.
  return { workspaces: rows.map((row) => toWorkspace(Object.assign(row, joined))), total };
}

/** The flat tag ids of `search[tags]` when the filter narrows by flat tags and nothing else. */
function onlyFlatTagIds(filter: WorkspaceFilter, sources: ReadonlyMap<string, TagSources>): string[] | undefined {
  const { tags, search, wildcard, projectId, excludeTags, tagged, readableByTeams, currentRunStatuses, ...rest } = filter;
  const narrowsOtherwise =
    search !== undefined ||
    wildcard !== undefined ||
    projectId !== undefined ||
    readableByTeams !== undefined ||
    Boolean(excludeTags?.length || tagged?.length || currentRunStatuses?.length) ||
    // A filter added later disables the shortcut until it is listed here.
    Object.keys(rest).length > 0;
  const found = (tags ?? []).map((name) => sources.get(name) as TagSources);
  if (narrowsOtherwise || found.length === 0 || !found.every((s) => s.tagId !== undefined && !s.hasOwnBindings && !s.hasProjectBindings)) return undefined;
  return [...new Set(found.map((s) => s.tagId as string))];
}

/**
 * The number of matches. Flat tags belong to one organization, so a filter of flat tags alone is
 * counted in workspace_tags: for a tag on 10% of 100,000 workspaces, 10,000 index entries instead
 * of 10,000 workspace rows (the API benchmark in README.md).
 */
/** Whether the filter leaves every workspace of the organization in (no team list: an empty one leaves none). */
function narrowsNothing({ readableByTeams, ...rest }: WorkspaceFilter): boolean {
  return readableByTeams === undefined && Object.values(rest).every((value) => value === undefined || (Array.isArray(value) && value.length === 0));
}

async function countMatches(db: Db, organizationId: string, filter: WorkspaceFilter, sources: ReadonlyMap<string, TagSources>): Promise<number> {
  if (narrowsNothing(filter)) {
    // Kept by triggers (migration 0047): one row instead of a count of every workspace.
    const counted = await db.selectFrom('organization_workspace_counts').select('workspaces').where('organization_id', '=', organizationId).executeTakeFirst();
    return counted?.workspaces ?? 0;
  }
  const tagIds = onlyFlatTagIds(filter, sources);
  let query: { executeTakeFirstOrThrow(): Promise<{ n: number }> };
  if (tagIds === undefined) query = filtered(db, organizationId, filter, sources).select((eb) => eb.fn.countAll<number>().as('n'));
  else if (tagIds.length === 1) {
    query = db
      .selectFrom('workspace_tags')
      .where('workspace_tags.tag_id', '=', tagIds[0] as string)
      .select((eb) => eb.fn.countAll<number>().as('n'));
  } else {
    // Every one of the tags: the workspaces that carry as many of them as there are.
    const carrying = db
      .selectFrom('workspace_tags')
      .select('workspace_tags.workspace_id')
      .where('workspace_tags.tag_id', 'in', tagIds)
      .groupBy('workspace_tags.workspace_id')
      .having((eb) => eb.fn.countAll(), '=', tagIds.length);
    query = db.selectFrom(carrying.as('carrying')).select((eb) => eb.fn.countAll<number>().as('n'));
  }
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}
