import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseResourceBody } from '../jsonapi/body.js';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import { IncludeQuery, PagedIncludeQuery } from '../jsonapi/include.js';
import { withQuery } from '../jsonapi/query.js';
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

interface OrganizationParams {
  organization_name: string;
}
interface SshKeyParams {
  ssh_key_id: string;
}
interface WorkspaceParams {
  workspace_id: string;
}

export async function sshKeyRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: OrganizationParams; Querystring: PagedIncludeQuery }>(
    '/api/v2/organizations/:organization_name/ssh-keys',
    withQuery(PagedIncludeQuery),
    async (request, reply) => {
      return reply.send(await includedPage(request, 'ssh-keys', [], (page) => sshKeyService.list(request.ctx, request.params.organization_name, page)));
    },
  );

  app.post<{ Params: OrganizationParams; Querystring: IncludeQuery }>(
    '/api/v2/organizations/:organization_name/ssh-keys',
    withQuery(IncludeQuery),
    async (request, reply) => {
      const key = await sshKeyService.create(request.ctx, request.params.organization_name, sshKeyInput(request.body));
      return reply.code(201).send(await includedDocument(request, 'ssh-keys', key, []));
    },
  );

  app.get<{ Params: SshKeyParams; Querystring: IncludeQuery }>('/api/v2/ssh-keys/:ssh_key_id', withQuery(IncludeQuery), async (request, reply) => {
    return reply.send(await includedDocument(request, 'ssh-keys', await sshKeyService.show(request.ctx, request.params.ssh_key_id), []));
  });

  app.patch<{ Params: SshKeyParams; Querystring: IncludeQuery }>('/api/v2/ssh-keys/:ssh_key_id', withQuery(IncludeQuery), async (request, reply) => {
    const key = await sshKeyService.update(request.ctx, request.params.ssh_key_id, sshKeyInput(request.body));
    return reply.send(await includedDocument(request, 'ssh-keys', key, []));
  });

  app.delete<{ Params: SshKeyParams }>('/api/v2/ssh-keys/:ssh_key_id', async (request, reply) => {
    await sshKeyService.destroy(request.ctx, request.params.ssh_key_id);
    return reply.code(204).send();
  });

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
