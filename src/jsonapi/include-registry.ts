import type { Ctx } from '../context.js';
import { type IncludeQuery, parseInclude } from './include.js';
import { type Document, document, type ResourceObject } from './document.js';
import type { Paged } from '../db/paging.js';
import { listPage, type Page, type PageQuery } from './pagination.js';

/**
 * The include registry: every resource type that can appear in `included`, registered by its
 * domain's serialize.ts, and one resolver that follows `include=a.b,c` through the relationships
 * the serializers already write. Each level loads each type once for all its ids (never per row),
 * and a domain never imports another domain's serializer to include it.
 */

/** A related resource before serialization: its type and its domain's view. */
export interface Related {
  type: string;
  view: unknown;
}

/**
 * A relationship whose members its parent's view already knows (a run's plan), or that only an
 * include fills (a workspace's outputs): `load` maps each parent's resource id to its members.
 */
export interface Relation<V> {
  load(ctx: Ctx, parents: readonly V[]): Promise<Map<string, Related[]>>;
  /** Write the members as the parent's to-many relationship `data` (it is empty unless included). */
  linkage?: boolean;
}

/**
 * A relation whose members each parent's view already carries (a run's plan, a variable set's
 * variables): `membersOf` gives them as views of `type`, `idOf` the parent's resource id.
 */
export function carriedRelation<V>({
  type,
  idOf,
  membersOf,
}: {
  type: string;
  idOf: (view: V) => string;
  membersOf: (view: V) => readonly unknown[];
}): Relation<V> {
  return { load: async (_ctx, parents) => new Map(parents.map((parent) => [idOf(parent), membersOf(parent).map((view) => ({ type, view }))])) };
}

export interface ResourceType<V> {
  serialize(view: V, ctx: Ctx): ResourceObject;
  /**
   * The resources with these ids that the caller may see (hidden ones are left out, not errors),
   * in one batch. Without it the type is only reached through a parent's `relations`.
   */
  load?(ctx: Ctx, ids: readonly string[]): Promise<readonly V[]>;
  /** Include names (underscored, as in `include=`) resolved by the parent instead of by id. */
  relations?: Readonly<Record<string, Relation<V>>>;
}

const registry = new Map<string, ResourceType<unknown>>();

/** Called once per type, at module load, by the domain's serialize.ts. */
export function registerResourceType<V>(type: string, resourceType: ResourceType<V>): void {
  if (registry.has(type)) throw new Error(`resource type ${type} is registered twice`);
  registry.set(type, resourceType as ResourceType<unknown>);
}

function typeOf(type: string): ResourceType<unknown> {
  const registered = registry.get(type);
  if (!registered) throw new Error(`resource type ${type} is not registered`);
  return registered;
}

/** `a.b,a.c,d` as a tree: a → {b, c}, d. */
type IncludeTree = Map<string, IncludeTree>;

function includeTree(paths: Iterable<string>): IncludeTree {
  const root: IncludeTree = new Map();
  for (const path of paths) {
    let node = root;
    for (const segment of path.split('.')) {
      const child: IncludeTree = node.get(segment) ?? new Map();
      node.set(segment, child);
      node = child;
    }
  }
  return root;
}

interface Entry {
  type: string;
  view: unknown;
  resource: ResourceObject;
}

const keyOf = (type: string, id: string) => `${type}\u0000${id}`;

/** The relationship an include name follows: `current_run` → `current-run`. */
const relationshipKey = (name: string) => name.replaceAll('_', '-');

/** The identifiers a to-one or to-many relationship names. */
function linkageOf(resource: ResourceObject, name: string): { type: string; id: string }[] {
  const data = resource.relationships?.[relationshipKey(name)]?.data;
  if (!data) return [];
  return Array.isArray(data) ? data : [data];
}

/**
 * Serializes `views` of `type` and resolves `include` (already checked against the route's
 * allow-list) into the resources to put in `included`, each once, never one of the primary ones.
 */
