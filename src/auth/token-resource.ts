import { Type } from '@sinclair/typebox';
import { BadRequestError, InvalidError } from '../errors.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { type ResourceObject, resource, timestamp, toOne } from '../jsonapi/document.js';
import type { Token } from './token-store.js';

const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

/** The `expired-at` attribute of a token request: null (never expires) or an ISO 8601 date and time; anything else is a 422. */
export function parseExpiredAt(raw: string | null | undefined): Date | null {
  if (raw === undefined || raw === null) return null;
  const date = new Date(raw);
  if (!ISO_8601.test(raw) || Number.isNaN(date.getTime())) {
    throw new InvalidError('expired-at must be an ISO 8601 date and time, such as 2030-04-06T12:00:00Z', { pointer: '/data/attributes/expired-at' });
  }
  return date;
}

const TokenRequestAttributes = Type.Object({
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  'expired-at': Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/**
 * Accepted `data.type`s of organization and team token requests: the documented singular, the
 * resource's plural, and the empty string or no type at all, as go-tfe sends them (its
 * OrganizationTokenCreateOptions, TeamTokenCreateOptions and UserTokenCreateOptions have no primary
 * tag, as the lock body in cli-protocol.md §4.4); HCP Terraform accepts those too.
 */
const REQUEST_TYPES = ['authentication-token', 'authentication-tokens', ''];

/** The attributes of a user, team or organization token request; the body is optional (go-tfe's Create sends none). */
export function parseTokenRequest(body: unknown): { description: string | null; expiredAt: Date | null } {
  if (body === undefined) return { description: null, expiredAt: null };
  const data = (body as { data?: { type?: unknown } } | null)?.data;
  const type = data?.type ?? '';
  if (typeof type !== 'string' || !REQUEST_TYPES.includes(type)) {
    throw new BadRequestError('data.type must be "authentication-token"', { pointer: '/data/type' });
  }
  const { attributes } = parseResourceBody(data ? { data: { ...data, type } } : body, type, TokenRequestAttributes);
  return { description: attributes.description ?? null, expiredAt: parseExpiredAt(attributes['expired-at']) };
}

/**
 * A user, team or organization token as an `authentication-tokens` resource. `secret` is given only
 * in the create response; later reads show `token: null` (user-tokens.mdx, organization-tokens.mdx).
 */
export function serializeToken(token: Token, secret: string | null = null): ResourceObject {
  return resource(
    'authentication-tokens',
    token.id,
    {
      'created-at': timestamp(token.createdAt),
      'last-used-at': timestamp(token.lastUsedAt),
      description: token.description,
      token: secret,
      'expired-at': timestamp(token.expiredAt),
    },
    {
      ...(token.kind === 'team' ? { team: toOne('teams', token.teamId) } : {}),
      'created-by': toOne('users', token.createdById),
    },
  );
}
