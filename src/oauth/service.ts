import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashPassword, sha256, verifyPassword } from '../auth/secrets.js';
import type { Ctx } from '../context.js';
import { DISCOVERY_DOCUMENT } from '../discovery/document.js';
import * as userService from '../users/service.js';
import * as userStore from '../users/store.js';
import * as oauthStore from './store.js';

/** The client and callback ports advertised in discovery's `login.v1` (cli-protocol.md §1). */
const LOGIN = DISCOVERY_DOCUMENT['login.v1'];
export const CODE_LIFETIME_MS = 5 * 60_000;
export const TOKEN_DESCRIPTION = 'terraform login';

/** RFC 7636 §4.1 (verifier) and §4.2: an S256 challenge is base64url(sha256), 43 characters. */
const VERIFIER_PATTERN = /^[A-Za-z0-9._~-]{43,128}$/;
const S256_CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE_LENGTH = 512;

/**
 * A bad authorization request. It is shown as a 400 page and never redirected: a redirect to an
 * unvalidated redirect_uri would make this server an open redirector (RFC 6749 §4.1.2.1).
 */
export class AuthorizationRequestError extends Error {}

/** Wrong username or password; deliberately says no more than that. */
export class SignInError extends Error {}

/** Token endpoint error codes, RFC 6749 §5.2. */
export type TokenErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';

export class TokenRequestError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    description: string,
  ) {
    super(description);
  }
}

/** Request parameters from a query string or a form body, as Fastify parses them. */
export type Params = Readonly<Record<string, unknown>>;

export interface AuthorizationRequest {
  clientId: string;
  /** Kept as sent: the token request must repeat it character for character (RFC 6749 §4.1.3). */
  redirectUri: string;
  codeChallenge: string;
  state: string | undefined;
}

/** One parameter as a string; a repeated parameter (an array) counts as malformed. */
function param<E extends Error>(params: Params, name: string, fail: (message: string) => E): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fail(`${name} must be given once`);
  return value;
}

function requestError(message: string): AuthorizationRequestError {
  return new AuthorizationRequestError(message);
}

/** The CLI's callback listener: http on localhost or 127.0.0.1, with a port in the advertised range. */
function isLoopbackCallback(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const port = Number(url.port);
  const [minPort, maxPort] = LOGIN.ports;
  return (
    url.protocol === 'http:' &&
    (url.hostname === 'localhost' || url.hostname === '127.0.0.1') &&
    url.username === '' &&
    url.password === '' &&
    url.hash === '' &&
    port >= minPort &&
    port <= maxPort
  );
}

/** Validates the parameters of `GET /app/oauth2/authorize` (and their hidden copies in the sign-in form). */
export function parseAuthorizationRequest(params: Params): AuthorizationRequest {
  const clientId = param(params, 'client_id', requestError);
  if (clientId !== LOGIN.client) throw requestError(`client_id must be ${LOGIN.client}`);
  if (param(params, 'response_type', requestError) !== 'code') throw requestError('response_type must be code');
  if (param(params, 'code_challenge_method', requestError) !== 'S256') throw requestError('code_challenge_method must be S256');
  const codeChallenge = param(params, 'code_challenge', requestError);
  if (codeChallenge === undefined || !S256_CHALLENGE_PATTERN.test(codeChallenge)) throw requestError('code_challenge must be a base64url SHA-256 digest');
  const redirectUri = param(params, 'redirect_uri', requestError);
  if (redirectUri === undefined || !isLoopbackCallback(redirectUri)) {
    throw requestError(`redirect_uri must be http://localhost:PORT/… or http://127.0.0.1:PORT/… with PORT from ${LOGIN.ports[0]} to ${LOGIN.ports[1]}`);
  }
  const state = param(params, 'state', requestError);
  if (state !== undefined && state.length > MAX_STATE_LENGTH) throw requestError(`state must be at most ${MAX_STATE_LENGTH} characters`);
  return { clientId, redirectUri, codeChallenge, state };
}

let dummyPasswordHash: Promise<string> | undefined;

/** A hash to verify against when the user is unknown, so that the answer takes as long as for a known one. */
function dummyHash(): Promise<string> {
  dummyPasswordHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyPasswordHash;
}

