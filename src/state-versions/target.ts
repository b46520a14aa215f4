import type { Target } from '../auth/authorize.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { WorkspaceId } from '../ids.js';

/** A target with the workspace's id as checked by finding it. */
export type WorkspaceTarget = Target & { workspaceId: WorkspaceId };

/** The authorization target of a workspace's state (organization, project, workspace). */
export function targetOf(scope: authStore.WorkspaceScope, description: string): WorkspaceTarget {
  return { organizationId: scope.organizationId, workspaceId: scope.id, projectId: scope.projectId, description };
}

/** The target of a workspace by id; 404 naming `description` when the workspace is unknown. */
export async function workspaceTarget(ctx: Ctx, workspaceId: string, description: string): Promise<WorkspaceTarget> {
  const scope = await authStore.findWorkspaceScopeUnchecked(ctx.db, workspaceId);
  if (!scope) throw new NotFoundError(`${description} not found`);
  return targetOf(scope, description);
}
