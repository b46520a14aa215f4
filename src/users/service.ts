import { requireUser } from '../auth/authorize.js';
import { generateToken, hashPassword } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx } from '../context.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as userStore from './store.js';

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

/** Creates a user account. Only site admins create users (there is no self sign-up). */
export async function createUser(ctx: Ctx, input: CreateUserInput): Promise<userStore.User> {
  const caller = requireUser(ctx);
  if (!caller.isSiteAdmin) throw new NotFoundError('not found');
  validateUsername(input.username);
  validateEmail(input.email);
  if (input.password !== undefined) validatePassword(input.password);
  if (await userStore.findByUsername(ctx.db, input.username)) throw new ConflictError(`username ${input.username} is already taken`, { pointer: '/data/attributes/username' });
  return userStore.insert(ctx.db, {
    id: newId('user'),
    username: input.username,
    email: input.email,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    isSiteAdmin: input.isSiteAdmin ?? false,
  });
}

export interface CreateUserTokenInput {
  description?: string | null;
  expiredAt?: Date | null;
}

/** Creates a user token for `userId` (the caller, or anyone for a site admin); the secret is returned once. */
export async function createUserToken(ctx: Ctx, userId: string, input: CreateUserTokenInput): Promise<{ token: tokenStore.Token; secret: string }> {
  const caller = requireUser(ctx);
  if (caller.userId !== userId && !caller.isSiteAdmin) throw new NotFoundError('user not found');
  if (!(await userStore.findById(ctx.db, userId))) throw new NotFoundError('user not found');
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
