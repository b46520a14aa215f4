import type { FastifyInstance } from 'fastify';
import { parseLinkageIds } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { type Query, queryString } from '../jsonapi/query.js';
import * as tagService from './service.js';

import { serializeTag } from './serialize.js';
interface OrganizationParams {
  organization_name: string;
}

export async function organizationTagRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams }>('/api/v2/organizations/:organization_name/tags', async (request, reply) => {
    const ctx = request.ctx;
    const query = request.query as Query;
    const page = parsePage(query);
    const { tags, total } = await tagService.list(ctx, request.params.organization_name, {
      filter: {
        search: queryString(query, 'q') || undefined,
        excludeWorkspaceId: queryString(query, 'filter[exclude][taggable][id]') || undefined,
      },
      page,
    });
    return reply.send(document(tags.map(serializeTag), paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total)));
  });

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
