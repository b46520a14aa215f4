import type { FastifyInstance } from 'fastify';
import { document, type ResourceObject, resource } from '../jsonapi/document.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import type { Query } from '../jsonapi/query.js';
import { outputTypeName } from '../state-versions/state-file.js';
import * as outputService from './service.js';

/** state-version-outputs.mdx. `detailed-type` is what the CLI converts values with (cli-protocol.md §5.5). */
export function serializeOutput(view: outputService.OutputView): ResourceObject {
  return resource(
    'state-version-outputs',
    view.id,
    {
      name: view.name,
      sensitive: view.sensitive,
      type: outputTypeName(view.detailedType, view.value),
      value: view.value,
      'detailed-type': view.detailedType,
    },
    undefined,
    { self: `/api/v2/state-version-outputs/${encodeURIComponent(view.id)}` },
  );
}

export async function stateVersionOutputRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { state_version_id: string } }>('/api/v2/state-versions/:state_version_id/outputs', async (request, reply) => {
    const ctx = request.ctx;
    const page = parsePage(request.query as Query);
    const { outputs, total } = await outputService.listForStateVersion(ctx, request.params.state_version_id, page);
    return reply.send(document(outputs.map(serializeOutput), paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total)));
  });

  app.get<{ Params: { output_id: string } }>('/api/v2/state-version-outputs/:output_id', async (request, reply) => {
    return reply.send(document(serializeOutput(await outputService.show(request.ctx, request.params.output_id))));
  });

  app.get<{ Params: { workspace_id: string } }>('/api/v2/workspaces/:workspace_id/current-state-version-outputs', async (request, reply) => {
    return reply.send(document((await outputService.listCurrent(request.ctx, request.params.workspace_id)).map(serializeOutput)));
  });
}
