import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseTokenRequest, serializeToken } from '../auth/token-resource.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { listPage, PageQuery } from '../jsonapi/pagination.js';
import * as userService from './service.js';

import { serializeUser, serializeServiceUser } from './serialize.js';
import { withQuery } from '../jsonapi/query.js';
const UpdateAccountAttributes = Type.Object({ username: Type.Optional(Type.String()), email: Type.Optional(Type.String()) });

/** Underscored names, unlike every other attribute (account.mdx "Change your password"). */
const ChangePasswordAttributes = Type.Object({
  current_password: Type.Optional(Type.String()),
  password: Type.String(),
  password_confirmation: Type.String(),
});

interface UserParams {
  user_id: string;
}

export async function userRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v2/account/details', async (request, reply) => {
    const account = await userService.showAccount(request.ctx);
    const data = account.kind === 'user' ? serializeUser(account.view, { authenticatedResource: true }) : serializeServiceUser(account.serviceUser);
    return reply.send(document(data));
  });

  app.patch('/api/v2/account/update', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'users', UpdateAccountAttributes);
    const view = await userService.updateAccount(request.ctx, { username: attributes.username, email: attributes.email });
    return reply.send(document(serializeUser(view)));
  });

  app.patch('/api/v2/account/password', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'users', ChangePasswordAttributes);
    const view = await userService.changePassword(request.ctx, {
      currentPassword: attributes.current_password,
      password: attributes.password,
      passwordConfirmation: attributes.password_confirmation,
    });
    return reply.send(document(serializeUser(view)));
  });

  app.get<{ Params: UserParams }>('/api/v2/users/:user_id', async (request, reply) => {
    const view = await userService.show(request.ctx, request.params.user_id);
    return reply.send(document(serializeUser(view)));
  });

  app.get<{ Params: UserParams; Querystring: PageQuery }>('/api/v2/users/:user_id/authentication-tokens', withQuery(PageQuery), async (request, reply) => {
    const ctx = request.ctx;
    // Always paginated (default 20), like every list here: the doc's unpaginated form has no bound.
    const { items: tokens, parts } = await listPage(request, (page) => userService.listUserTokens(ctx, request.params.user_id, page));
    return reply.send(
      document(
        tokens.map((t) => serializeToken(t)),
        parts,
      ),
    );
  });

  app.post<{ Params: UserParams }>('/api/v2/users/:user_id/authentication-tokens', async (request, reply) => {
    const { token, secret } = await userService.createUserToken(request.ctx, request.params.user_id, parseTokenRequest(request.body));
    return reply.code(201).send(document(serializeToken(token, secret)));
  });
}
