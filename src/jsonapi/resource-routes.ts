import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.js';
import { IncludeQuery } from './include.js';
import { includedDocument } from './include-registry.js';
import { withQuery } from './query.js';

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

/**
 * The routes of one resource at `path`: GET shows it, PATCH updates it (both answer its document of
 * `type` with what `include=` names from `includes`), DELETE destroys it (204). Only the handlers
 * given are registered; the service they call authorizes and raises the 404 of a hidden resource.
 * @example memberRoutes(app, '/api/v2/ssh-keys/:ssh_key_id', 'ssh-keys', [], { show: (ctx, p) => sshKeyService.show(ctx, p.ssh_key_id) })
 */
export function memberRoutes<Path extends string, View>(
  app: FastifyInstance,
  path: Path,
  type: string,
  includes: readonly string[],
  { show, update, destroy }: MemberHandlers<Path, View>,
): void {
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
