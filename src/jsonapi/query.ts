import { type TObject, type TProperties, Type } from '@sinclair/typebox';
import { BadRequestError, InvalidError } from '../errors.js';

/**
 * Query-string schemas. Fastify parses a query string into flat keys (`page[number]`, `filter[names]`),
 * validates them against the route's `schema.querystring` with coercion ('5' → 5, 'true' → true), and
 * answers a failure through the one error handler (jsonapi/errors.ts): a 422 whose `source.parameter`
 * names the parameter, or a 400 when a single-valued parameter was given twice. Parameters a schema
 * does not declare are accepted and ignored: clients send their own.
 * @example const ListQuery = querySchema({ ...PageParameters, q: QueryText }); app.get<{ Querystring: Static<typeof ListQuery> }>(url, { schema: { querystring: ListQuery } }, …)
 */
export function querySchema<T extends TProperties>(properties: T): TObject<T> {
  return Type.Object(properties);
}

/** Route options declaring `schema` as the route's query string. */
export function withQuery<T extends TObject>(schema: T): { schema: { querystring: T } } {
  return { schema: { querystring: schema } };
}

/** A free-text or comma-separated parameter. */
export const QueryText = Type.Optional(Type.String());

/** A `true`/`false` parameter. */
export const QueryBoolean = Type.Optional(Type.Boolean());

/** A parameter that takes one of `values`; the error names them (errors.ts). */
export const queryEnum = <T extends string>(values: readonly T[]) => Type.Optional(Type.Unsafe<T>({ type: 'string', enum: [...values] }));

/** A comma-separated parameter as a list of non-empty strings. */
export function splitList(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

const TAGGED = /^filter\[tagged\]\[(\d+)\]\[(key|value)\]$/;

/**
 * `filter[tagged][i][key]` and `filter[tagged][i][value]`: key/value tag filters as go-tfe encodes them
 * (cli-protocol.md §4.3). A pair without a value matches the key alone. The index is free, so these
 * are read from the whole query rather than declared one by one.
 */
export function queryTagged(query: Readonly<Record<string, unknown>>): { key: string; value?: string | undefined }[] {
  const byIndex = new Map<string, { key?: string | undefined; value?: string | undefined }>();
  for (const [name, value] of Object.entries(query)) {
    if (!name.startsWith('filter[tagged]')) continue;
    const match = TAGGED.exec(name);
    if (!match) throw new InvalidError(`${name}: tag filters are filter[tagged][i][key] and filter[tagged][i][value]`, { parameter: name });
    if (typeof value !== 'string') throw new BadRequestError(`query parameter ${name} must be given once`, { parameter: name });
    const [, index, part] = match as unknown as [string, string, 'key' | 'value'];
    const entry = byIndex.get(index) ?? {};
    entry[part] = value;
    byIndex.set(index, entry);
  }
  return [...byIndex].map(([index, { key, value }]) => {
    if (!key) throw new InvalidError(`filter[tagged][${index}][key] is required`, { parameter: `filter[tagged][${index}][key]` });
    return { key, value };
  });
}
