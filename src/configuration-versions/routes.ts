import { NotFoundError } from '../errors.js';
import type { FastifyReply } from 'fastify';
import type { Ctx } from '../context.js';
import * as runService from '../runs/service.js';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { IncludeParameters, IncludeQuery, parseInclude } from '../jsonapi/include.js';
import { listPage, PageParameters } from '../jsonapi/pagination.js';
import { querySchema, withQuery } from '../jsonapi/query.js';
import * as configurationVersionService from './service.js';
import { uploadRoutes } from './upload-routes.js';

import { serializeConfigurationVersion } from './serialize.js';
/** configuration-versions.mdx "Create a Configuration Version" request body. */
const CreateAttributes = Type.Object({
  'auto-queue-runs': Type.Optional(Type.Boolean()),
  speculative: Type.Optional(Type.Boolean()),
  provisional: Type.Optional(Type.Boolean()),
});

/**
 * "Available Related Resources" names `ingress_attributes`, the text above it `ingress-attributes`:
 * both are accepted, and neither includes anything, since there is no VCS ingress. `run` comes with runs.
 */
const INCLUDES = ['ingress_attributes', 'ingress-attributes'] as const;

const ListQuery = querySchema({ ...PageParameters, ...IncludeParameters });

interface WorkspaceParams {
  workspace_id: string;
}
interface RunParams {
  run_id: string;
}

interface IdParams {
  configuration_version_id: string;
}

export async function configurationVersionRoutes(app: FastifyInstance): Promise<void> {
  const list = '/api/v2/workspaces/:workspace_id/configuration-versions';
  app.post<{ Params: WorkspaceParams }>(list, async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'configuration-versions', CreateAttributes);
    const view = await configurationVersionService.create(request.ctx, request.params.workspace_id, {
      autoQueueRuns: attributes['auto-queue-runs'],
      speculative: attributes.speculative,
      provisional: attributes.provisional,
    });
    return reply.code(201).send(document(serializeConfigurationVersion(view)));
  });

  app.get<{ Params: WorkspaceParams; Querystring: Static<typeof ListQuery> }>(list, withQuery(ListQuery), async (request, reply) => {
    const { ctx, query } = request;
    parseInclude(query, INCLUDES);
    const { items: views, parts } = await listPage(request, (page) => configurationVersionService.list(ctx, request.params.workspace_id, page));
    return reply.send(document(views.map(serializeConfigurationVersion), parts));
  });

  app.get<{ Params: IdParams; Querystring: IncludeQuery }>(
    '/api/v2/configuration-versions/:configuration_version_id',
    withQuery(IncludeQuery),
    async (request, reply) => {
      parseInclude(request.query, INCLUDES);
      const view = await configurationVersionService.show(request.ctx, request.params.configuration_version_id);
      return reply.send(document(serializeConfigurationVersion(view)));
    },
  );

  app.get<{ Params: IdParams }>('/api/v2/configuration-versions/:configuration_version_id/ingress-attributes', async (request, reply) => {
    return reply.send(document(await configurationVersionService.ingressAttributes(request.ctx, request.params.configuration_version_id)));
  });

  // Streamed here rather than redirected to a temporary URL as TFE does: the same bytes for clients that follow the 302.
  const sendArchive = async (reply: FastifyReply, ctx: Ctx, id: string) => {
    const { body, size } = await configurationVersionService.download(ctx, id);
    if (size !== null) reply.header('content-length', size);
    return reply.type('application/octet-stream').send(body);
  };

  app.get<{ Params: IdParams }>('/api/v2/configuration-versions/:configuration_version_id/download', async (request, reply) =>
    sendArchive(reply, request.ctx, request.params.configuration_version_id),
  );

  // The version a run uses (openapi getRunConfigurationVersion), and its files (configuration-versions.mdx "Download Configuration Files").
  const versionOfRun = async (ctx: Ctx, runId: string) => {
    const { run } = await runService.show(ctx, runId);
    if (!run.configurationVersionId) throw new NotFoundError(`run ${runId} has no configuration version`);
    return run.configurationVersionId;
  };

  app.get<{ Params: RunParams }>('/api/v2/runs/:run_id/configuration-version', async (request, reply) => {
    const id = await versionOfRun(request.ctx, request.params.run_id);
    return reply.send(document(serializeConfigurationVersion(await configurationVersionService.show(request.ctx, id))));
  });

  app.get<{ Params: RunParams }>('/api/v2/runs/:run_id/configuration-version/download', async (request, reply) =>
    sendArchive(reply, request.ctx, await versionOfRun(request.ctx, request.params.run_id)),
  );

  app.post<{ Params: IdParams }>('/api/v2/configuration-versions/:configuration_version_id/actions/archive', async (request, reply) => {
    await configurationVersionService.archive(request.ctx, request.params.configuration_version_id);
    return reply.code(202).send();
  });

  await app.register(uploadRoutes);
}
