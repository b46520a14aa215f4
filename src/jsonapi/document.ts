/** JSON:API document building. Serializers in each domain's routes.ts name every attribute explicitly. */

export interface ResourceIdentifier {
  id: string;
  type: string;
}

export interface Relationship {
  data?: ResourceIdentifier | ResourceIdentifier[] | null;
  links?: Record<string, string>;
}

export interface ResourceObject extends ResourceIdentifier {
  attributes: Record<string, unknown>;
  relationships?: Record<string, Relationship>;
  links?: Record<string, string | null>;
  meta?: Record<string, unknown>;
}

export interface Document {
  data: ResourceObject | ResourceObject[] | null;
  included?: ResourceObject[];
  links?: Record<string, string | null>;
  meta?: Record<string, unknown>;
}

/** The media type of every API response and request body. */
export const JSONAPI_MEDIA_TYPE = 'application/vnd.api+json';

/** A resource's API path: `apiPath('teams', id)` is `/api/v2/teams/<id>`, the id escaped. */
export function apiPath(collection: string, id: string): string {
  return `/api/v2/${collection}/${encodeURIComponent(id)}`;
}

/**
 * Builds a resource object.
 * @example resource('users', user.id, { username: user.username }, { 'authentication-tokens': { links: {…} } })
 */
export function resource(
  type: string,
  id: string,
  attributes: Record<string, unknown>,
  relationships?: Record<string, Relationship>,
  links?: Record<string, string | null>,
): ResourceObject {
  return {
    id,
    type,
    attributes,
    ...(relationships ? { relationships } : {}),
    ...(links ? { links } : {}),
  };
}

/** A to-one relationship: `{ data: { id, type } }`, or `{ data: null }` for none (cli-protocol.md §3.5). */
export function toOne(type: string, id: string | null | undefined): Relationship {
  return { data: id ? { id, type } : null };
}

/** A to-many relationship; empty is `{ data: [] }`, never absent. */
export function toMany(type: string, ids: readonly string[]): Relationship {
  return { data: ids.map((id) => ({ id, type })) };
}

/** A document with primary data and, when any, the `included` resources (deduplicated). */
export function document(
  data: ResourceObject | ResourceObject[] | null,
  extra: { included?: ResourceObject[]; links?: Record<string, string | null>; meta?: Record<string, unknown> } = {},
): Document {
  const doc: Document = { data };
  if (extra.included && extra.included.length > 0) doc.included = dedupe(extra.included);
  if (extra.links) doc.links = extra.links;
  if (extra.meta) doc.meta = extra.meta;
  return doc;
}

function dedupe(resources: ResourceObject[]): ResourceObject[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    const key = `${r.type}/${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** RFC 3339 UTC with a literal `Z`, as go-tfe's iso8601 decoding requires (cli-protocol.md §3.2). */
export function timestamp(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}
