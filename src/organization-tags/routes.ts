import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseLinkageIds } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as tagService from './service.js';

import { serializeTag } from './serialize.js';
/** organization-tags.mdx "List Tags" query parameters. */
const ListQuery = querySchema({ ...PageParameters, q: QueryText, 'filter[exclude][taggable][id]': QueryText });

interface OrganizationParams {
  organization_name: string;
}

export async function organizationTagRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams; Querystring: Static<typeof ListQuery> }>(
    '/api/v2/organizations/:organization_name/tags',
    withQuery(ListQuery),
    async (request, reply) => {
      const { ctx, query } = request;
      const { items: tags, parts } = await listPage(request, (page) =>
        tagService.list(ctx, request.params.organization_name, {
          filter: {
            search: query.q || undefined,
            excludeWorkspaceId: query['filter[exclude][taggable][id]'] || undefined,
          },
          page,
        }),
      );
      return reply.send(document(tags.map(serializeTag), parts));
    },
  );

  app.delete<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/tags', async (request, reply) => {
    const ids = parseLinkageIds(request.body, 'tags', '', 'bad-request');
    await tagService.destroy(request.ctx, request.params.organization_name, ids);
    return reply.code(204).send();
  });

  app.post<{ Params: { tag_id: string } }>('/api/v2/tags/:tag_id/relationships/workspaces', async (request, reply) => {
    const ids = parseLinkageIds(request.body, 'workspaces', '', 'bad-request');
    await tagService.addWorkspaces(request.ctx, request.params.tag_id, ids);
    return reply.code(204).send();
  });
}
