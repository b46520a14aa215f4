import { allowedActions, authorize, can, forgetAccess, requireUser } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { isMailConfigured } from '../mail.js';
import { enqueue } from '../queue/queue.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { findAuthorized } from '../organizations/service.js';
import * as teamMemberService from '../teams/member-service.js';
import * as teamService from '../teams/service.js';
import { teamSeen } from '../teams/visibility.js';
import { validateEmail } from '../users/service.js';
import * as userStore from '../users/store.js';
import { INVITATION_MAIL_JOB } from './invitation-mail.js';
import * as membershipStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Membership, MembershipStatus } from './store.js';

export interface MembershipView {
  membership: membershipStore.Membership;
  /** The user's teams that the caller sees (OpenAPI: not the secret ones, unless the caller is in them). */
  teamIds: string[];
}

async function viewsOf(ctx: Ctx, memberships: membershipStore.Membership[]): Promise<MembershipView[]> {
  const seats = await membershipStore.seats(ctx.db, memberships);
  const views: MembershipView[] = [];
  for (const membership of memberships) {
    const secretOnesSeen = await teamService.secretTeamsSeen(ctx, membership.organizationId);
    const teamIds = (seats.get(`${membership.organizationId}/${membership.userId}`) ?? [])
      .filter((seat) => teamSeen({ id: seat.teamId, visibility: seat.visibility }, secretOnesSeen))
      .map((seat) => seat.teamId);
    views.push({ membership, teamIds });
  }
  return views;
}

export interface InviteInput {
  email: string;
  teamIds: string[];
}

const TEAMS_POINTER = '/data/relationships/teams';

/** A stand-in user for an email nobody has yet: a user created with it later takes it over (users/service.ts createUser). */
async function invitedUser(trx: Db, email: string): Promise<string> {
  const id = newId('user');
  await userStore.insertInvitation(trx, { id, username: `invited-${id.slice('user-'.length).toLowerCase()}`, email });
  return id;
}

/**
 * Invites the user with this email address into the organization and the given teams; an email no
 * user has yet gets a stand-in user, as HCP Terraform invites fresh emails. With an SMTP server
 * configured, the invitation mail is queued with it (invitation-mail.ts). The membership starts `invited`
 * and grants nothing until accepted (organization-memberships.mdx: "Once accepted, they become
 * members"). The page says every user must join at least one team, but go-tfe and the tfe
 * provider's tfe_organization_membership invite with an email alone, so teams are optional.
 */
