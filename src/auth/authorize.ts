import type { Ctx } from '../context.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import { allowedActions, type Target } from './access.js';
import type { Action } from './permissions.js';

export {
  allowedActions,
  callerTeamIds,
  forgetAccess,
  organizationRole,
  preloadWorkspaceAccess,
  projectsAllowing,
  type Target,
  teamVisibility,
  workspaceReadScope,
} from './access.js';

/**
 * Whether the caller may perform `action` on `target`. Pass the target's `projectId` and
 * `workspaceId` where the resource has them: team project and workspace access apply only then.
 * @example await can(ctx, 'workspace:lock', { organizationId: ws.organizationId, projectId: ws.projectId, workspaceId: ws.id })
 */
export async function can(ctx: Ctx, action: Action, target: Target): Promise<boolean> {
  return (await allowedActions(ctx, target)).has(action);
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
