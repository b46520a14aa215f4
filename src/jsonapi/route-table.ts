import type { FastifyInstance, RouteOptions } from 'fastify';

/** A registered route: its method and URL pattern as Fastify has it (`/api/v2/workspaces/:workspace_id`). */
export interface RegisteredRoute {
  method: string;
  url: string;
}

function patternOf(url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment.startsWith(':')) return '[^/]+';
    if (segment === '*') return '.*';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * Every route the application registers, collected from Fastify's `onRoute` hook: new routes join it
 * by themselves. It answers which methods a path allows (405's `Allow` header) and lists the routes
 * (the fuzz test sweeps them all).
 */
export class RouteTable {
  readonly routes: RegisteredRoute[] = [];
  private readonly byUrl = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  add(route: Pick<RouteOptions, 'method' | 'url'>): void {
    for (const method of [route.method].flat()) {
      this.routes.push({ method, url: route.url });
      const entry = this.byUrl.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set<string>() };
      entry.methods.add(method);
      this.byUrl.set(route.url, entry);
    }
  }

  /** The methods some route allows on `path` (without its query string), sorted; none when no route has the path. */
  allowedMethods(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: allowed } of this.byUrl.values()) if (pattern.test(path)) for (const m of allowed) methods.add(m);
    return [...methods].sort();
  }
}

/** Starts collecting the routes registered on `app` from now on (register it before any route). */
export function collectRoutes(app: FastifyInstance): RouteTable {
  const table = new RouteTable();
  app.addHook('onRoute', (route) => table.add(route));
  return table;
}
