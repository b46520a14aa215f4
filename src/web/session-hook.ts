import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { secretsEqual } from '../auth/secrets.js';
import { CSRF_FIELD, type PageUser } from './components.js';
import * as sessionService from './session-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser's session under /app, null when it is not signed in. */
    webSession: sessionService.WebSession | null;
  }
}

/**
 * `__Host-` cookies are Secure, host-only and for the whole site, so no subdomain or plain-HTTP page can
 * set them. The browser also sends the session cookie to /api/v2, where it authenticates nothing: only
 * the authentication hook (src/auth/authenticate.ts) sets an API request's caller, from its bearer token.
 */
export const SESSION_COOKIE = '__Host-terrace-session';
/** Before a session exists, the sign-in form's CSRF token is this cookie's value (double submit). */
export const SIGN_IN_COOKIE = '__Host-terrace-sign-in';

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Sets a cookie for the session machinery: HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it). */
export function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): void {
  const cookie = `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.round(maxAgeSeconds))}`;
  const existing = reply.getHeader('set-cookie');
  reply.header('set-cookie', [...(Array.isArray(existing) ? existing : existing ? [String(existing)] : []), cookie]);
}

/** The page's view of the signed-in user; null before sign-in. */
export function pageUser(request: FastifyRequest): PageUser | null {
  const session = request.webSession;
  return session && { username: session.username, csrfToken: session.csrfToken };
}

/** For the pages that need a signed-in user: the others go to the sign-in page, and come back after it. */
export async function requireSignIn(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (request.webSession) return undefined;
  // Returned: a hook that answered must return the reply, or Fastify goes on to the handler.
  return reply
    .code(303)
    .header('location', `/app/sign-in?next=${encodeURIComponent(request.url)}`)
    .header('cache-control', 'no-store')
    .send();
}

/** The signed-in user as the pages show them (after requireSignIn). */
export function userOf(request: FastifyRequest): PageUser {
  const session = request.webSession;
  if (!session) throw new Error('a page for signed-in users was reached without a session');
  return { username: session.username, csrfToken: session.csrfToken };
}

/** A form's posted field, when it is a string. */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body as Record<string, unknown> | null | undefined;
  const value = typeof body === 'object' && body !== null ? body[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Resolves the session cookie into the request's caller, so the pages call the services as that user
 * (the same authorization as the API), and refuses any POST whose CSRF token is not the session's (or,
 * before sign-in, the sign-in cookie's) with 403: `onForbidden` draws the page.
 */
export function registerSessions(app: FastifyInstance, onForbidden: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): void {
  app.decorateRequest('webSession', null);
  app.addHook('onRequest', async (request) => {
    const secret = readCookie(request, SESSION_COOKIE);
    const session = secret ? await sessionService.resolve(request.ctx, secret) : undefined;
    request.webSession = session ?? null;
    if (session) {
      request.subject = sessionService.subjectOf(session);
      request.ctx = { ...request.ctx, subject: request.subject };
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const expected = request.webSession?.csrfToken ?? readCookie(request, SIGN_IN_COOKIE);
    const posted = formField(request, CSRF_FIELD);
    if (expected === undefined || posted === undefined || !secretsEqual(posted, expected)) return onForbidden(request, reply);
  });
}
