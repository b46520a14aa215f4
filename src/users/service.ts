import { requireUser } from '../auth/authorize.js';
import { generateToken, hashPassword, verifyPassword } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationStore from '../organizations/store.js';
import { SITE_ADMIN_USERNAME } from './bootstrap.js';
import * as webSessionStore from '../web/session-store.js';
import * as userStore from './store.js';
import type { Paged } from '../db/paging.js';

/** Usernames: letters, digits, `-`, `_` and `.`, as TFE accepts them. */
const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$|^[^\s@]+@localhost$/;
export const MIN_PASSWORD_LENGTH = 10;

export function validateUsername(username: string, pointer = '/data/attributes/username'): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw new InvalidError('username must be 1-63 letters, digits, ".", "-" or "_", starting with a letter or digit', { pointer });
  }
}

export function validateEmail(email: string, pointer = '/data/attributes/email'): void {
  if (!EMAIL_PATTERN.test(email)) throw new InvalidError('email is not a valid address', { pointer });
}

export function validatePassword(password: string, pointer = '/data/attributes/password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new InvalidError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`, { pointer });
}

export interface CreateUserInput {
  username: string;
  email: string;
  password?: string | undefined;
  isSiteAdmin?: boolean;
}

/** Creates a user account, or completes the stand-in of an invited email. Only site admins create users (there is no self sign-up). */
export async function createUser(ctx: Ctx, input: CreateUserInput): Promise<userStore.User> {
  const caller = requireUser(ctx);
  if (!caller.isSiteAdmin) throw new NotFoundError('not found');
  validateUsername(input.username);
  validateEmail(input.email);
  if (input.password !== undefined) validatePassword(input.password);
  if (await userStore.findByUsername(ctx.db, input.username))
    throw new ConflictError(`username ${input.username} is already taken`, { pointer: '/data/attributes/username' });
  const user = {
    username: input.username,
    email: input.email,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    isSiteAdmin: input.isSiteAdmin ?? false,
  };
  try {
    // An invitation to this email waits as a stand-in user: the new user takes it over, and with it the invitations.
    return (await userStore.claimInvitation(ctx.db, user)) ?? (await userStore.insert(ctx.db, { id: newId('user'), ...user }));
  } catch (err) {
    if (isUniqueViolation(err, 'users_email_key')) throw new ConflictError(`email ${input.email} is already taken`, { pointer: '/data/attributes/email' });
    throw err;
  }
}

/** Every user, for the site admin (`terrace user list`). */
export async function listUsers(ctx: Ctx): Promise<userStore.User[]> {
  if (!requireUser(ctx).isSiteAdmin) throw new NotFoundError('not found');
  return userStore.listAll(ctx.db);
}

/** Sets or resets a user's password, as the site admin (`terrace user password`): for a first sign-in, or a forgotten one. */
export async function setPassword(ctx: Ctx, username: string, password: string): Promise<userStore.User> {
  if (!requireUser(ctx).isSiteAdmin) throw new NotFoundError('not found');
  const user = await userStore.findByUsername(ctx.db, username);
  if (!user) throw new NotFoundError(`no user named ${username}`);
  validatePassword(password, '/password');
  await storePassword(ctx, user.id, password);
  return user;
}

/** A new password, and the end of every web session signed in with the old one (a stolen session dies with it). */
async function storePassword(ctx: Ctx, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await ctx.db.transaction().execute(async (trx) => {
    await userStore.updatePasswordHash(trx, userId, hash);
    await webSessionStore.deleteAllForUser(trx, userId);
  });
}

/** What a user may do with their own account: the `permissions` attribute. */
export interface AccountPermissions {
  canCreateOrganizations: boolean;
  canChangeEmail: boolean;
  canChangeUsername: boolean;
  canChangePassword: boolean;
  canManageUserTokens: boolean;
  canViewProfile: boolean;
}

const NO_PERMISSIONS: AccountPermissions = {
  canCreateOrganizations: false,
  canChangeEmail: false,
  canChangeUsername: false,
  canChangePassword: false,
  canManageUserTokens: false,
  canViewProfile: false,
};

/** A user as the caller sees them. */
export interface UserView {
  user: userStore.User;
  /** Email and account flags are shown to the user themselves and to site admins only (account.mdx). */
  isPrivate: boolean;
  permissions: AccountPermissions;
}