export async function invite(ctx: Ctx, organizationName: string, input: InviteInput): Promise<MembershipView> {
  const org = await findAuthorized(ctx, organizationName, 'organization:manage-membership');
  validateEmail(input.email);
  const requested = [...new Set(input.teamIds)];
  // Seats only in teams whose membership the caller may change: never the owners team for a membership manager.
  const manageable = await teamService.manageableIds(ctx, org.id, requested, 'team:manage-membership');
  const id = newId('ou');
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const userId = (await membershipStore.findUserIdByEmail(trx, input.email)) ?? (await invitedUser(trx, input.email));
      const teams = await membershipStore.existingTeamIds(trx, org.id, requested);
      const unknown = requested.find((teamId) => !teams.includes(teamId) || !manageable.includes(teamId));
      if (unknown) throw new InvalidError(`team ${unknown} is not a team of organization ${organizationName}`, { pointer: TEAMS_POINTER });
      await membershipStore.insert(trx, { id, organizationId: org.id, userId, status: 'invited' });
      await membershipStore.addToTeams(trx, userId, teams);
      if (isMailConfigured(ctx.config)) await enqueue(trx, INVITATION_MAIL_JOB, { membershipId: id });
    });
  } catch (err) {
    if (isUniqueViolation(err, 'organization_memberships_org_user_key')) {
      throw new InvalidError(`${input.email} is already a member of organization ${organizationName}`, { pointer: '/data/attributes/email' });
    }
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

/** The organization's memberships: for owners and Manage Membership (permissions.mdx "Manage Membership": "view the list of users"). */
export async function listForOrganization(
  ctx: Ctx,
  organizationName: string,
  options: ListMembershipsOptions,
): Promise<Paged<MembershipView> & { statusCounts: { total: number; active: number; invited: number } }> {
  const org = await findAuthorized(ctx, organizationName, 'organization:read-memberships');
  const filter = { organizationId: org.id, search: options.search, emails: options.emails, status: options.status };
  const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as membershipStore.MembershipFilter;
  const [{ memberships, total }, statusCounts] = await Promise.all([
    membershipStore.selectPage(ctx.db, defined, { limit: options.page.size, offset: pageOffset(options.page) }),
    membershipStore.statusCounts(ctx.db, org.id),
  ]);
  return { items: await viewsOf(ctx, memberships), total, statusCounts };
}

export interface ListTeamMembershipsOptions {
  /** Terrace has no `inactive` memberships: asking for them finds none. */
  status?: membershipStore.MembershipStatus | 'inactive' | undefined;
  isServiceAccount?: boolean | undefined;
  order: membershipStore.MembershipOrder;
  page: Page;
}

/**
 * The memberships of a team's members, invited or active (OpenAPI `listTeamOrganizationMemberships`),
 * for whoever sees the team and may read its organization's memberships.
 */
export async function listForTeam(ctx: Ctx, teamId: string, options: ListTeamMembershipsOptions): Promise<Paged<MembershipView>> {
  const { team } = await teamService.show(ctx, teamId);
  await authorize(ctx, 'organization:read-memberships', { organizationId: team.organizationId, description: `team ${teamId}` });
  if (options.status === 'inactive') return { items: [], total: 0 };
  const filter: membershipStore.MembershipFilter = { organizationId: team.organizationId, teamId: team.id };
  if (options.status !== undefined) filter.status = options.status;
  if (options.isServiceAccount !== undefined) filter.isServiceAccount = options.isServiceAccount;
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { memberships, total } = await membershipStore.selectPage(ctx.db, filter, window, options.order);
  return { items: await viewsOf(ctx, memberships), total };
}

/** The caller's own memberships, invited or active, in every organization. */
export async function listOwn(ctx: Ctx, page: Page): Promise<Paged<MembershipView>> {
  const user = requireUser(ctx);
  const { memberships, total } = await membershipStore.selectPage(ctx.db, { userId: user.userId }, { limit: page.size, offset: pageOffset(page) });
  return { items: await viewsOf(ctx, memberships), total };
}

async function isVisible(ctx: Ctx, membership: membershipStore.Membership): Promise<boolean> {
  const isOwn = ctx.subject.kind === 'user' && ctx.subject.userId === membership.userId;
  return isOwn || can(ctx, 'organization:read-memberships', { organizationId: membership.organizationId });
}

/** A membership is visible to its user and to whoever may read the organization's memberships. */
export async function show(ctx: Ctx, id: string): Promise<MembershipView> {
  const membership = await membershipStore.findById(ctx.db, id);
  if (!membership || !(await isVisible(ctx, membership))) throw new NotFoundError(`organization membership ${id} not found`);
  const [view] = await viewsOf(ctx, [membership]);
  return view as MembershipView;
}

/** Memberships by id that the caller sees (for `include=organization-memberships`); the others are left out. */
export async function visibleViews(ctx: Ctx, ids: readonly string[]): Promise<MembershipView[]> {
  const memberships = await membershipStore.findManyById(ctx.db, ids);
  const visible: membershipStore.Membership[] = [];
  for (const membership of memberships) if (await isVisible(ctx, membership)) visible.push(membership);
  return viewsOf(ctx, visible);
}

/** The teams the memberships name (already filtered to the caller's view), for `include=teams`. */
export async function teamsOf(ctx: Ctx, views: readonly MembershipView[]): Promise<teamService.TeamView[]> {
  const byOrganization = new Map<string, Set<string>>();
  for (const view of views) {
    const ids = byOrganization.get(view.membership.organizationId) ?? new Set<string>();
    for (const id of view.teamIds) ids.add(id);
    byOrganization.set(view.membership.organizationId, ids);
  }
  const teams: teamService.TeamView[] = [];
  for (const [organizationId, ids] of byOrganization) teams.push(...(await teamService.visibleViews(ctx, organizationId, [...ids])));
  return teams;
}

/**
 * Removes the user from the organization and its teams. The caller must see every team the user is
 * in (permissions.mdx "Manage Membership"), and only owners remove an owner. An owner cannot remove
 * themselves (403, organization-memberships.mdx "Remove User from Organization"), and nobody can
 * remove the last owner.
 */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const membership = await membershipStore.findById(ctx.db, id);
  const description = `organization membership ${id}`;
  if (!membership) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'organization:manage-membership', { organizationId: membership.organizationId, description });
  const seats = (await membershipStore.seats(ctx.db, [membership])).get(`${membership.organizationId}/${membership.userId}`) ?? [];
  const visible = (await viewsOf(ctx, [membership]))[0]?.teamIds ?? [];
  const isOwner = seats.some((seat) => seat.isOwners);
  const allowed = await allowedActions(ctx, { organizationId: membership.organizationId });
  if (seats.some((seat) => !visible.includes(seat.teamId)) || (isOwner && !allowed.has('team:manage-owners'))) {
    throw new NotFoundError(`${description} not found`);
  }
  if (isOwner && ctx.subject.kind === 'user' && ctx.subject.userId === membership.userId) {
    throw new ForbiddenError('you cannot remove yourself from an organization you own');
  }
  await ctx.db.transaction().execute(async (trx) => {
    if (isOwner) await teamMemberService.assertOwnersRemain({ ...ctx, db: trx }, membership.organizationId, [membership.userId]);
    await membershipStore.deleteWithTeamSeats(trx, membership);
  });
  forgetAccess(ctx);
}

/** The invitations waiting for `userId`'s answer (the invitations page, after the user signed in). */
export async function pendingInvitations(ctx: Pick<Ctx, 'db'>, userId: string): Promise<membershipStore.Membership[]> {
  return membershipStore.invitationsOf(ctx.db, userId);
}

/**
 * The invited user's answer: accepting makes the membership active (the user then has the access of
 * the teams they were invited into); declining removes it and those team seats. Only the invitee
 * answers, once: any other membership is not found.
 */
export async function answerInvitation(ctx: Ctx, userId: string, membershipId: string, accept: boolean): Promise<membershipStore.Membership> {
  const membership = await ctx.db.transaction().execute(async (trx) => {
    const invitation = await membershipStore.findInvitationForUpdate(trx, membershipId, userId);
    if (!invitation) throw new NotFoundError(`invitation ${membershipId} not found`);
    if (accept) await membershipStore.activate(trx, invitation.id);
    else await membershipStore.deleteWithTeamSeats(trx, invitation);
    return invitation;
  });
  forgetAccess(ctx);
  return membership;
}
