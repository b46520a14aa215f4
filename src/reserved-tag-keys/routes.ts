import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import * as reservedTagKeyService from './service.js';
import { IncludeQuery, PagedIncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';

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
interface ReservedTagKeyParams {
  reserved_tag_key_id: string;
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

  app.post<{ Params: OrganizationParams; Querystring: IncludeQuery }>(
    '/api/v2/organizations/:organization_name/reserved-tag-keys',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const reserved = await reservedTagKeyService.create(request.ctx, request.params.organization_name, reservedTagKeyInput(request.body));
      return reply.code(201).send(await includedDocument(request, 'reserved-tag-keys', reserved, []));
    },
  );

  app.patch<{ Params: ReservedTagKeyParams; Querystring: IncludeQuery }>(
    '/api/v2/reserved-tags/:reserved_tag_key_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const reserved = await reservedTagKeyService.update(request.ctx, request.params.reserved_tag_key_id, reservedTagKeyInput(request.body));
      return reply.send(await includedDocument(request, 'reserved-tag-keys', reserved, []));
    },
  );

  app.delete<{ Params: ReservedTagKeyParams }>('/api/v2/reserved-tags/:reserved_tag_key_id', async (request, reply) => {
    await reservedTagKeyService.destroy(request.ctx, request.params.reserved_tag_key_id);
    return reply.code(204).send();
  });
}
