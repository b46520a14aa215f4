import { BadRequestError, InvalidError } from '../errors.js';

/** Query strings as Fastify parses them: flat keys such as `page[number]`, `filter[names]`. */
export type Query = Record<string, string | string[] | undefined>;

/** One query parameter as a string; a parameter given twice is a 400. */
export function queryString(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new BadRequestError(`query parameter ${name} must be given once`, { parameter: name });
  return value;
}

/** A comma-separated query parameter as a list of non-empty strings. */
export function queryList(query: Query, name: string): string[] | undefined {
  const value = queryString(query, name);
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
}

/** A boolean query parameter (`true`/`false`); anything else is a 422. */
export function queryBoolean(query: Query, name: string): boolean | undefined {
  const value = queryString(query, name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InvalidError(`query parameter ${name} must be true or false`, { parameter: name });
}

const TAGGED = /^filter\[tagged\]\[(\d+)\]\[(key|value)\]$/;

/**
 * `filter[tagged][i][key]` and `filter[tagged][i][value]`: key/value tag filters as go-tfe encodes them
 * (cli-protocol.md §4.3). A pair without a value matches the key alone.
 */
export function queryTagged(query: Query): { key: string; value?: string | undefined }[] {
  const byIndex = new Map<string, { key?: string | undefined; value?: string | undefined }>();
  for (const name of Object.keys(query)) {
    if (!name.startsWith('filter[tagged]')) continue;
    const match = TAGGED.exec(name);
    if (!match) throw new InvalidError(`${name}: tag filters are filter[tagged][i][key] and filter[tagged][i][value]`, { parameter: name });
    const [, index, part] = match as unknown as [string, string, 'key' | 'value'];
    const entry = byIndex.get(index) ?? {};
    entry[part] = queryString(query, name);
    byIndex.set(index, entry);
  }
  return [...byIndex].map(([index, { key, value }]) => {
    if (!key) throw new InvalidError(`filter[tagged][${index}][key] is required`, { parameter: `filter[tagged][${index}][key]` });
    return { key, value };
  });
}

/** A query parameter that takes one of `allowed`; anything else is a 422 naming them. */
export function queryEnum<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const value = queryString(query, name);
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new InvalidError(`${name} must be one of ${allowed.join(', ')}`, { parameter: name });
}
