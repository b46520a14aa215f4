import { authorize } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as resourceStore from './resource-store.js';
import { workspaceTarget } from '../auth/workspace-target.js';
import type { Paged } from '../db/paging.js';

export type { WorkspaceResource } from './resource-store.js';

/**
 * The workspace's managed resources from its current state (workspace-resources.mdx), filled by the
 * state's background parse. Anyone who may read the workspace sees them, as on its overview page:
 * addresses and providers, no attribute values.
 */
export async function list(ctx: Ctx, workspaceId: string, page: Page): Promise<Paged<resourceStore.WorkspaceResource>> {
  await authorize(ctx, 'workspace:read', await workspaceTarget(ctx, workspaceId, `workspace ${workspaceId}`));
  return resourceStore.selectPage(ctx.db, workspaceId, { limit: page.size, offset: pageOffset(page) });
}
