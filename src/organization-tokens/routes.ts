import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseTokenRequest, serializeToken } from '../auth/token-resource.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { document } from '../jsonapi/document.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as organizationTokenService from './service.js';

interface Params {
  organization_name: string;
}

/**
 * `?token=audit-trails` names HCP Terraform's audit trails token (openapi, x-vis hcpt), which Terrace
 * does not have. Refused rather than ignored: ignoring it would replace or delete the organization token.
 */
const TokenQuery = querySchema({ token: QueryText });

function refuseOtherTokenTypes(kind: string | undefined): void {
  if (kind === 'audit-trails') throw new NotFoundError('audit trails tokens are not available on this server');
  if (kind !== undefined) throw new InvalidError('token must be omitted (the organization token)', { parameter: 'token' });
}

export async function organizationTokenRoutes(app: FastifyInstance): Promise<void> {
  const path = '/api/v2/organizations/:organization_name/authentication-token';

  app.post<{ Params: Params; Querystring: Static<typeof TokenQuery> }>(path, withQuery(TokenQuery), async (request, reply) => {
    refuseOtherTokenTypes(request.query.token);
    const { token, secret } = await organizationTokenService.generate(request.ctx, request.params.organization_name, {
      expiredAt: parseTokenRequest(request.body).expiredAt,
    });
    return reply.code(201).send(document(serializeToken(token, secret)));
  });

  app.get<{ Params: Params; Querystring: Static<typeof TokenQuery> }>(path, withQuery(TokenQuery), async (request, reply) => {
    refuseOtherTokenTypes(request.query.token);
    const token = await organizationTokenService.show(request.ctx, request.params.organization_name);
    return reply.send(document(serializeToken(token)));
  });

  app.delete<{ Params: Params; Querystring: Static<typeof TokenQuery> }>(path, withQuery(TokenQuery), async (request, reply) => {
    refuseOtherTokenTypes(request.query.token);
    await organizationTokenService.destroy(request.ctx, request.params.organization_name);
    return reply.code(204).send();
  });
}
