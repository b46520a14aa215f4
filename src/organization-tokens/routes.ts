import type { FastifyInstance } from 'fastify';
import { parseTokenRequest, serializeToken } from '../auth/token-resource.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { document } from '../jsonapi/document.js';
import { type Query, queryString } from '../jsonapi/query.js';
import * as organizationTokenService from './service.js';

interface Params {
  organization_name: string;
}

/**
 * `?token=audit-trails` names HCP Terraform's audit trails token (openapi, x-vis hcpt), which Terrace
 * does not have. Refused rather than ignored: ignoring it would replace or delete the organization token.
 */
function refuseOtherTokenTypes(query: Query): void {
  const kind = queryString(query, 'token');
  if (kind === 'audit-trails') throw new NotFoundError('audit trails tokens are not available on this server');
  if (kind !== undefined) throw new InvalidError('token must be omitted (the organization token)', { parameter: 'token' });
}

export async function organizationTokenRoutes(app: FastifyInstance): Promise<void> {
  const path = '/api/v2/organizations/:organization_name/authentication-token';

  app.post<{ Params: Params }>(path, async (request, reply) => {
    refuseOtherTokenTypes(request.query as Query);
    const { token, secret } = await organizationTokenService.generate(request.ctx, request.params.organization_name, {
      expiredAt: parseTokenRequest(request.body).expiredAt,
    });
    return reply.code(201).send(document(serializeToken(token, secret)));
  });

  app.get<{ Params: Params }>(path, async (request, reply) => {
    refuseOtherTokenTypes(request.query as Query);
    const token = await organizationTokenService.show(request.ctx, request.params.organization_name);
    return reply.send(document(serializeToken(token)));
  });

  app.delete<{ Params: Params }>(path, async (request, reply) => {
    refuseOtherTokenTypes(request.query as Query);
    await organizationTokenService.destroy(request.ctx, request.params.organization_name);
    return reply.code(204).send();
  });
}
