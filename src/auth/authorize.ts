import type { Ctx } from '../context.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import type { WorkspaceId } from '../ids.js';
import { allowedActions, preloadProjectAccess, preloadWorkspaceAccess, type Target } from './access.js';
import type { Action } from './permissions.js';
import * as authStore from './store.js';

export {
  allowedActions,
  callerTeamIds,
  forgetAccess,
  isAdminOfAnyWorkspace,
  organizationRole,
  preloadProjectAccess,
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

/** A workspace by id (as the caller gave it, checked here), or by organization and workspace name. */
export type WorkspaceScopeSelector = { id: string } | { organizationName: string; workspaceName: string };

/**
 * Loads what authorization needs of a workspace and checks `action` on it: the one load-and-authorize
 * helper for workspace-scoped resources. Unknown and not permitted are the same 404, named after
 * `description` (by default the workspace as the caller named it).
 */
export async function authorizeWorkspace(ctx: Ctx, selector: WorkspaceScopeSelector, action: Action, description?: string): Promise<authStore.WorkspaceScope> {
  const byId = 'id' in selector;
  const scope = byId
    ? await authStore.findWorkspaceScopeUnchecked(ctx.db, selector.id)
    : await authStore.findWorkspaceScopeByName(ctx.db, selector.organizationName, selector.workspaceName);
  const named = description ?? (byId ? `workspace ${selector.id}` : `workspace ${selector.organizationName}/${selector.workspaceName}`);
  if (!scope) throw new NotFoundError(`${named} not found`);
  await authorize(ctx, action, { organizationId: scope.organizationId, projectId: scope.projectId, workspaceId: scope.id, description: named });
  return scope;
}

/**
 * The items on which the caller may perform `action`, in their order; the others are left out (the
 * hidden resources of an `include=`). The grants of their projects and workspaces load together, a few
 * queries per organization, so that the checks do not query per item.
 * @example const readable = await filterPermitted(ctx, 'project:read', projects, targetOf)
 */
export async function filterPermitted<T>(ctx: Ctx, action: Action, items: readonly T[], targetOf: (item: T) => Target): Promise<T[]> {
  const targets = items.map(targetOf);
  for (const organizationId of new Set(targets.map((t) => t.organizationId))) {
    const inOrganization = targets.filter((t) => t.organizationId === organizationId);
    await preloadProjectAccess(
      ctx,
      organizationId,
      inOrganization.flatMap((t) => t.projectId ?? []),
    );
    await preloadWorkspaceAccess(
      ctx,
      organizationId,
      inOrganization.flatMap((t) => (t.workspaceId !== undefined && t.projectId !== undefined ? [{ id: t.workspaceId, projectId: t.projectId }] : [])),
    );
  }
  const permitted: T[] = [];
  for (const [index, item] of items.entries()) if (await can(ctx, action, targets[index] as Target)) permitted.push(item);
  return permitted;
}

/** The ids among `workspaceIds` on which the caller may perform `action`: authorizeWorkspace for many, in a few queries. */
export async function workspacesPermitting(ctx: Ctx, workspaceIds: readonly WorkspaceId[], action: Action): Promise<Set<WorkspaceId>> {
  const scopes = await authStore.findWorkspaceScopes(ctx.db, [...new Set(workspaceIds)]);
  const permitted = await filterPermitted(ctx, action, scopes, (s) => ({ organizationId: s.organizationId, projectId: s.projectId, workspaceId: s.id }));
  return new Set(permitted.map((s) => s.id));
}