/** The site admin `admin` keeps its name: TERRACE_ADMIN_TOKEN and the first-start setup find it by that name. */
function canChangeUsername(user: userStore.User): boolean {
  return user.username !== SITE_ADMIN_USERNAME;
}

function viewOf(ctx: Ctx, user: userStore.User): UserView {
  const subject = ctx.subject;
  return {
    user,
    isPrivate: subject.kind === 'user' && (subject.userId === user.id || subject.isSiteAdmin),
    permissions: user.isServiceAccount
      ? NO_PERMISSIONS
      : {
          canCreateOrganizations: true,
          canChangeEmail: true,
          canChangeUsername: canChangeUsername(user),
          canChangePassword: true,
          canManageUserTokens: true,
          canViewProfile: true,
        },
  };
}

/**
 * Team and organization tokens act as a synthetic "service user" on account details, with
 * `authenticated-resource` naming the team or organization (account.mdx).
 */
export interface ServiceUser {
  id: string;
  username: string;
  authenticatedResource: { type: 'teams' | 'organizations'; id: string };
  permissions: AccountPermissions;
}

export type Account = { kind: 'user'; view: UserView } | { kind: 'service'; serviceUser: ServiceUser };

/** The caller's own account: what `terraform login` reads to name the token's user (cli-protocol.md §7). */
export async function showAccount(ctx: Ctx): Promise<Account> {
  const subject = ctx.subject;
  if (subject.kind === 'team') {
    return {
      kind: 'service',
      serviceUser: {
        id: `user-svc-${subject.teamId}`,
        username: `api-team-${subject.teamId}`,
        authenticatedResource: { type: 'teams', id: subject.teamId },
        permissions: NO_PERMISSIONS,
      },
    };
  }
  if (subject.kind === 'organization') {
    const org = await organizationStore.findById(ctx.db, subject.organizationId);
    if (!org) throw new NotFoundError('account not found');
    return {
      kind: 'service',
      serviceUser: {
        id: `user-svc-${org.id}`,
        username: `api-org-${org.name}`,
        authenticatedResource: { type: 'organizations', id: org.name },
        permissions: NO_PERMISSIONS,
      },
    };
  }
  return { kind: 'user', view: viewOf(ctx, await currentUser(ctx)) };
}

/** The user behind a user token; team and organization tokens may not manage an account (api-tokens.mdx). */
async function currentUser(ctx: Ctx): Promise<userStore.User> {
  const caller = requireUser(ctx);
  const user = await userStore.findById(ctx.db, caller.userId);
  if (!user) throw new NotFoundError('account not found');
  return user;
}

export interface UpdateAccountInput {
  username?: string | undefined;
  email?: string | undefined;
}

/** Changes the caller's username or email. There is no mail delivery, so a new email takes effect at once. */
export async function updateAccount(ctx: Ctx, input: UpdateAccountInput): Promise<UserView> {
  const user = await currentUser(ctx);
  const username = input.username === user.username ? undefined : input.username;
  if (username !== undefined) {
    if (!canChangeUsername(user))
      throw new InvalidError(`the site admin "${SITE_ADMIN_USERNAME}" cannot change its username`, { pointer: '/data/attributes/username' });
    validateUsername(username);
  }
  if (input.email !== undefined) validateEmail(input.email);
  let updated: userStore.User | undefined;
  try {
    updated = await userStore.update(ctx.db, user.id, { username, email: input.email });
  } catch (err) {
    // account.mdx lists 422, not 409, for a rejected update.
    if (isUniqueViolation(err, 'users_username_key'))
      throw new InvalidError(`username ${username} has already been taken`, { pointer: '/data/attributes/username' });
    if (isUniqueViolation(err, 'users_email_key')) throw new InvalidError(`email ${input.email} has already been taken`, { pointer: '/data/attributes/email' });
    throw err;
  }
  if (!updated) throw new NotFoundError('account not found');
  return viewOf(ctx, updated);
}

export interface ChangePasswordInput {
  currentPassword?: string | undefined;
  password: string;
  passwordConfirmation: string;
}

/**
 * Sets a new password after checking the current one. An account without a password (the
 * first-start admin) sets its first one without: the token it calls with already grants as much.
 */
