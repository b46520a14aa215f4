import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

/**
 * Capability URLs for clients that send no token (state and configuration uploads, log reads). The
 * expiry and signature are path segments, not a query string: the CLI replaces the query string of
 * log URLs (cli-protocol.md §6.4, §11 item 6). The key is derived from the encryption key, so every
 * replica sharing that key accepts the URLs of the others.
 *
 * @example
 * const url = signedUrl(ctx, `/_blobs/state-versions/${id}/state`, 3600);
 * // → https://host/_blobs/state-versions/sv-…/state/1795000000/<signature>
 * // route: '/_blobs/state-versions/:id/state/:expiry/:signature'
 * if (!verifySignature(config, `/_blobs/state-versions/${id}/state`, expiry, signature, now())) throw new NotFoundError(…);
 */
export function signedUrl(ctx: { config: Config; baseUrl: string; now: () => Date }, path: string, ttlSeconds: number): string {
  const expiry = String(Math.floor(ctx.now().getTime() / 1000) + ttlSeconds);
  return `${ctx.baseUrl}${path}/${expiry}/${signature(ctx.config, path, expiry)}`;
}

/** Whether `signatureSegment` signs `path` until `expiry` (Unix seconds) and `now` is before it. */
export function verifySignature(config: Config, path: string, expiry: string, signatureSegment: string, now: Date): boolean {
  if (!/^\d{1,12}$/.test(expiry) || Number(expiry) * 1000 <= now.getTime()) return false;
  const expected = Buffer.from(signature(config, path, expiry));
  const given = Buffer.from(signatureSegment);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function signature(config: Config, path: string, expiry: string): string {
  const key = createHmac('sha256', config.encryptionKey).update('terrace signed urls v1').digest();
  return createHmac('sha256', key).update(`${path}\n${expiry}`).digest('base64url');
}

/** `path` with a capability signature, if it ends with one, replaced: logs must not hold usable URLs. */
export function withoutSignature(path: string): string {
  return path.replace(/\/(\d{1,12})\/[A-Za-z0-9_-]{43}$/, '/$1/[signature]');
}
