import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { WorkspaceId } from '../ids.js';
import type { Target } from './access.js';
import * as authStore from './store.js';

/** A target with the workspace's id as checked by finding it. */
export type WorkspaceTarget = Target & { workspaceId: WorkspaceId };

/** The authorization target of a workspace, or of what belongs to it: its organization, project and itself. */
export function workspaceTargetOf(
  workspace: { id: WorkspaceId; organizationId: string; projectId: string },
  description = `workspace ${workspace.id}`,
): WorkspaceTarget {
  return { organizationId: workspace.organizationId, projectId: workspace.projectId, workspaceId: workspace.id, description };
}

/** The target of a workspace by id; 404 naming `description` when the workspace is unknown. */
export async function workspaceTarget(ctx: Ctx, workspaceId: string, description: string): Promise<WorkspaceTarget> {
  const scope = await authStore.findWorkspaceScopeUnchecked(ctx.db, workspaceId);
  if (!scope) throw new NotFoundError(`${description} not found`);
  return workspaceTargetOf(scope, description);
}
