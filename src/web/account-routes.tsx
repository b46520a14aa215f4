import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/authorize.js';
import { NotFoundError } from '../errors.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import * as userService from '../users/service.js';
import { PasswordPage, ProfilePage, UserTokensPage } from './account-pages.js';
import { expiryDate, submitForm } from './forms.js';
import { pageNumber } from './page-routes.js';
import { accountPath } from './paths.js';
import { formField, requireSignIn, SESSION_COOKIE, setCookie, userOf } from './session-hook.js';
import { seeOther, sendPage } from './send.js';

/** Tokens per page, as the API's default page size. */
const PAGE_SIZE = 20;
const PageQuery = querySchema({ page: QueryText });

type Page = { status?: number; error?: string; newSecret?: string };

/** The user's own profile, password and user tokens, through the account service as the API's /account and /users/:id/authentication-tokens. */
export async function accountPageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);

  const showProfile = async (request: FastifyRequest, reply: FastifyReply, page: Page = {}) => {
    const account = await userService.showAccount(request.ctx);
    if (account.kind !== 'user') throw new NotFoundError('account not found');
    return sendPage(reply, page.status ?? 200, <ProfilePage user={userOf(request)} view={account.view} error={page.error} />);
  };
  app.get(accountPath('profile'), (request, reply) => showProfile(request, reply));
  app.post(accountPath('profile'), (request, reply) =>
    submitForm(
      async () => {
        await userService.updateAccount(request.ctx, { username: formField(request, 'username')?.trim(), email: formField(request, 'email')?.trim() });
        return seeOther(reply, accountPath('profile'));
      },
      (status, error) => showProfile(request, reply, { status, error }),
    ),
  );

  const showPassword = (request: FastifyRequest, reply: FastifyReply, page: Page = {}) =>
    sendPage(reply, page.status ?? 200, <PasswordPage user={userOf(request)} error={page.error} />);
  app.get(accountPath('password'), (request, reply) => showPassword(request, reply));
  app.post(accountPath('password'), (request, reply) =>
    submitForm(
      async () => {
        await userService.changePassword(request.ctx, {
          currentPassword: formField(request, 'current-password') ?? '',
          password: formField(request, 'password') ?? '',
          passwordConfirmation: formField(request, 'password-confirmation') ?? '',
        });
        // The new password ended every web session, this one too (users/service.ts storePassword).
        setCookie(reply, SESSION_COOKIE, '', 0);
        return seeOther(reply, '/app/sign-in');
      },
      (status, error) => showPassword(request, reply, { status, error }),
    ),
  );

  const showTokens = async (request: FastifyRequest, reply: FastifyReply, number: number, page: Page = {}) => {
    const { items: tokens, total } = await userService.listUserTokens(request.ctx, requireUser(request.ctx).userId, { number, size: PAGE_SIZE });
    const list = { items: tokens, page: number, size: PAGE_SIZE, total };
    return sendPage(reply, page.status ?? 200, <UserTokensPage user={userOf(request)} list={list} newSecret={page.newSecret} error={page.error} />);
  };
  app.get<{ Querystring: { page?: string } }>(accountPath('tokens'), withQuery(PageQuery), (request, reply) =>
    showTokens(request, reply, pageNumber(request.query.page)),
  );
  app.post(accountPath('tokens'), (request, reply) =>
    submitForm(
      async () => {
        const description = formField(request, 'description')?.trim() || null;
        const input = { description, expiredAt: expiryDate(formField(request, 'expires-on')) };
        const { secret } = await userService.createUserToken(request.ctx, requireUser(request.ctx).userId, input);
        return showTokens(request, reply, 1, { newSecret: secret });
      },
      (status, error) => showTokens(request, reply, 1, { status, error }),
    ),
  );
  app.post<{ Params: { tokenId: string } }>(`${accountPath('tokens')}/:tokenId/revoke`, async (request, reply) => {
    const token = await userService.showUserToken(request.ctx, request.params.tokenId);
    // Only the caller's own tokens here: a site admin revokes another user's through the API.
    if (token.userId !== requireUser(request.ctx).userId) throw new NotFoundError(`authentication token ${token.id} not found`);
    await userService.deleteUserToken(request.ctx, token.id);
    return seeOther(reply, accountPath('tokens'));
  });
}
