import { type SelectQueryBuilder, sql } from 'kysely';

/** Which rows of a list a page is: from `offset`, at most `limit`. */
export interface PageWindow {
  limit: number;
  offset: number;
}

/** One page of a list and how many members the whole list has. */
export interface Paged<T> {
  items: T[];
  total: number;
}

/**
 * One page of an ordered query and how many rows the query has in all: the page and the count (the
 * same query without its select list and order) run together, as two statements.
 * @example const { rows, total } = await pageAndTotal(filtered(db, filter).orderBy('name'), window)
 */
export async function pageAndTotal<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  window: PageWindow,
): Promise<{ rows: O[]; total: number }> {
  const [rows, count] = await Promise.all([
    query.limit(window.limit).offset(window.offset).execute(),
    query.clearSelect().clearOrderBy().select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number((count as { n: number | string }).n) };
}
