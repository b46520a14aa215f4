import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { errorPage, isCrossSite, sendPage, signInPage, tokensPage } from './pages.js';
import * as oauthService from './service.js';

const AUTHORIZE_PATH = '/app/oauth2/authorize';
const TOKEN_PATH = '/oauth2/token';

/** RFC 6749 §5.2 error body; §5.1 forbids caching token responses, errors included. */
function sendTokenError(reply: FastifyReply, error: oauthService.TokenErrorCode, description: string): FastifyReply {
  return reply
    .code(400)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description });
}

function bodyParams(request: FastifyRequest): oauthService.Params {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as oauthService.Params) : {};
}

/** A request rejected before the handler: malformed body, body too large, unsupported content type. */
function isMalformedRequest(err: FastifyError): boolean {
  const status = err instanceof DomainError ? err.status : err.statusCode;
  return status === 400 || status === 413 || status === 415;
}

/** `terraform login` with login.v1 (cli-protocol.md §7): the authorization page and the token endpoint. */
export async function oauthRoutes(app: FastifyInstance): Promise<void> {
  // These routes speak HTML and RFC 6749 JSON, not JSON:API; errors they do not know (429, 500)
  // are rethrown to the application's handler.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const isToken = request.url.split('?')[0] === TOKEN_PATH;
    if (err instanceof oauthService.TokenRequestError) return sendTokenError(reply, err.code, err.message);
    if (err instanceof oauthService.AuthorizationRequestError) return sendPage(reply, 400, errorPage('Invalid login request', err.message));
    if (isMalformedRequest(err))
      return isToken ? sendTokenError(reply, 'invalid_request', err.message) : sendPage(reply, 400, errorPage('Bad request', err.message));
    throw err;
  });

  // No querystring schema: the same parser reads the form body, and answers in OAuth's error format.
  app.get<{ Querystring: oauthService.Params }>(AUTHORIZE_PATH, { config: { auth: 'none' } }, async (request, reply) => {
    const authz = oauthService.parseAuthorizationRequest(request.query);
    return sendPage(reply, 200, renderSignIn(request, authz));
  });

  app.post(AUTHORIZE_PATH, { config: { auth: 'none' } }, async (request, reply) => {
    if (isCrossSite(request)) return sendPage(reply, 403, errorPage('Forbidden', 'The sign-in form was posted from another site.'));
    const params = bodyParams(request);
    const authz = oauthService.parseAuthorizationRequest(params);
    const username = typeof params.username === 'string' ? params.username : '';
    const password = typeof params.password === 'string' ? params.password : '';
    try {
      const location = await oauthService.signIn(request.ctx, authz, username, password);
      return reply.code(302).headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).send();
    } catch (err) {
      if (!(err instanceof oauthService.SignInError)) throw err;
      return sendPage(reply, 401, renderSignIn(request, authz, { username, error: 'Invalid username or password.' }));
    }
  });

  app.post(TOKEN_PATH, { config: { auth: 'none' } }, async (request, reply) => {
    const accessToken = await oauthService.exchangeCode(request.ctx, bodyParams(request));
    return reply
      .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
      .type('application/json; charset=utf-8')
      .send({ access_token: accessToken, token_type: 'bearer' });
  });

  app.get('/app/settings/tokens', { config: { auth: 'none' } }, async (request, reply) => sendPage(reply, 200, tokensPage(request.ctx.config.hostname)));
}

function renderSignIn(request: FastifyRequest, authz: oauthService.AuthorizationRequest, extra: { username?: string; error?: string } = {}): string {
  return signInPage({
    hostname: request.ctx.config.hostname,
    hidden: {
      client_id: authz.clientId,
      response_type: 'code',
      code_challenge: authz.codeChallenge,
      code_challenge_method: 'S256',
      redirect_uri: authz.redirectUri,
      ...(authz.state === undefined ? {} : { state: authz.state }),
    },
    redirectUri: authz.redirectUri,
    ...extra,
  });
}
