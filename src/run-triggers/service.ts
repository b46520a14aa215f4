import { authorizeWorkspace, can } from '../auth/authorize.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as runTriggerStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Direction, RunTrigger } from './store.js';

/**
 * Run triggers (run-triggers.mdx): a workspace's admins connect it to up to 20 source workspaces of
 * the same organization whose runs they may read; each successful apply there queues a run here.
 */

/** "You can connect each workspace to up to 20 source workspaces." */
export const MAX_SOURCES = 20;

const SOURCEABLE = '/data/relationships/sourceable';

/** May the caller read runs of the workspace? */
async function readsRuns(ctx: Ctx, workspaceId: string): Promise<boolean> {
  const scope = await authStore.findWorkspaceScopeUnchecked(ctx.db, workspaceId);
  return scope !== undefined && can(ctx, 'workspace:read-runs', { organizationId: scope.organizationId, projectId: scope.projectId, workspaceId: scope.id });
}

/** Creates a trigger: admin on the workspace, read runs on the source (404 otherwise), same organization, not itself. */
export async function create(ctx: Ctx, workspaceId: string, sourceableId: string | undefined): Promise<runTriggerStore.RunTrigger> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:update');
  if (sourceableId === undefined) throw new InvalidError('sourceable is required: a workspace of the organization', { pointer: SOURCEABLE });
  const source = await authStore.findWorkspaceScopeUnchecked(ctx.db, sourceableId);
  if (!source || source.organizationId !== workspace.organizationId || !(await readsRuns(ctx, source.id))) {
    throw new NotFoundError(`workspace ${sourceableId} not found`);
  }
  if (source.id === workspace.id) throw new InvalidError('a workspace cannot be its own source', { pointer: SOURCEABLE });
  if ((await runTriggerStore.countInbound(ctx.db, workspace.id)) >= MAX_SOURCES) {
    throw new InvalidError(`a workspace can have at most ${MAX_SOURCES} source workspaces`, { pointer: SOURCEABLE });
  }
  const id = newId('rt');
  try {
    await runTriggerStore.insert(ctx.db, { id, workspaceId: workspace.id, sourceableId: source.id, createdAt: ctx.now() });
  } catch (err) {
    if (isUniqueViolation(err, runTriggerStore.PAIR_CONSTRAINT)) throw new InvalidError('the workspace already has this source', { pointer: SOURCEABLE });
    throw err;
  }
  return show(ctx, id);
}

/** The workspace's inbound or outbound triggers; needs read runs on it. */
export async function list(ctx: Ctx, workspaceId: string, direction: runTriggerStore.Direction, page: Page): Promise<Paged<runTriggerStore.RunTrigger>> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:read-runs');
  return runTriggerStore.page(ctx.db, workspace.id, direction, { limit: page.size, offset: pageOffset(page) });
}

/** The triggers of `ids` the caller may see: read runs on the workspace or the source. */
export async function visible(ctx: Ctx, ids: readonly string[]): Promise<runTriggerStore.RunTrigger[]> {
  const visibleTriggers: runTriggerStore.RunTrigger[] = [];
  for (const trigger of await runTriggerStore.findManyById(ctx.db, ids)) {
    if ((await readsRuns(ctx, trigger.workspaceId)) || (await readsRuns(ctx, trigger.sourceableId))) visibleTriggers.push(trigger);
  }
  return visibleTriggers;
}

export async function show(ctx: Ctx, id: string): Promise<runTriggerStore.RunTrigger> {
  const [trigger] = await visible(ctx, [id]);
  if (!trigger) throw new NotFoundError(`run trigger ${id} not found`);
  return trigger;
}

/** Deletes a trigger: admin on its workspace. */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const trigger = await show(ctx, id);
  await authorizeWorkspace(ctx, { id: trigger.workspaceId }, 'workspace:update', `run trigger ${id}`);
  await runTriggerStore.deleteById(ctx.db, trigger.id);
}
