import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Ctx } from '../context.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { findAuthorized } from '../organizations/service.js';

/**
 * Generates the organization's token, replacing (and so revoking) any previous one in the same
 * transaction. Owners, the owners team token and the organization token may do it (organization-tokens.mdx).
 */
export async function generate(ctx: Ctx, organizationName: string, input: { expiredAt: Date | null }): Promise<{ token: tokenStore.Token; secret: string }> {
  const org = await findAuthorized(ctx, organizationName, 'organization:manage-token');
  if (input.expiredAt && input.expiredAt <= ctx.now()) throw new InvalidError('expired-at must be in the future', { pointer: '/data/attributes/expired-at' });
  const { secret, hash } = generateToken();
  // created-by names a user; a team or organization token that regenerates leaves it null.
  const createdById = ctx.subject.kind === 'user' ? ctx.subject.userId : null;
  const token = await ctx.db.transaction().execute(async (trx) => {
    await tokenStore.deleteOrganizationToken(trx, org.id);
    return tokenStore.insert(trx, { id: newId('at'), kind: 'organization', hash, organizationId: org.id, createdById, expiredAt: input.expiredAt });
  });
  return { token, secret };
}

/** The organization's current token (without its secret); 404 when there is none. */
export async function show(ctx: Ctx, organizationName: string): Promise<tokenStore.Token> {
  const org = await findAuthorized(ctx, organizationName, 'organization:manage-token');
  const token = await tokenStore.findOrganizationToken(ctx.db, org.id);
  if (!token) throw new NotFoundError(`organization ${organizationName} has no token`);
  return token;
}

/** Deletes the organization's token; it stops working at once. 404 when there is none. */
export async function destroy(ctx: Ctx, organizationName: string): Promise<void> {
  const org = await findAuthorized(ctx, organizationName, 'organization:manage-token');
  if (!(await tokenStore.deleteOrganizationToken(ctx.db, org.id))) throw new NotFoundError(`organization ${organizationName} has no token`);
}
