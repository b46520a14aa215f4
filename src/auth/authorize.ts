import type { Ctx } from '../context.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import { type Action, type OrganizationRole, roleAllows, ROLE_ACTIONS } from './permissions.js';
import * as authStore from './store.js';

/** What a permission check is about: every protected resource belongs to one organization, and maybe to a project and workspace. */
export interface Target {
  organizationId: string;
  /** Set for workspace-scoped resources (state, runs, variables): team workspace access applies. */
  workspaceId?: string;
  /** Set for project-scoped resources and workspaces: team project access applies. */
  projectId?: string;
  /** Named in the 404 message. */
  description?: string;
}

/** The caller's role in an organization, looked up once per request. */
export async function organizationRole(ctx: Ctx, organizationId: string): Promise<OrganizationRole> {
  const key = `org-role:${organizationId}`;
  const memo = ctx.memo.get(key) as OrganizationRole | undefined;
  if (memo) return memo;
  const role = await resolveRole(ctx, organizationId);
  ctx.memo.set(key, role);
  return role;
}

async function resolveRole(ctx: Ctx, organizationId: string): Promise<OrganizationRole> {
  const subject = ctx.subject;
  switch (subject.kind) {
    case 'user': {
      if (subject.isSiteAdmin) return 'site-admin';
      const standing = await authStore.userStanding(ctx.db, subject.userId, organizationId);
      return standing.isOwner ? 'owner' : standing.isMember ? 'member' : 'none';
    }
    case 'organization':
      return subject.organizationId === organizationId ? 'organization-token' : 'none';
    case 'team': {
      if (subject.organizationId !== organizationId) return 'none';
      const team = await authStore.findTeamForToken(ctx.db, subject.teamId);
      return team?.isOwners ? 'owner' : 'team';
    }
    default:
      return 'none';
  }
}

/** Whether the caller may perform `action` on `target`. */
export async function can(ctx: Ctx, action: Action, target: Target): Promise<boolean> {
  return roleAllows(await organizationRole(ctx, target.organizationId), action);
}

/** Every action the caller may perform on `target`: the source of `permissions` attributes. */
export async function allowedActions(ctx: Ctx, target: Target): Promise<ReadonlySet<Action>> {
  return new Set(ROLE_ACTIONS[await organizationRole(ctx, target.organizationId)]);
}

/**
 * Raises NotFoundError unless the caller may perform `action` on `target`: a resource the caller
 * may not act on is reported as absent (spec seeds/000 "Response Codes").
 */
export async function authorize(ctx: Ctx, action: Action, target: Target): Promise<void> {
  if (!(await can(ctx, action, target))) throw new NotFoundError(`${target.description ?? 'resource'} not found`);
}

/** The calling user, for endpoints that only user tokens may use (account, user tokens, creating organizations). */
export function requireUser(ctx: Ctx): Extract<Ctx['subject'], { kind: 'user' }> {
  if (ctx.subject.kind === 'user') return ctx.subject;
  if (ctx.subject.kind === 'anonymous') throw new UnauthorizedError('a token is required');
  // Team and organization tokens have no user: the endpoint does not exist for them.
  throw new NotFoundError('this endpoint needs a user token');
}
