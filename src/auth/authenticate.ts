import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { RateLimitedError, UnauthorizedError } from '../errors.js';
import { authCache } from './cache.js';
import { RateLimiter } from './rate-limit.js';
import { secretsEqual, sha256 } from './secrets.js';
import * as authStore from './store.js';
import { ANONYMOUS, type Subject, subjectKey } from './subject.js';
import * as tokenStore from './token-store.js';

/**
 * Per-route authentication need, set in the route's `config.auth`:
 * `required` (the default under /api/v2), `optional` (ping), `none` (discovery, signed URLs, login pages).
 */
export type AuthMode = 'required' | 'optional' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode;
  }
  interface FastifyRequest {
    subject: Subject;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  return match[1];
}

/** How often a token's `last-used-at` is written. */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** A token's subject as cached: the token row (for expiry and last use) and who it stands for. */
interface Resolved {
  token: tokenStore.Token;
  subject: Subject | undefined;
}

/** Who a token row stands for; undefined when orphaned (its user, team or run is gone). */
async function subjectOf(db: Db, token: tokenStore.Token): Promise<Subject | undefined> {
  if (token.kind === 'user' && token.userId) {
    const user = await authStore.findUserForToken(db, token.userId);
    return user && { kind: 'user', userId: user.id, username: user.username, isSiteAdmin: user.isSiteAdmin, tokenId: token.id };
  }
  if (token.kind === 'team' && token.teamId) {
    const team = await authStore.findTeamForToken(db, token.teamId);
    return team && { kind: 'team', teamId: team.id, organizationId: team.organizationId, tokenId: token.id };
  }
  if (token.kind === 'organization' && token.organizationId) {
    return { kind: 'organization', organizationId: token.organizationId, tokenId: token.id };
  }
  if (token.kind === 'run' && token.runId) {
    const run = await authStore.findRunForToken(db, token.runId);
    return run && { kind: 'run', runId: run.id, workspaceId: run.workspaceId, organizationId: run.organizationId, tokenId: token.id };
  }
  if (token.kind === 'test-run' && token.testRunId) {
    const testRun = await authStore.findTestRunForToken(db, token.testRunId);
    return testRun && { kind: 'test-run', testRunId: testRun.id, organizationId: testRun.organizationId, tokenId: token.id };
  }
  if (token.kind === 'task-result' && token.taskResultId && token.runId && token.organizationId) {
    return { kind: 'task-result', taskResultId: token.taskResultId, runId: token.runId, organizationId: token.organizationId, tokenId: token.id };
  }
  if (token.kind === 'agent') {
    return { kind: 'agent', tokenId: token.id, agentPoolId: token.agentPoolId, organizationId: token.organizationId };
  }
  return undefined;
}

/** Resolves a token to its subject; undefined when unknown, expired or orphaned. Unknown tokens are not cached. */
async function subjectForToken(db: Db, config: Config, secret: string, now: Date): Promise<Subject | undefined> {
  if (config.adminToken && secretsEqual(secret, config.adminToken)) {
    const admin = await authCache.get('admin-token', () => authStore.findUserByUsername(db, 'admin'));
    return admin && { kind: 'user', userId: admin.id, username: admin.username, isSiteAdmin: true, tokenId: null };
  }
  const hash = sha256(secret);
  const key = `token:${hash}`;
  const resolved = await authCache.get<Resolved | undefined>(key, async () => {
    const token = await tokenStore.findByHash(db, hash);
    return token && { token, subject: await subjectOf(db, token) };
  });
  if (!resolved) {
    // Random bad tokens must not fill the cache.
    authCache.forget(key);
    return undefined;
  }
  const { token, subject } = resolved;
  if (token.expiredAt && token.expiredAt <= now) return undefined;
  // Most requests skip the round trip: `last-used-at` is written once a minute.
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= TOKEN_TOUCH_INTERVAL_MS) {
    token.lastUsedAt = now;
    await tokenStore.touch(db, token.id, now, TOKEN_TOUCH_INTERVAL_MS);
  }
  return subject;
}

/**
 * The one place a 401 is produced, and where rate limiting happens (seeds/000 "Rate Limiting":
 * per user for authenticated requests, per IP otherwise). Every response carries the
 * X-RateLimit-* headers; X-RateLimit-Reset is a number of seconds, as go-tfe requires (cli-protocol.md §9), and
 * a 429 also Retry-After.
 */
export function registerAuthentication(app: FastifyInstance, deps: { db: Db; config: Config; now: () => Date }): void {
  const limiter = new RateLimiter(deps.config.rateLimit);
  app.decorateRequest('subject', null as never);
  app.addHook('onRequest', async (request, reply) => {
    const mode: AuthMode = request.routeOptions.config?.auth ?? (request.url.startsWith('/api/v2/') ? 'required' : 'none');
    const secret = mode === 'none' ? undefined : bearerToken(request);
    const found = secret === undefined ? ANONYMOUS : await subjectForToken(deps.db, deps.config, secret, deps.now());
    // A bad token on an optional route (ping) is treated as no token: the CLI needs its headers.
    const subject = found === undefined && mode === 'optional' ? ANONYMOUS : found;

    const rate = limiter.take((subject && subjectKey(subject)) ?? `ip:${request.ip}`);
    reply.header('X-RateLimit-Limit', String(limiter.limit));
    reply.header('X-RateLimit-Remaining', String(rate.remaining));
    reply.header('X-RateLimit-Reset', rate.resetSeconds.toFixed(3));
    if (!rate.allowed) {
      // Whole seconds (RFC 9110 §10.2.3), rounded up: a client that waits that long is let in.
      reply.header('Retry-After', String(Math.max(1, Math.ceil(rate.resetSeconds))));
      throw new RateLimitedError(`You have exceeded the API's rate limit of ${limiter.limit} requests per second.`);
    }

    if (subject === undefined) throw new UnauthorizedError('the token is invalid or expired');
    if (mode === 'required' && subject.kind === 'anonymous') throw new UnauthorizedError('a token is required');
    request.subject = subject;
  });
}
