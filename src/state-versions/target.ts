import type { Target } from '../auth/authorize.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';

/** The authorization target of a workspace's state (organization, project, workspace). */
export function targetOf(scope: authStore.WorkspaceScope, description: string): Target {
  return { organizationId: scope.organizationId, workspaceId: scope.id, projectId: scope.projectId, description };
}

/** The target of a workspace by id; 404 naming `description` when the workspace is unknown. */
export async function workspaceTarget(ctx: Ctx, workspaceId: string, description: string): Promise<Target> {
  const scope = await authStore.findWorkspaceScope(ctx.db, workspaceId);
  if (!scope) throw new NotFoundError(`${description} not found`);
  return targetOf(scope, description);
}
