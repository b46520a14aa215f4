import { forgetAccess } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { BadRequestError, ForbiddenError } from '../errors.js';
import * as memberStore from './member-store.js';
import * as teamService from './service.js';

/** Adding and removing team members (team-members.mdx), by username or by organization membership id. */

export type MemberReference = 'users' | 'organization-memberships';

/** Statuses per the OpenAPI description of these endpoints: a bad item is a 400 naming it. */
function badItem(index: number, message: string): BadRequestError {
  return new BadRequestError(message, { pointer: `/data/${index}/id` });
}

async function candidates(ctx: Ctx, organizationId: string, kind: MemberReference, refs: readonly string[]): Promise<memberStore.Candidate[]> {
  const found = kind === 'users' ? await memberStore.findUsers(ctx.db, organizationId, refs) : await memberStore.findMemberships(ctx.db, organizationId, refs);
  refs.forEach((ref, index) => {
    const candidate = found.find((c) => c.ref === ref);
    const what = kind === 'users' ? `user ${ref}` : `organization membership ${ref}`;
    if (!candidate) throw badItem(index, `${what} not found`);
    // By username the user must have accepted the invitation; by membership id an invitation is enough (team-members.mdx).
    if (candidate.membershipStatus === null || (kind === 'users' && candidate.membershipStatus !== 'active')) {
      throw badItem(index, `${what} is not a member of the organization; invite them and let them accept first`);
    }
  });
  return found;
}

/** Gives the users seats in the team. Someone already in it is a 400 (OpenAPI addTeamMembers). */
export async function add(ctx: Ctx, teamId: string, kind: MemberReference, refs: readonly string[]): Promise<void> {
  const team = await teamService.findManageable(ctx, teamId, 'team:manage-membership');
  const found = await candidates(ctx, team.organizationId, kind, refs);
  await ctx.db.transaction().execute(async (trx) => {
    const seated = await memberStore.seatedUserIds(
      trx,
      team.id,
      found.map((c) => c.userId),
    );
    const taken = found.findIndex((c) => seated.includes(c.userId));
    if (taken >= 0) throw badItem(taken, `${found[taken]?.ref} is already a member of team ${team.name}`);
    await memberStore.addSeats(trx, team.id, [...new Set(found.map((c) => c.userId))]);
  });
  forgetAccess(ctx);
}

/**
 * Refuses a change that would leave the organization without an owner: it could never be managed
 * again (OpenAPI removeTeamMembers: 403 "attempting to remove the last owner"). Call it inside the
 * transaction that removes them: it locks the owners team until the end of it.
 */
export async function assertOwnersRemain(ctx: Ctx, organizationId: string, removedUserIds: readonly string[]): Promise<void> {
  const owners = await memberStore.lockOwnerIds(ctx.db, organizationId);
  if (owners.length > 0 && owners.every((id) => removedUserIds.includes(id))) {
    throw new ForbiddenError('the owners team must keep at least one member: this would remove the last owner of the organization');
  }
}

/** Takes the users' seats in the team away; someone not in it is a 400. */
export async function remove(ctx: Ctx, teamId: string, kind: MemberReference, refs: readonly string[]): Promise<void> {
  const team = await teamService.findManageable(ctx, teamId, 'team:manage-membership');
  const found = await candidates(ctx, team.organizationId, kind, refs);
  const userIds = [...new Set(found.map((c) => c.userId))];
  await ctx.db.transaction().execute(async (trx) => {
    const seated = await memberStore.seatedUserIds(trx, team.id, userIds);
    const missing = found.findIndex((c) => !seated.includes(c.userId));
    if (missing >= 0) throw badItem(missing, `${found[missing]?.ref} is not a member of team ${team.name}`);
    if (team.isOwners) await assertOwnersRemain({ ...ctx, db: trx }, team.organizationId, userIds);
    await memberStore.removeSeats(trx, team.id, userIds);
  });
  forgetAccess(ctx);
}
