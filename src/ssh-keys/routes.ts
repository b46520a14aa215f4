import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import { includedDocument } from '../jsonapi/include-registry.js';
import { IncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
import { createRoute, listRoute, memberRoutes } from '../jsonapi/resource-routes.js';
import { WORKSPACE_INCLUDES } from '../workspaces/serialize.js';
import * as sshKeyService from './service.js';

const SshKeyAttributes = Type.Object({
  name: Type.Optional(Type.String()),
  value: Type.Optional(Type.String({ maxLength: sshKeyService.MAX_KEY_LENGTH })),
});

/** workspaces.mdx "Assign an SSH key to a workspace": the key's id as an attribute, null to unassign. */
const AssignmentAttributes = Type.Object({ id: Type.Union([Type.String(), Type.Null()]) });

function sshKeyInput(body: unknown): sshKeyService.SshKeyInput {
  const { attributes } = parseResourceBody(body, 'ssh-keys', SshKeyAttributes);
  return { name: attributes.name, value: attributes.value };
}

interface WorkspaceParams {
  workspace_id: string;
}

export async function sshKeyRoutes(app: FastifyInstance): Promise<void> {
  listRoute(app, '/api/v2/organizations/:organization_name/ssh-keys', 'ssh-keys', [], {}, (ctx, p, page) => sshKeyService.list(ctx, p.organization_name, page));

  createRoute(app, '/api/v2/organizations/:organization_name/ssh-keys', 'ssh-keys', [], (ctx, p, body) =>
    sshKeyService.create(ctx, p.organization_name, sshKeyInput(body)),
  );
  memberRoutes(app, '/api/v2/ssh-keys/:ssh_key_id', 'ssh-keys', [], { service: sshKeyService, input: sshKeyInput });

  app.patch<{ Params: WorkspaceParams; Querystring: IncludeQuery }>(
    '/api/v2/workspaces/:workspace_id/relationships/ssh-key',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const { attributes } = parseResourceBody(request.body, 'workspaces', AssignmentAttributes);
      const view = await sshKeyService.assignToWorkspace(request.ctx, request.params.workspace_id, attributes.id);
      return reply.send(await includedDocument(request, 'workspaces', view, WORKSPACE_INCLUDES));
    },
  );
}
