import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import { accountPageRoutes } from './account-routes.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import { SignInError } from '../oauth/service.js';
import { ErrorPage } from './components.js';
import { orgPageRoutes } from './org-routes.js';
import { pageRoutes } from './page-routes.js';
import { runPath, workspacePath } from './paths.js';
import { runPageRoutes } from './run-routes.js';
import { workspaceAccessRoutes } from './workspace-access-routes.js';
import { workspaceSettingsRoutes } from './workspace-settings-routes.js';
import { formField, pageUser, readCookie, registerSessions, SESSION_COOKIE, SIGN_IN_COOKIE, setCookie } from './session-hook.js';
import * as sessionService from './session-service.js';
import { SignInPage } from './sign-in-page.js';
import { seeOther, sendPage } from './send.js';

/** How long a sign-in form may wait for its post. */
const SIGN_IN_FORM_SECONDS = 3600;

/** Only a path of this app: never another site (an open redirect) or a scheme-relative `//host`. */
function safeNext(next: string | undefined): string {
  return next?.startsWith('/app') && !next.startsWith('//') ? next : '/app';
}

function forbidden(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const message = 'This form has expired or came from another site. Reload the page and try again.';
  return sendPage(reply, 403, <ErrorPage title="Forbidden" message={message} user={pageUser(request)} />);
}

/** Errors the pages show as pages: a hidden or unknown resource is a 404 page, as the API answers 404. */
function pageError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = err instanceof DomainError ? err.status : (err.statusCode ?? 500);
  if (status >= 500) throw err;
  const [title, message] = status === 404 ? ['Not found', 'This page does not exist, or you may not see it.'] : ['Not possible', err.message];
  return sendPage(reply, status, <ErrorPage title={title} message={message} user={pageUser(request)} />);
}

/**
 * The web UI (issue 21): server-rendered pages under /app, signed in with a session cookie. Every page
 * calls the same services as the API, as the session's user.
 */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  registerSessions(app, forbidden);
  app.setErrorHandler(pageError);

  app.get('/', async (_request, reply) => reply.redirect('/app'));

  app.get<{ Querystring: { next?: string } }>('/app/sign-in', withQuery(querySchema({ next: QueryText })), async (request, reply) => {
    const next = safeNext(request.query.next);
    if (request.webSession) return seeOther(reply, next);
    const csrfToken = sessionService.randomSecret();
    setCookie(reply, SIGN_IN_COOKIE, csrfToken, SIGN_IN_FORM_SECONDS);
    return sendPage(reply, 200, <SignInPage next={next} csrfToken={csrfToken} />);
  });

  app.post('/app/sign-in', async (request, reply) => {
    const next = safeNext(formField(request, 'next'));
    const username = formField(request, 'username') ?? '';
    try {
      const { secret, expiresAt } = await sessionService.signIn(request.ctx, username, formField(request, 'password') ?? '');
      setCookie(reply, SESSION_COOKIE, secret, (expiresAt.getTime() - request.ctx.now().getTime()) / 1000);
      setCookie(reply, SIGN_IN_COOKIE, '', 0);
      return seeOther(reply, next);
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      const csrfToken = readCookie(request, SIGN_IN_COOKIE) ?? '';
      return sendPage(reply, 401, <SignInPage next={next} csrfToken={csrfToken} username={username} error="Invalid username or password." />);
    }
  });

  app.post('/app/sign-out', async (request, reply) => {
    if (request.webSession) await sessionService.signOut(request.ctx, request.webSession);
    setCookie(reply, SESSION_COOKIE, '', 0);
    return seeOther(reply, '/app/sign-in');
  });

  // The addresses other parts of Terrace print without the `workspaces` segment: the CLI's "To view this
  // run in a browser" (cli-protocol.md §6), notifications' and run tasks' workspace links.
  app.get<{ Params: { org: string; workspace: string; runId: string } }>('/app/:org/:workspace/runs/:runId', async (request, reply) =>
    reply.redirect(runPath(request.params.org, request.params.workspace, request.params.runId)),
  );
  app.get<{ Params: { org: string; workspace: string } }>('/app/:org/:workspace', async (request, reply) =>
    reply.redirect(workspacePath(request.params.org, request.params.workspace)),
  );

  await app.register(pageRoutes);
  await app.register(runPageRoutes);
  await app.register(workspaceSettingsRoutes);
  await app.register(workspaceAccessRoutes);
  await app.register(orgPageRoutes);
  await app.register(accountPageRoutes);
}
