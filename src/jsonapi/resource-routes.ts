import type { Static, TObject, TProperties } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import type { Paged } from '../db/paging.js';
import { IncludeQuery, PagedIncludeQuery } from './include.js';
import { includedDocument, includedPage } from './include-registry.js';
import type { Page } from './pagination.js';
import { querySchema, withQuery } from './query.js';

/** The parameters a route path names: `'/api/v2/tasks/:task_id'` → `{ task_id: string }`. */
export type PathParams<Path extends string> = { [Name in ParamNames<Path>]: string };

type ParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : never;

/** The request's path parameters: Fastify parses them from `path`, but cannot type them through a type parameter. */
function paramsOf<Path extends string>(request: { params: unknown }): PathParams<Path> {
  return request.params as PathParams<Path>;
}

/** What a member route's handler is given: the request's context, its path parameters and (for a write) its body. */
type MemberHandlers<Path extends string, View> = {
  show?: (ctx: Ctx, params: PathParams<Path>) => Promise<View>;
  update?: (ctx: Ctx, params: PathParams<Path>, body: unknown) => Promise<View>;
  destroy?: (ctx: Ctx, params: PathParams<Path>) => Promise<void>;
};

/** A service with the usual operations on one resource by its id: show, update (with its input) and destroy. */
interface ResourceService<View, Input> {
  show(ctx: Ctx, id: string): Promise<View>;
  update(ctx: Ctx, id: string, input: Input): Promise<View>;
  destroy(ctx: Ctx, id: string): Promise<void>;
}

/** `memberRoutes`' handlers for a service with the usual operations: the id is the path's last parameter. */
function serviceHandlers<Path extends string, View, Input>(
  path: Path,
  service: ResourceService<View, Input>,
  input: (body: unknown) => Input,
): MemberHandlers<Path, View> {
  const param = path.split('/').findLast((segment) => segment.startsWith(':'))?.slice(1) as keyof PathParams<Path>;
  return {
    show: (ctx, params) => service.show(ctx, params[param]),
    update: (ctx, params, body) => service.update(ctx, params[param], input(body)),
    destroy: (ctx, params) => service.destroy(ctx, params[param]),
  };
}

/**
 * The routes of one resource at `path`: GET shows it, PATCH updates it (both answer its document of
 * `type` with what `include=` names from `includes`), DELETE destroys it (204). Only the handlers
 * given are registered; the service they call authorizes and raises the 404 of a hidden resource.
 * A service with the usual `show(ctx, id)`, `update(ctx, id, input)` and `destroy(ctx, id)`, the id
 * being the path's last parameter, is given as `{ service, input }`, `input` reading an update's body.
 * @example memberRoutes(app, '/api/v2/ssh-keys/:ssh_key_id', 'ssh-keys', [], { service: sshKeyService, input: sshKeyInput })
 * @example memberRoutes(app, '/api/v2/run-triggers/:run_trigger_id', 'run-triggers', INCLUDES, { show: (ctx, p) => runTriggerService.show(ctx, p.run_trigger_id) })
 */
export function memberRoutes<Path extends string, View, Input = never>(
  app: FastifyInstance,
  path: Path,
  type: string,
  includes: readonly string[],
  handlers: MemberHandlers<Path, View> | { service: ResourceService<View, Input>; input: (body: unknown) => Input },
): void {
  const { show, update, destroy } = 'service' in handlers ? serviceHandlers(path, handlers.service, handlers.input) : handlers;
  type Route = { Params: PathParams<Path>; Querystring: IncludeQuery };
  if (show) {
    app.get<Route>(path, withQuery(IncludeQuery), async (request, reply) =>
      reply.send(await includedDocument(request, type, await show(request.ctx, paramsOf<Path>(request)), includes)),
    );
  }
  if (update) {
    app.patch<Route>(path, withQuery(IncludeQuery), async (request, reply) =>
      reply.send(await includedDocument(request, type, await update(request.ctx, paramsOf<Path>(request), request.body), includes)),
    );
  }
  if (destroy) {
    app.delete<{ Params: PathParams<Path> }>(path, async (request, reply) => {
      await destroy(request.ctx, paramsOf<Path>(request));
      return reply.code(204).send();
    });
  }
}

/**
 * POST `path` creates a resource in the collection the path names: 201 with its document of `type`
 * and what `include=` names from `includes`.
 * @example createRoute(app, '/api/v2/organizations/:organization_name/ssh-keys', 'ssh-keys', [], (ctx, p, body) => sshKeyService.create(ctx, p.organization_name, sshKeyInput(body)))
 */
export function createRoute<Path extends string, View>(
  app: FastifyInstance,
  path: Path,
  type: string,
  includes: readonly string[],
  create: (ctx: Ctx, params: PathParams<Path>, body: unknown) => Promise<View>,
): void {
  app.post<{ Params: PathParams<Path>; Querystring: IncludeQuery }>(path, withQuery(IncludeQuery), async (request, reply) =>
    reply.code(201).send(await includedDocument(request, type, await create(request.ctx, paramsOf<Path>(request), request.body), includes)),
  );
}

/** The values of a list route's `filters`, as its query string has them. */
export type FilterValues<Filters extends TProperties> = Static<TObject<Filters>>;

/**
 * GET `path` lists a page of the collection the path names: its document of `type` with pagination
 * `links` and `meta` and what `include=` names from `includes`. The query string has the page and
 * include parameters, and `filters` (none: `{}`); `list` gets the context, the path's parameters,
 * the page and the filters' values.
 * @example listRoute(app, '/api/v2/organizations/:organization_name/ssh-keys', 'ssh-keys', [], {}, (ctx, p, page) => sshKeyService.list(ctx, p.organization_name, page))
 */
export function listRoute<Path extends string, View, Filters extends TProperties>(
  app: FastifyInstance,
  path: Path,
  type: string,
  includes: readonly string[],
  filters: Filters,
  list: (ctx: Ctx, params: PathParams<Path>, page: Page, query: FilterValues<Filters>) => Promise<Paged<View>>,
): void {
  // Typed loosely: TypeBox's types of a schema built from a type parameter are too deep for TypeScript.
  const schema = querySchema<TProperties>({ ...PagedIncludeQuery.properties, ...filters });
  app.get(path, withQuery(schema), async (request, reply) => {
    // Fastify validated the query against `schema`.
    const query = request.query as FilterValues<Filters> & PagedIncludeQuery;
    const paged = { ctx: request.ctx, url: request.url, query };
    return reply.send(await includedPage(paged, type, includes, (page) => list(request.ctx, paramsOf<Path>(request), page, query)));
  });
}