export async function changePassword(ctx: Ctx, input: ChangePasswordInput): Promise<UserView> {
  const user = await currentUser(ctx);
  const stored = await userStore.findPasswordHash(ctx.db, user.id);
  if (stored !== null && !(await verifyPassword(input.currentPassword ?? '', stored))) {
    throw new InvalidError('current_password is incorrect', { pointer: '/data/attributes/current_password' });
  }
  validatePassword(input.password);
  if (input.password !== input.passwordConfirmation) {
    throw new InvalidError('password_confirmation does not match password', { pointer: '/data/attributes/password_confirmation' });
  }
  await storePassword(ctx, user.id, input.password);
  return viewOf(ctx, { ...user, hasPassword: true });
}

/**
 * Whom the caller may see: themselves, anyone for a site admin, a fellow member of an organization;
 * a team or organization token, the members of its organization; nobody for other callers.
 */
function visibilityOf(subject: Ctx['subject']): userStore.UserVisibility | undefined {
  switch (subject.kind) {
    case 'user':
      return subject.isSiteAdmin ? { all: true } : { viewerId: subject.userId };
    case 'team':
    case 'organization':
      return { organizationId: subject.organizationId };
    default:
      return undefined;
  }
}

/** Users by id that the caller may see, in one query; the others are left out. */
async function findVisibleMany(ctx: Ctx, ids: readonly string[]): Promise<userStore.User[]> {
  const visibility = visibilityOf(ctx.subject);
  return visibility ? userStore.findVisibleByIds(ctx.db, ids, visibility) : [];
}

async function findVisible(ctx: Ctx, userId: string): Promise<userStore.User> {
  const [user] = await findVisibleMany(ctx, [userId]);
  if (!user) throw new NotFoundError(`user ${userId} not found`);
  return user;
}

/** Views of the users by id that the caller may see, for `include=`, in one query; the others are left out. */
export async function visibleViews(ctx: Ctx, ids: readonly string[]): Promise<UserView[]> {
  return (await findVisibleMany(ctx, ids)).map((user) => viewOf(ctx, user));
}

export async function show(ctx: Ctx, userId: string): Promise<UserView> {
  return viewOf(ctx, await findVisible(ctx, userId));
}

/** Users manage their own tokens; site admins anyone's. */
function managesTokensOf(caller: ReturnType<typeof requireUser>, userId: string): boolean {
  return caller.userId === userId || caller.isSiteAdmin;
}

/** A user's tokens. Another visible user's list is empty rather than an error (user-tokens.mdx "List User Tokens"). */
export async function listUserTokens(ctx: Ctx, userId: string, page: Page): Promise<Paged<tokenStore.Token>> {
  const caller = requireUser(ctx);
  const user = await findVisible(ctx, userId);
  if (!managesTokensOf(caller, user.id)) return { items: [], total: 0 };
  return tokenStore.listByUser(ctx.db, user.id, page.size, pageOffset(page));
}

export interface CreateUserTokenInput {
  description?: string | null;
  expiredAt?: Date | null;
}

/** Creates a user token for `userId` (the caller, or anyone for a site admin); the secret is returned once. */
export async function createUserToken(ctx: Ctx, userId: string, input: CreateUserTokenInput): Promise<{ token: tokenStore.Token; secret: string }> {
  const caller = requireUser(ctx);
  if (!managesTokensOf(caller, userId)) throw new NotFoundError(`user ${userId} not found`);
  if (!(await userStore.findById(ctx.db, userId))) throw new NotFoundError(`user ${userId} not found`);
  if (input.expiredAt && input.expiredAt <= ctx.now()) throw new InvalidError('expired-at must be in the future', { pointer: '/data/attributes/expired-at' });
  const { secret, hash } = generateToken();
  const token = await tokenStore.insert(ctx.db, {
    id: newId('at'),
    kind: 'user',
    hash,
    userId,
    description: input.description ?? null,
    createdById: caller.userId,
    expiredAt: input.expiredAt ?? null,
  });
  return { token, secret };
}

/** A user token the caller manages; any other token, of a user or of a team or organization, is a 404. */
export async function showUserToken(ctx: Ctx, id: string): Promise<tokenStore.Token> {
  const caller = requireUser(ctx);
  const token = await tokenStore.findById(ctx.db, id);
  if (token?.kind !== 'user' || !token.userId || !managesTokensOf(caller, token.userId)) throw new NotFoundError(`authentication token ${id} not found`);
  return token;
}

export async function deleteUserToken(ctx: Ctx, id: string): Promise<void> {
  const token = await showUserToken(ctx, id);
  if (!(await tokenStore.deleteById(ctx.db, token.id))) throw new NotFoundError(`authentication token ${id} not found`);
}