export async function resolve(
  ctx: Ctx,
  type: string,
  views: readonly unknown[],
  include: Iterable<string>,
): Promise<{ data: ResourceObject[]; included: ResourceObject[] }> {
  const primaryType = typeOf(type);
  const primary: Entry[] = views.map((view) => ({ type, view, resource: primaryType.serialize(view, ctx) }));
  const seen = new Map<string, Entry>(primary.map((e) => [keyOf(e.type, e.resource.id), e]));
  const included: ResourceObject[] = [];
  const add = (entry: Entry): Entry => {
    const key = keyOf(entry.type, entry.resource.id);
    const known = seen.get(key);
    if (known) return known;
    seen.set(key, entry);
    included.push(entry.resource);
    return entry;
  };

  let level: { parents: Entry[]; tree: IncludeTree }[] = [{ parents: primary, tree: includeTree(include) }];
  while (level.length > 0) {
    const next: typeof level = [];
    // By id: every level's wanted ids of one type are loaded together.
    const wanted = new Map<string, Set<string>>();
    const byId: { name: string; parents: Entry[]; tree: IncludeTree }[] = [];
    for (const { parents, tree } of level) {
      for (const [name, subtree] of tree) {
        const children = await relatedThroughRelation(ctx, parents, name);
        if (children) {
          next.push({ parents: [...new Set(children.map(add))], tree: subtree });
          continue;
        }
        byId.push({ name, parents, tree: subtree });
        for (const parent of parents) {
          for (const { type: relatedType, id } of linkageOf(parent.resource, name)) {
            if (!registry.get(relatedType)?.load || seen.has(keyOf(relatedType, id))) continue;
            wanted.set(relatedType, (wanted.get(relatedType) ?? new Set()).add(id));
          }
        }
      }
    }
    for (const [relatedType, ids] of wanted) {
      const registered = typeOf(relatedType);
      const loaded = ((await registered.load?.(ctx, [...ids])) ?? []).map((view) => ({ type: relatedType, view, resource: registered.serialize(view, ctx) }));
      // In the order the relationships name them, whatever order the batch query returned.
      const position = new Map([...ids].map((id, index) => [id, index]));
      loaded.sort((a, b) => (position.get(a.resource.id) ?? 0) - (position.get(b.resource.id) ?? 0));
      for (const entry of loaded) add(entry);
    }
    for (const { name, parents, tree } of byId) {
      if (tree.size === 0) continue;
      const children = parents.flatMap((parent) => linkageOf(parent.resource, name).flatMap(({ type: t, id }) => seen.get(keyOf(t, id)) ?? []));
      next.push({ parents: [...new Set(children)], tree });
    }
    level = next;
  }
  return { data: primary.map((e) => e.resource), included };
}

/** The members of `name` when the parents' type resolves it itself; undefined when it goes by id. */
async function relatedThroughRelation(ctx: Ctx, parents: Entry[], name: string): Promise<Entry[] | undefined> {
  const byType = new Map<string, Entry[]>();
  for (const parent of parents) {
    if (!registry.get(parent.type)?.relations?.[name]) continue;
    const list = byType.get(parent.type) ?? [];
    list.push(parent);
    byType.set(parent.type, list);
  }
  if (byType.size === 0) return undefined;
  const children: Entry[] = [];
  for (const [parentType, list] of byType) {
    const relation = typeOf(parentType).relations?.[name] as Relation<unknown>;
    const members = await relation.load(
      ctx,
      list.map((p) => p.view),
    );
    for (const parent of list) {
      const related = (members.get(parent.resource.id) ?? []).map((r) => ({ type: r.type, view: r.view, resource: typeOf(r.type).serialize(r.view, ctx) }));
      if (relation.linkage) {
        const data = related.map((r) => ({ type: r.type, id: r.resource.id }));
        parent.resource.relationships = { ...parent.resource.relationships, [relationshipKey(name)]: { data } };
      }
      children.push(...related);
    }
  }
  return children;
}

/** The top-level `links` and `meta` of a list document. */
export interface DocumentParts {
  links?: Record<string, string | null>;
  meta?: Record<string, unknown>;
}

/**
 * A JSON:API document of `views` of `type` (one resource when `views` is not an array) with the
 * resources `include` names (already checked; for responses that include something unasked).
 */
export async function documentWith<V>(ctx: Ctx, type: string, views: V | V[], include: Iterable<string>, parts: DocumentParts = {}): Promise<Document> {
  const many = Array.isArray(views);
  const { data, included } = await resolve(ctx, type, many ? views : [views], include);
  return document(many ? data : (data[0] as ResourceObject), { ...parts, included });
}

/**
 * A JSON:API document of `views` of `type` (one resource when `views` is not an array) with what the
 * request's `include=` names, checked against the route's `allowed` names.
 * @example reply.send(await includedDocument(request, 'runs', view, RUN_INCLUDES))
 */
export function includedDocument<V>(
  request: { ctx: Ctx; query: IncludeQuery },
  type: string,
  views: V | V[],
  allowed: readonly string[],
  parts: DocumentParts = {},
): Promise<Document> {
  return documentWith(request.ctx, type, views, parseInclude(request.query, allowed), parts);
}

/**
 * The page of a list the request asks for as a document of `type`, with its pagination `links` and
 * `meta` and what `include=` names (checked against `allowed` after listing, so a missing parent is a 404 first).
 * @example reply.send(await includedPage(request, 'ssh-keys', [], (page) => sshKeyService.list(request.ctx, org, page)))
 */
export async function includedPage<V>(
  request: { url: string; ctx: Ctx; query: IncludeQuery & PageQuery },
  type: string,
  allowed: readonly string[],
  list: (page: Page) => Promise<Paged<V>>,
): Promise<Document> {
  const { items, parts } = await listPage(request, list);
  return includedDocument(request, type, items, allowed, parts);
}
