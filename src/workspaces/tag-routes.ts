import type { FastifyInstance } from 'fastify';
import { parseResourceArray } from '../jsonapi/body.js';
import { document, apiPath } from '../jsonapi/document.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import { requestBindings } from '../projects/tag-bindings.js';
import { tagReferences } from './request.js';
import { serializeBinding, serializeEffectiveBinding, serializeTag } from './serialize.js';
import * as tagService from './tag-service.js';
import { withQuery } from '../jsonapi/query.js';

/** Inherited bindings link to their project (workspaces.mdx "List workspace tag bindings"). */
function bindingsDocument(workspaceId: string, bindings: tagService.TagBinding[]) {
  return document(bindings.map(serializeBinding), { links: { target: apiPath('workspaces', workspaceId) } });
}

interface IdParams {
  workspace_id: string;
}

export async function tagRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: IdParams; Querystring: PageQuery }>('/api/v2/workspaces/:workspace_id/relationships/tags', withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    const { items: tags, organizationName, parts } = await listPage(request, (page) => tagService.listTags(ctx, request.params.workspace_id, page));
    return reply.send(
      document(
        tags.map((tag) => serializeTag(tag, organizationName)),
        parts,
      ),
    );
  });

  app.post<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/relationships/tags', async (request, reply) => {
    await tagService.addTags(request.ctx, request.params.workspace_id, tagReferences(parseResourceArray(request.body, 'tags', '', 'bad-request')));
    return reply.code(204).send();
  });

  app.delete<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/relationships/tags', async (request, reply) => {
    await tagService.removeTags(request.ctx, request.params.workspace_id, tagReferences(parseResourceArray(request.body, 'tags', '', 'bad-request')));
    return reply.code(204).send();
  });

  // Not paginated: "all tags are returned" for tag-bindings and effective-tag-bindings (workspaces.mdx "List workspace tags").
  for (const path of ['/api/v2/workspaces/:workspace_id/tag-bindings', '/api/v2/workspaces/:workspace_id/relationships/tag-bindings']) {
    app.get<{ Params: IdParams }>(path, async (request, reply) => {
      const bindings = await tagService.listBindings(request.ctx, request.params.workspace_id);
      return reply.send(bindingsDocument(request.params.workspace_id, bindings));
    });
  }

  app.patch<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/tag-bindings', async (request, reply) => {
    const bindings = await tagService.addBindings(request.ctx, request.params.workspace_id, requestBindings(request.body));
    return reply.send(bindingsDocument(request.params.workspace_id, bindings));
  });

  // The same addition, answered 204 (OpenAPI addWorkspaceTagBindings).
  app.post<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/relationships/tag-bindings', async (request, reply) => {
    await tagService.addBindings(request.ctx, request.params.workspace_id, requestBindings(request.body));
    return reply.code(204).send();
  });

  // Every binding replaced (OpenAPI replaceWorkspaceTagBindings): an empty list removes them all.
  app.patch<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/relationships/tag-bindings', async (request, reply) => {
    await tagService.replaceBindings(request.ctx, request.params.workspace_id, requestBindings(request.body));
    return reply.code(204).send();
  });

  app.get<{ Params: IdParams }>('/api/v2/workspaces/:workspace_id/effective-tag-bindings', async (request, reply) => {
    const bindings = await tagService.listEffectiveBindings(request.ctx, request.params.workspace_id);
    return reply.send(document(bindings.map(serializeEffectiveBinding)));
  });
}
