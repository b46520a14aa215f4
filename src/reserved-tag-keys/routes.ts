import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import { includedPage } from '../jsonapi/include-registry.js';
import * as reservedTagKeyService from './service.js';
import { PagedIncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
import { createRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const ReservedTagKeyAttributes = Type.Object({
  key: Type.Optional(Type.String()),
  'disable-overrides': Type.Optional(Type.Boolean()),
});

function reservedTagKeyInput(body: unknown): reservedTagKeyService.ReservedTagKeyInput {
  const { attributes } = parseResourceBody(body, 'reserved-tag-keys', ReservedTagKeyAttributes);
  return { key: attributes.key, disableOverrides: attributes['disable-overrides'] };
}

interface OrganizationParams {
  organization_name: string;
}

export async function reservedTagKeyRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams; Querystring: PagedIncludeQuery }>(
    '/api/v2/organizations/:organization_name/reserved-tag-keys',
    withQuery(PagedIncludeQuery),
    async (request, reply) => {
      return reply.send(
        await includedPage(request, 'reserved-tag-keys', [], (page) => reservedTagKeyService.list(request.ctx, request.params.organization_name, page)),
      );
    },
  );

  createRoute(app, '/api/v2/organizations/:organization_name/reserved-tag-keys', 'reserved-tag-keys', [], (ctx, p, body) =>
    reservedTagKeyService.create(ctx, p.organization_name, reservedTagKeyInput(body)),
  );
  memberRoutes(app, '/api/v2/reserved-tags/:reserved_tag_key_id', 'reserved-tag-keys', [], {
    update: (ctx, p, body) => reservedTagKeyService.update(ctx, p.reserved_tag_key_id, reservedTagKeyInput(body)),
    destroy: (ctx, p) => reservedTagKeyService.destroy(ctx, p.reserved_tag_key_id),
  });
}