/**
 * Checks the credentials and issues a one-time code bound to the user and the request; returns
 * where to send the browser: `redirect_uri?code=…&state=…` (cli-protocol.md §7).
 */
/** The user with this username and password; SignInError otherwise, after the same work either way (no user-existence timing). */
export async function userWithPassword(ctx: Pick<Ctx, 'db'>, username: string, password: string): Promise<userStore.User> {
  const user = await userStore.findByUsername(ctx.db, username);
  const storedHash = user ? await userStore.findPasswordHash(ctx.db, user.id) : null;
  const matches = await verifyPassword(password, storedHash ?? (await dummyHash()));
  if (!user || storedHash === null || !matches) throw new SignInError('invalid username or password');
  return user;
}

export async function signIn(ctx: Ctx, request: AuthorizationRequest, username: string, password: string): Promise<string> {
  const user = await userWithPassword(ctx, username, password);

  const code = randomBytes(32).toString('base64url');
  const now = ctx.now();
  await oauthStore.deleteExpired(ctx.db, now);
  await oauthStore.insert(ctx.db, {
    codeHash: sha256(code),
    userId: user.id,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    expiresAt: new Date(now.getTime() + CODE_LIFETIME_MS),
  });
  const target = new URL(request.redirectUri);
  target.searchParams.set('code', code);
  if (request.state !== undefined) target.searchParams.set('state', request.state);
  return target.toString();
}

function challengeMatches(verifier: string, challenge: string): boolean {
  const actual = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function whyInvalid(code: oauthStore.OauthCode, clientId: string, redirectUri: string, verifier: string, now: Date): string | undefined {
  if (code.expiresAt <= now) return 'the authorization code has expired';
  if (code.clientId !== clientId) return 'the authorization code was issued to another client';
  if (code.redirectUri !== redirectUri) return 'redirect_uri differs from the authorization request';
  if (!challengeMatches(verifier, code.codeChallenge)) return 'code_verifier does not match the code_challenge';
  return undefined;
}

/**
 * `POST /oauth2/token`: exchanges a code for a new user token (RFC 6749 §4.1.3, RFC 7636 §4.6).
 * The code is deleted on every attempt, failed ones included: a code serves one request only.
 */
export async function exchangeCode(ctx: Ctx, params: Params): Promise<string> {
  const fail = (message: string) => new TokenRequestError('invalid_request', message);
  const required = (name: string): string => {
    const value = param(params, name, fail);
    if (value === undefined || value === '') throw fail(`${name} is required`);
    return value;
  };
  const grantType = required('grant_type');
  if (grantType !== 'authorization_code') throw new TokenRequestError('unsupported_grant_type', 'grant_type must be authorization_code');
  const clientId = required('client_id');
  if (clientId !== LOGIN.client) throw new TokenRequestError('invalid_client', `unknown client ${clientId}`);
  const code = required('code');
  const redirectUri = required('redirect_uri');
  const verifier = required('code_verifier');
  if (!VERIFIER_PATTERN.test(verifier)) throw fail('code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_", "~"');

  const result = await ctx.db.transaction().execute(async (trx): Promise<{ secret: string } | { problem: string }> => {
    const stored = await oauthStore.take(trx, sha256(code));
    if (!stored) return { problem: 'the authorization code is unknown or was already used' };
    const problem = whyInvalid(stored, clientId, redirectUri, verifier, ctx.now());
    if (problem) return { problem };
    const user = await userStore.findById(trx, stored.userId);
    if (!user) return { problem: 'the user no longer exists' };
    // The verified code stands for the user's sign-in, so the token is created as that user.
    const asUser: Ctx = {
      ...ctx,
      db: trx,
      subject: { kind: 'user', userId: user.id, username: user.username, isSiteAdmin: user.isSiteAdmin, tokenId: null },
    };
    const { secret } = await userService.createUserToken(asUser, user.id, { description: TOKEN_DESCRIPTION });
    return { secret };
  });
  if ('problem' in result) throw new TokenRequestError('invalid_grant', result.problem);
  return result.secret;
}
