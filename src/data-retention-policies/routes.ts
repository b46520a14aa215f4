import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BadRequestError } from '../errors.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { DELETE_OLDER_TYPE, DONT_DELETE_TYPE, serializeRetentionPolicy } from './serialize.js';
import * as retentionService from './service.js';

const NullableCount = Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]));

const DeleteOlderAttributes = Type.Object({
  'delete-older-than-n-days': Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
  'state-versions-keep-latest-count': NullableCount,
  'configuration-versions-keep-latest-count': NullableCount,
});

/** go-tfe's deprecated SetDataRetentionPolicy (TFE v202311) sends this type for a delete-older policy. */
const LEGACY_TYPE = 'data-retention-policies';

/** The body of a create or update: one of the two policy types, told apart by `data.type`. */
function policyInput(body: unknown): retentionService.PolicyInput {
  const type = (body as { data?: { type?: unknown } } | null)?.data?.type;
  if (type === DONT_DELETE_TYPE) {
    parseResourceBody(body, DONT_DELETE_TYPE, Type.Object({}));
    return { kind: 'dont-delete' };
  }
  if (type !== DELETE_OLDER_TYPE && type !== LEGACY_TYPE) {
    throw new BadRequestError(`data.type must be "${DELETE_OLDER_TYPE}" or "${DONT_DELETE_TYPE}"`, { pointer: '/data/type' });
  }
  const { attributes } = parseResourceBody(body, type, DeleteOlderAttributes);
  return {
    kind: 'delete-older',
    deleteOlderThanNDays: attributes['delete-older-than-n-days'],
    stateVersionsKeepLatestCount: attributes['state-versions-keep-latest-count'],
    configurationVersionsKeepLatestCount: attributes['configuration-versions-keep-latest-count'],
  };
}

function policyDocument({ policy, owner }: retentionService.OwnedPolicy) {
  return document(serializeRetentionPolicy(policy, owner));
}

interface OrganizationParams {
  organization_name: string;
}
interface WorkspaceParams {
  workspace_id: string;
}

/** organizations.mdx and workspaces.mdx: POST and PATCH both create or replace the policy. */
export async function dataRetentionPolicyRoutes(app: FastifyInstance): Promise<void> {
  const organizationPath = '/api/v2/organizations/:organization_name/relationships/data-retention-policy';
  app.get<{ Params: OrganizationParams }>(organizationPath, async (request, reply) => {
    return reply.send(policyDocument(await retentionService.showForOrganization(request.ctx, request.params.organization_name)));
  });
  for (const method of ['post', 'patch'] as const) {
    app[method]<{ Params: OrganizationParams }>(organizationPath, async (request, reply) => {
      const owned = await retentionService.setForOrganization(request.ctx, request.params.organization_name, policyInput(request.body));
      return reply.code(method === 'post' ? 201 : 200).send(policyDocument(owned));
    });
  }
  app.delete<{ Params: OrganizationParams }>(organizationPath, async (request, reply) => {
    await retentionService.deleteForOrganization(request.ctx, request.params.organization_name);
    return reply.code(204).send();
  });

  const workspacePath = '/api/v2/workspaces/:workspace_id/relationships/data-retention-policy';
  app.get<{ Params: WorkspaceParams }>(workspacePath, async (request, reply) => {
    return reply.send(policyDocument(await retentionService.showForWorkspace(request.ctx, request.params.workspace_id)));
  });
  for (const method of ['post', 'patch'] as const) {
    app[method]<{ Params: WorkspaceParams }>(workspacePath, async (request, reply) => {
      const owned = await retentionService.setForWorkspace(request.ctx, request.params.workspace_id, policyInput(request.body));
      return reply.code(method === 'post' ? 201 : 200).send(policyDocument(owned));
    });
  }
  app.delete<{ Params: WorkspaceParams }>(workspacePath, async (request, reply) => {
    await retentionService.deleteForWorkspace(request.ctx, request.params.workspace_id);
    return reply.code(204).send();
  });
}
