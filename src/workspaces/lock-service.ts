import type { Ctx } from '../context.js';
import type { WorkspaceId } from '../ids.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { inRunTransaction, scheduleWorkspace } from '../runs/schedule.js';
import * as stateVersionLocks from '../state-versions/lock-rules.js';
import * as workspaceService from './service.js';
import * as workspaceStore from './store.js';

/** Locks (workspaces.mdx "Lock a workspace", cli-protocol.md §5.3). Every answer is the workspace document. */

/** The lock holder the caller becomes: a user, the team of a team token, or the run of a run's token. */
export function holderOf(ctx: Ctx): workspaceStore.LockHolder {
  const subject = ctx.subject;
  if (subject.kind === 'user') return { kind: 'users', id: subject.userId };
  if (subject.kind === 'team') return { kind: 'teams', id: subject.teamId };
  if (subject.kind === 'run') return { kind: 'runs', id: subject.runId };
  // Organization tokens cannot lock (api-tokens.mdx); authorization already refused them.
  throw new NotFoundError('only users and teams can lock workspaces');
}

const HOLDER_NAMES: Record<workspaceStore.LockHolder['kind'], string> = { users: 'User', teams: 'Team', runs: 'Run' };

/** "… is locked by User user-…": the CLI maps the text after "is locked by" to its message (cli-protocol.md §9). */
function lockedByOther(workspace: workspaceStore.Workspace, holder: workspaceStore.LockHolder): ConflictError {
  return new ConflictError(`workspace ${workspace.name} is locked by ${HOLDER_NAMES[holder.kind]} ${holder.id}`);
}

function alreadyUnlocked(workspace: workspaceStore.Workspace): ConflictError {
  return new ConflictError(`workspace ${workspace.name} is already unlocked`);
}

/** The caller is a run's terraform and its run holds the workspace: lock and unlock leave the run's lock as it is. */
function isRunsOwnLock(workspace: workspaceStore.Workspace, holder: workspaceStore.LockHolder): boolean {
  return holder.kind === 'runs' && workspace.lockedBy?.kind === 'runs' && workspace.lockedBy.id === holder.id;
}

export async function lock(ctx: Ctx, workspaceId: string, reason: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:lock');
  const holder = holderOf(ctx);
  // A run's terraform locks around its state operations (cli-protocol.md §4.4); its run took the lock
  // when it left the queue and keeps it until it ends. A run never takes a lock any other way.
  if (isRunsOwnLock(workspace, holder)) return workspaceService.reload(ctx, workspace.id);
  if (holder.kind === 'runs') throw new ConflictError(`workspace ${workspace.name} is not locked by run ${holder.id}`);
  // The conditional UPDATE decides between two concurrent lockers; the loser gets the 409.
  if (!(await workspaceStore.lock(ctx.db, workspace.id, holder, reason))) {
    throw new ConflictError(`workspace ${workspace.name} is already locked`);
  }
  return workspaceService.reload(ctx, workspace.id);
}

/** Releases the lock (`holder`'s only, when given) and lets the workspace's next queued run in, in one transaction. */
async function release(ctx: Ctx, workspaceId: WorkspaceId, holder?: workspaceStore.LockHolder): Promise<boolean> {
  return inRunTransaction(ctx, async (trx) => {
    const released = await workspaceStore.unlock(trx, workspaceId, holder);
    if (released) await scheduleWorkspace(trx, workspaceId, ctx.now());
    return released;
  });
}

/** Only the holder unlocks; anyone else gets a 409 naming the holder and must force-unlock. */
export async function unlock(ctx: Ctx, workspaceId: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:unlock');
  const current = workspace.lockedBy;
  if (!current) throw alreadyUnlocked(workspace);
  const holder = holderOf(ctx);
  if (current.kind !== holder.kind || current.id !== holder.id) throw lockedByOther(workspace, current);
  if (isRunsOwnLock(workspace, holder)) return workspaceService.reload(ctx, workspace.id);
  await stateVersionLocks.assertNoPendingUpload(ctx.db, workspace.id);
  if (!(await release(ctx, workspace.id, holder))) throw alreadyUnlocked(workspace);
  return workspaceService.reload(ctx, workspace.id);
}

/** Releases anyone's lock; needs the admin-level action. */
export async function forceUnlock(ctx: Ctx, workspaceId: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:force-unlock');
  if (!(await release(ctx, workspace.id))) throw alreadyUnlocked(workspace);
  await stateVersionLocks.discardPendingUploads(ctx.db, workspace.id);
  return workspaceService.reload(ctx, workspace.id);
}
