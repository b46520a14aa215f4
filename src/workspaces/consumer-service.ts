import { isWorkspaceId } from '../ids.js';
import type { Ctx } from '../context.js';
import { InvalidError } from '../errors.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as consumerStore from './consumer-store.js';
import * as workspaceService from './service.js';
import * as workspaceStore from './store.js';
import type { Paged } from '../db/paging.js';

/** Remote state consumers (workspaces.mdx "Get/Replace/Add/Delete Remote State Consumers"). */

/** The workspaces that may read this workspace's state; every other one of the organization with global remote state. */
export async function list(ctx: Ctx, workspaceId: string, page: Page): Promise<Paged<workspaceService.WorkspaceView>> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:read');
  const { ids, total } = await consumerStore.selectPage(ctx.db, workspace, { limit: page.size, offset: pageOffset(page) });
  const consumers = await workspaceStore.findManyById(ctx.db, workspace.organizationId, ids);
  return { items: await workspaceService.viewsOf(ctx, consumers), total };
}

export type ConsumerChange = 'add' | 'replace' | 'remove';

/**
 * Changes the consumer list. Only for workspaces without global remote state; every consumer must be
 * another workspace of the same organization.
 */
export async function change(ctx: Ctx, workspaceId: string, how: ConsumerChange, consumerIds: readonly string[]): Promise<void> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:update');
  if (workspace.globalRemoteState) {
    throw new InvalidError('remote state consumers can only be managed while global-remote-state is false', { pointer: '/data' });
  }
  const self = consumerIds.indexOf(workspace.id);
  if (self >= 0) throw new InvalidError('a workspace cannot be a remote state consumer of itself', { pointer: `/data/${self}/id` });
  const existing = await consumerStore.existingIds(ctx.db, workspace.organizationId, consumerIds.filter(isWorkspaceId));
  const unknown = consumerIds.findIndex((id) => !isWorkspaceId(id) || !existing.has(id));
  if (unknown >= 0) throw new InvalidError(`workspace ${consumerIds[unknown]} not found in this organization`, { pointer: `/data/${unknown}/id` });
  const ids = [...new Set(consumerIds.filter(isWorkspaceId))];
  if (how === 'add') await consumerStore.add(ctx.db, workspace.id, ids);
  else if (how === 'remove') await consumerStore.remove(ctx.db, workspace.id, ids);
  else await ctx.db.transaction().execute((trx) => consumerStore.replace(trx, workspace.id, ids));
}
