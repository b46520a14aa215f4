import { teamVisibleTo } from '../teams/visibility.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import { type Token, toToken } from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import type { Paged } from '../db/paging.js';

/** Team tokens (team-tokens.mdx): the legacy one has no description; the others a description unique in the team. */

export const DESCRIPTION_CONSTRAINT = 'tokens_team_description_key';
export const LEGACY_CONSTRAINT = 'tokens_team_legacy_key';

function teamTokens(db: Db) {
  return db.selectFrom('tokens').selectAll('tokens').where('tokens.kind', '=', 'team');
}

export async function findLegacy(db: Db, teamId: string): Promise<Token | undefined> {
  const row = await teamTokens(db).where('tokens.team_id', '=', teamId).where('tokens.description', 'is', null).executeTakeFirst();
  return row && toToken(row);
}

/** Deletes the team's legacy token; returns whether one existed. */
export async function deleteLegacy(db: Db, teamId: string): Promise<boolean> {
  const result = await db.deleteFrom('tokens').where('kind', '=', 'team').where('team_id', '=', teamId).where('description', 'is', null).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The team's tokens, newest first; with `createdById`, only the described ones that user generated. */
export async function listForTeam(db: Db, teamId: string, createdById?: string): Promise<Token[]> {
  let query = teamTokens(db).where('tokens.team_id', '=', teamId);
  if (createdById !== undefined) query = query.where('tokens.created_by_id', '=', createdById).where('tokens.description', 'is not', null);
  const rows = await query.orderBy('tokens.created_at', 'desc').orderBy('tokens.id').execute();
  return rows.map(toToken);
}

export type TeamTokenSortField = 'team-name' | 'created-by' | 'expired-at' | 'last-used-at';

export interface TeamTokenFilter {
  /** `q`: the team's name contains, ignoring case. */
  search?: string | undefined;
  /** Only tokens of teams visible to a caller without access to secret teams: visible ones and these. */
  visibleWithSecret?: readonly string[] | undefined;
}

const SORT_COLUMNS = {
  'team-name': sql`t.name collate "C"`,
  'created-by': sql`u.username collate "C"`,
  'expired-at': sql.ref('tokens.expired_at'),
  'last-used-at': sql.ref('tokens.last_used_at'),
} as const;

function filtered(db: Db, organizationId: string, filter: TeamTokenFilter) {
  let query = teamTokens(db)
    .innerJoin('teams as t', 't.id', 'tokens.team_id')
    .leftJoin('users as u', 'u.id', 'tokens.created_by_id')
    .where('t.organization_id', '=', organizationId);
  if (filter.search !== undefined) query = query.where('t.name', 'ilike', `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (filter.visibleWithSecret !== undefined) query = query.where(teamVisibleTo('t', filter.visibleWithSecret));
  return query;
}

/** The organization's team tokens, by `sort` then creation; nulls (never expires, never used) sort last, and first when reversed. */
export async function selectPage(
  db: Db,
  organizationId: string,
  filter: TeamTokenFilter,
  sort: { field: TeamTokenSortField; descending: boolean },
  window: PageWindow,
): Promise<Paged<Token>> {
  const direction = sql.raw(sort.descending ? 'desc' : 'asc');
  const ordered = filtered(db, organizationId, filter).orderBy(sql`${SORT_COLUMNS[sort.field]} ${direction}`).orderBy('tokens.created_at').orderBy('tokens.id');
  const { rows, total } = await pageAndTotal(ordered, window);
  return { items: rows.map(toToken), total };
}

/** Team tokens of the organization by id; unknown ids and other kinds of token are left out. */
export async function findManyInOrganization(db: Db, organizationId: string, ids: readonly string[]): Promise<Token[]> {
  if (ids.length === 0) return [];
  const rows = await teamTokens(db)
    .innerJoin('teams as t', 't.id', 'tokens.team_id')
    .where('t.organization_id', '=', organizationId)
    .where('tokens.id', 'in', ids)
    .execute();
  return rows.map(toToken);
}

export async function deleteMany(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('tokens').where('kind', '=', 'team').where('id', 'in', ids).execute();
}
