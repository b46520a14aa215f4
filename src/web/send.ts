import type { FastifyReply } from 'fastify';

/**
 * Every page's headers: no caching (pages show one user's data), no framing (clickjacking of the action
 * buttons), and a CSP that allows only this server's scripts, styles and event streams: htmx and the
 * stylesheet come from /_assets, never from another site.
 */
export const WEB_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; '),
} as const;

export async function sendPage(reply: FastifyReply, status: number, page: JSX.Element): Promise<FastifyReply> {
  return reply
    .code(status)
    .headers(WEB_PAGE_HEADERS)
    .send(await page);
}

/** After a form post: the browser loads `location` with a GET (303), htmx's boosted forms too. */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}
