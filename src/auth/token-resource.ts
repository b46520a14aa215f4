import { InvalidError } from '../errors.js';
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
    { 'created-by': toOne('users', token.createdById) },
  );
}
