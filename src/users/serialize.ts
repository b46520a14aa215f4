import { createHash } from 'node:crypto';
import { registerResourceType } from '../jsonapi/include-registry.js';
import { type ResourceObject, resource, toOne, apiPath } from '../jsonapi/document.js';
import * as userService from './service.js';

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
export function serializeUser({ user, isPrivate, permissions }: userService.UserView, options: { authenticatedResource?: boolean } = {}): ResourceObject {
  const path = apiPath('users', user.id);
  const privateAttributes = isPrivate
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
      permissions: serializePermissions(permissions),
    },
    {
      'authentication-tokens': { links: { related: `${path}/authentication-tokens` } },
      ...(options.authenticatedResource ? { 'authenticated-resource': { ...toOne('users', user.id), links: { related: path } } } : {}),
    },
    { self: path },
  );
}

export function serializeServiceUser(service: userService.ServiceUser): ResourceObject {
  const { type, id } = service.authenticatedResource;
  const related = apiPath(type, id);
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

registerResourceType<userService.UserView>('users', {
  serialize: (view) => serializeUser(view),
  load: userService.visibleViews,
});
