import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseTokenRequest, serializeToken } from '../auth/token-resource.js';
import { parseResourceBody } from '../jsonapi/body.js';
import { document, type ResourceObject, resource, toOne } from '../jsonapi/document.js';
import { paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import type { Query } from '../jsonapi/query.js';
import * as userService from './service.js';

const UpdateAccountAttributes = Type.Object({ username: Type.Optional(Type.String()), email: Type.Optional(Type.String()) });

/** Underscored names, unlike every other attribute (account.mdx "Change your password"). */
const ChangePasswordAttributes = Type.Object({
  current_password: Type.Optional(Type.String()),
  password: Type.String(),
  password_confirmation: Type.String(),
});

function userPath(id: string): string {
  return `/api/v2/users/${encodeURIComponent(id)}`;
}

/** Gravatar, as TFE does; `d=mm` shows a silhouette for addresses without one. */
function avatarUrl(email: string): string {
  const digest = createHash('md5').update(email.trim().toLowerCase()).digest('hex');
  return `https://www.gravatar.com/avatar/${digest}?s=100&d=mm`;
}

function serializePermissions(p: userService.AccountPermissions): Record<string, boolean> {
  return {
    'can-create-organizations': p.canCreateOrganizations,
    'can-change-email': p.canChangeEmail,
    'can-change-username': p.canChangeUsername,
    'can-change-password': p.canChangePassword,
    'can-manage-user-tokens': p.canManageUserTokens,
    'can-view-profile': p.canViewProfile,
    // Neither sessions, SSO identities nor TFE's site-admin settings area exist in Terrace.
    'can-manage-sessions': false,
    'can-manage-sso-identities': false,
    'can-view-settings': false,
  };
}

/** A user; email and account flags only when `view.isPrivate` (account.mdx). */
export function serializeUser(view: userService.UserView, options: { authenticatedResource?: boolean } = {}): ResourceObject {
  const { user } = view;
  const path = userPath(user.id);
  const privateAttributes = view.isPrivate
    ? {
        email: user.email,
        // Email changes apply at once: there is no confirmation mail.
        'unconfirmed-email': null,
        'is-site-admin': user.isSiteAdmin,
        'is-admin': user.isSiteAdmin,
        'is-sso-login': false,
        'is-sudo': false,
        'is-confirmed': true,
        'is-unified': false,
        'has-linked-hcp': false,
        'has-git-hub-app-token': false,
        'enterprise-support': false,
        'two-factor': { enabled: false, verified: false },
      }
    : {};
  return resource(
    'users',
    user.id,
    {
      username: user.username,
      'is-service-account': user.isServiceAccount,
      'auth-method': 'tfc',
      'avatar-url': avatarUrl(user.email),
      'v2-only': false,
      ...privateAttributes,
      permissions: serializePermissions(view.permissions),
    },
    {
      'authentication-tokens': { links: { related: `${path}/authentication-tokens` } },
      ...(options.authenticatedResource ? { 'authenticated-resource': { ...toOne('users', user.id), links: { related: path } } } : {}),
    },
    { self: path },
  );
}

function serializeServiceUser(service: userService.ServiceUser): ResourceObject {
  const { type, id } = service.authenticatedResource;
  const related = type === 'teams' ? `/api/v2/teams/${encodeURIComponent(id)}` : `/api/v2/organizations/${encodeURIComponent(id)}`;
  return resource(
    'users',
    service.id,
    {
      username: service.username,
      'is-service-account': true,
      'auth-method': 'tfc',
      'avatar-url': null,
      'v2-only': true,
      'is-site-admin': false,
      'is-admin': false,
      'is-sso-login': false,
      'is-sudo': false,
      email: null,
      'unconfirmed-email': null,
      'two-factor': { enabled: false, verified: false },
      permissions: serializePermissions(service.permissions),
    },
    { 'authenticated-resource': { ...toOne(type, id), links: { related } } },
    { self: '/api/v2/account/details' },
  );
}

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

  app.get<{ Params: UserParams }>('/api/v2/users/:user_id/authentication-tokens', async (request, reply) => {
    const ctx = request.ctx;
    // Always paginated (default 20), like every list here: the doc's unpaginated form has no bound.
    const page = parsePage(request.query as Query);
    const { tokens, total } = await userService.listUserTokens(ctx, request.params.user_id, page);
    const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), page, total);
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
