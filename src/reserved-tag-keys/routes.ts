import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import * as reservedTagKeyService from './service.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';

const ReservedTagKeyAttributes = Type.Object({
  key: Type.Optional(Type.String()),
  'disable-overrides': Type.Optional(Type.Boolean()),
});

function reservedTagKeyInput(body: unknown): reservedTagKeyService.ReservedTagKeyInput {
  const { attributes } = parseResourceBody(body, 'reserved-tag-keys', ReservedTagKeyAttributes);
  return { key: attributes.key, disableOverrides: attributes['disable-overrides'] };
}

export async function reservedTagKeyRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/reserved-tag-keys', 'reserved-tag-keys', [], {}, (ctx, p, page) =>
    reservedTagKeyService.list(ctx, p.organization_name, page),
  );

  createRoute(app, '/api/v2/organizations/:organization_name/reserved-tag-keys', 'reserved-tag-keys', [], (ctx, p, body) =>
    reservedTagKeyService.create(ctx, p.organization_name, reservedTagKeyInput(body)),
  );
  memberRoutes(app, '/api/v2/reserved-tags/:reserved_tag_key_id', 'reserved-tag-keys', [], {
    update: (ctx, p, body) => reservedTagKeyService.update(ctx, p.reserved_tag_key_id, reservedTagKeyInput(body)),
    destroy: (ctx, p) => reservedTagKeyService.destroy(ctx, p.reserved_tag_key_id),
  });
}
