import type { Static } from '@sinclair/typebox';
import { BadRequestError, NotFoundError } from '../errors.js';
import { PageParameters } from './pagination.js';
import { QueryText, querySchema, splitList } from './query.js';

/** `include=a,b`: the names are checked against each route's allow-list by parseInclude. */
export const IncludeParameters = { include: QueryText };

/** The query of a route whose only parameter is `include`. */
export const IncludeQuery = querySchema(IncludeParameters);
export type IncludeQuery = Static<typeof IncludeQuery>;

/** The query of a list whose only parameters are the page's and `include`. */
export const PagedIncludeQuery = querySchema({ ...PageParameters, ...IncludeParameters });
export type PagedIncludeQuery = Static<typeof PagedIncludeQuery>;

/**
 * Parses `include=a,b` against the route's allow-list. An unknown name is a 400 whose title the CLI
 * recognises ("Invalid include parameter", cli-protocol.md §9).
 */
export function parseInclude<T extends string>(query: IncludeQuery, allowed: readonly T[]): Set<T> {
  const names = splitList(query.include) ?? [];
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new BadRequestError(`Invalid include parameter: ${name} (allowed: ${allowed.join(', ') || 'none'})`, {
        parameter: 'include',
      });
    }
  }
  return new Set(names as T[]);
}

/**
 * Loads a related resource for `included`, or undefined when the caller may not see it: hidden
 * resources are left out of `included`, not reported as errors.
 * @example const user = await visibleOnly(() => userService.show(ctx, id))
 */
export async function visibleOnly<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
