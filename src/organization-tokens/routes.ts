import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseExpiredAt, serializeToken } from '../auth/token-resource.js';
import { BadRequestError } from '../errors.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import * as organizationTokenService from './service.js';

const GenerateAttributes = Type.Object({ 'expired-at': Type.Optional(Type.Union([Type.String(), Type.Null()])) });

interface Params {
  organization_name: string;
}

/** The request's `expired-at`. The body is optional (go-tfe's Create sends none); its type is documented singular. */
function requestedExpiry(body: unknown): Date | null {
  if (body === undefined) return null;
  const type = (body as { data?: { type?: unknown } } | null)?.data?.type;
  if (type !== 'authentication-token' && type !== 'authentication-tokens') {
    throw new BadRequestError('data.type must be "authentication-token"', { pointer: '/data/type' });
  }
  const { attributes } = parseResourceBody(body, type, GenerateAttributes);
  return parseExpiredAt(attributes['expired-at']);
}

export async function organizationTokenRoutes(app: FastifyInstance): Promise<void> {
  const path = '/api/v2/organizations/:organization_name/authentication-token';

  app.post<{ Params: Params }>(path, async (request, reply) => {
    const { token, secret } = await organizationTokenService.generate(request.ctx, request.params.organization_name, { expiredAt: requestedExpiry(request.body) });
    return reply.code(201).send(document(serializeToken(token, secret)));
  });

  app.get<{ Params: Params }>(path, async (request, reply) => {
    const token = await organizationTokenService.show(request.ctx, request.params.organization_name);
    return reply.send(document(serializeToken(token)));
  });

  app.delete<{ Params: Params }>(path, async (request, reply) => {
    await organizationTokenService.destroy(request.ctx, request.params.organization_name);
    return reply.code(204).send();
  });
}
