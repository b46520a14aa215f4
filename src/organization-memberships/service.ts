import { authorize, can, requireUser } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { findAuthorized } from '../organizations/service.js';
import { validateEmail } from '../users/service.js';
import * as membershipStore from './store.js';

export type { Membership, MembershipStatus } from './store.js';

export interface MembershipView {
  membership: membershipStore.Membership;
  teamIds: string[];
}

async function viewsOf(ctx: Ctx, memberships: membershipStore.Membership[]): Promise<MembershipView[]> {
  const teams = await membershipStore.teamIds(ctx.db, memberships);
  return memberships.map((membership) => ({ membership, teamIds: teams.get(`${membership.organizationId}/${membership.userId}`) ?? [] }));
}

export interface InviteInput {
  email: string;
  teamIds: string[];
}

/**
 * Invites the user with this email address into the organization and the given teams
 * (organization-memberships.mdx: at least one team). Terrace sends no mail, so the address must
 * belong to an existing user. The membership starts `invited` and grants nothing until accepted.
 */
export async function invite(ctx: Ctx, organizationName: string, input: InviteInput): Promise<MembershipView> {
  const org = await findAuthorized(ctx, organizationName, 'organization:manage-membership');
  validateEmail(input.email);
  if (input.teamIds.length === 0) throw new InvalidError('invite the user into at least one team', { pointer: '/data/relationships/teams' });
  const teams = await membershipStore.existingTeamIds(ctx.db, org.id, input.teamIds);
  const unknown = input.teamIds.find((id) => !teams.includes(id));
  if (unknown) throw new InvalidError(`team ${unknown} is not a team of organization ${organizationName}`, { pointer: '/data/relationships/teams' });
  const userId = await membershipStore.findUserIdByEmail(ctx.db, input.email);
  if (!userId) throw new InvalidError(`no user has the email address ${input.email}; create the user first`, { pointer: '/data/attributes/email' });
  const id = newId('ou');
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await membershipStore.insert(trx, { id, organizationId: org.id, userId, status: 'invited' });
      await membershipStore.addToTeams(trx, userId, teams);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new InvalidError(`${input.email} is already a member of organization ${organizationName}`, { pointer: '/data/attributes/email' });
    throw err;
  }
  return show(ctx, id);
}

export interface ListMembershipsOptions {
  search?: string | undefined;
  emails?: string[] | undefined;
  status?: membershipStore.MembershipStatus | undefined;
  page: Page;
}

export async function listForOrganization(
  ctx: Ctx,
  organizationName: string,
  options: ListMembershipsOptions,
): Promise<{ views: MembershipView[]; total: number; statusCounts: { total: number; active: number; invited: number } }> {
  const org = await findAuthorized(ctx, organizationName, 'organization:read-memberships');
  const filter = { organizationId: org.id, search: options.search, emails: options.emails, status: options.status };
  const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as membershipStore.MembershipFilter;
  const [{ memberships, total }, statusCounts] = await Promise.all([
    membershipStore.selectPage(ctx.db, defined, { limit: options.page.size, offset: pageOffset(options.page) }),
    membershipStore.statusCounts(ctx.db, org.id),
  ]);
  return { views: await viewsOf(ctx, memberships), total, statusCounts };
}

/** The caller's own memberships, in every organization. */
export async function listOwn(ctx: Ctx, page: Page): Promise<{ views: MembershipView[]; total: number }> {
  const user = requireUser(ctx);
  const { memberships, total } = await membershipStore.selectPage(ctx.db, { userId: user.userId }, { limit: page.size, offset: pageOffset(page) });
  return { views: await viewsOf(ctx, memberships), total };
}

/** A membership is visible to its user and to whoever may read the organization's memberships. */
export async function show(ctx: Ctx, id: string): Promise<MembershipView> {
  const membership = await membershipStore.findById(ctx.db, id);
  const isOwn = membership && ctx.subject.kind === 'user' && ctx.subject.userId === membership.userId;
  if (!membership || !(isOwn || (await can(ctx, 'organization:read-memberships', { organizationId: membership.organizationId })))) {
    throw new NotFoundError(`organization membership ${id} not found`);
  }
  const [view] = await viewsOf(ctx, [membership]);
  return view as MembershipView;
}

/** Removes the user from the organization and its teams. Owners cannot remove themselves (403, as documented). */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const membership = await membershipStore.findById(ctx.db, id);
  if (!membership) throw new NotFoundError(`organization membership ${id} not found`);
  await authorize(ctx, 'organization:manage-membership', { organizationId: membership.organizationId, description: `organization membership ${id}` });
  if (ctx.subject.kind === 'user' && ctx.subject.userId === membership.userId) {
    throw new ForbiddenError('you cannot remove yourself from an organization you own');
  }
  await ctx.db.transaction().execute((trx) => membershipStore.deleteWithTeamSeats(trx, membership));
}
