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

/** The two owners of a policy: the path parameter that names one, and the service calls for it. */
const OWNERS = [
  {
    path: '/api/v2/organizations/:organization_name/relationships/data-retention-policy',
    param: 'organization_name',
    show: retentionService.showForOrganization,
    set: retentionService.setForOrganization,
    remove: retentionService.deleteForOrganization,
  },
  {
    path: '/api/v2/workspaces/:workspace_id/relationships/data-retention-policy',
    param: 'workspace_id',
    show: retentionService.showForWorkspace,
    set: retentionService.setForWorkspace,
    remove: retentionService.deleteForWorkspace,
  },
] as const;

/** organizations.mdx and workspaces.mdx: POST and PATCH both create or replace the policy. */
export async function dataRetentionPolicyRoutes(app: FastifyInstance): Promise<void> {
  for (const owner of OWNERS) {
    type Params = Record<typeof owner.param, string>;
    app.get<{ Params: Params }>(owner.path, async (request, reply) => {
      return reply.send(policyDocument(await owner.show(request.ctx, request.params[owner.param])));
    });
    for (const method of ['post', 'patch'] as const) {
      app[method]<{ Params: Params }>(owner.path, async (request, reply) => {
        const owned = await owner.set(request.ctx, request.params[owner.param], policyInput(request.body));
        return reply.code(method === 'post' ? 201 : 200).send(policyDocument(owned));
      });
    }
    app.delete<{ Params: Params }>(owner.path, async (request, reply) => {
      await owner.remove(request.ctx, request.params[owner.param]);
      return reply.code(204).send();
    });
  }
}
