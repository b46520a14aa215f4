import { type Static, Type } from '@sinclair/typebox';
import type { Paged } from '../db/paging.js';
import { querySchema } from './query.js';

export interface Page {
  number: number;
  size: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `page[number]` (default 1) and `page[size]` (default 20, at most 100), spec seeds/000 "Pagination"; out of range is a 422. */
export const PageParameters = {
  'page[number]': Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  'page[size]': Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
};

/** The query of a list whose only parameters are the page's. */
export const PageQuery = querySchema(PageParameters);
export type PageQuery = Static<typeof PageQuery>;

/** The page a validated query asks for, with the defaults. */
export function parsePage(query: PageQuery): Page {
  return { number: query['page[number]'] ?? 1, size: query['page[size]'] ?? DEFAULT_PAGE_SIZE };
}

/**
 * The page a validated query asks for, listed (with whatever else the list tells), and the list's
 * `links` and `meta.pagination`.
 */
export async function listPage<L extends Paged<unknown>>(
  request: { url: string; ctx: { baseUrl: string }; query: PageQuery },
  list: (page: Page) => Promise<L>,
): Promise<L & { parts: ReturnType<typeof paginationDocumentParts> }> {
  const page = parsePage(request.query);
  const listed = await list(page);
  return { ...listed, parts: paginationDocumentParts(new URL(request.url, request.ctx.baseUrl), page, listed.total) };
}

/** SQL offset of a page. */
export function pageOffset(page: Page): number {
  return (page.number - 1) * page.size;
}

/**
 * `links` and `meta.pagination` of a list. total-pages is at least 1 so that
 * current-page ≤ total-pages always holds and the CLI's paging loop ends (cli-protocol.md §3.6).
 */
export function paginationDocumentParts(
  url: URL,
  page: Page,
  totalCount: number,
): { links: Record<string, string | null>; meta: { pagination: Record<string, number | null> } } {
  const totalPages = Math.max(1, Math.ceil(totalCount / page.size));
  const link = (n: number) => {
    const u = new URL(url);
    u.searchParams.set('page[number]', String(n));
    u.searchParams.set('page[size]', String(page.size));
    return u.toString();
  };
  const prev = page.number > 1 ? Math.min(page.number - 1, totalPages) : null;
  const next = page.number < totalPages ? page.number + 1 : null;
  return {
    links: {
      self: link(page.number),
      first: link(1),
      prev: prev === null ? null : link(prev),
      next: next === null ? null : link(next),
      last: link(totalPages),
    },
    meta: {
      pagination: {
        'current-page': page.number,
        'page-size': page.size,
        'prev-page': prev,
        'next-page': next,
        'total-pages': totalPages,
        'total-count': totalCount,
      },
    },
  };
}
