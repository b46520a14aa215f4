import type { Ctx } from '../context.js';
import { ConflictError, NotFoundError } from '../errors.js';
import * as workspaceService from './service.js';
import * as workspaceStore from './store.js';

/** Locks (workspaces.mdx "Lock a workspace", cli-protocol.md §5.3). Every answer is the workspace document. */

/** The lock holder the caller becomes: a user, or the team of a team token. */
function holderOf(ctx: Ctx): workspaceStore.LockHolder {
  const subject = ctx.subject;
  if (subject.kind === 'user') return { kind: 'users', id: subject.userId };
  if (subject.kind === 'team') return { kind: 'teams', id: subject.teamId };
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

export async function lock(ctx: Ctx, workspaceId: string, reason: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:lock');
  // The conditional UPDATE decides between two concurrent lockers; the loser gets the 409.
  if (!(await workspaceStore.lock(ctx.db, workspace.id, holderOf(ctx), reason))) {
    throw new ConflictError(`workspace ${workspace.name} is already locked`);
  }
  return workspaceService.reload(ctx, workspace.id);
}

/** Only the holder unlocks; anyone else gets a 409 naming the holder and must force-unlock. */
export async function unlock(ctx: Ctx, workspaceId: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:unlock');
  const current = workspace.lockedBy;
  if (!current) throw alreadyUnlocked(workspace);
  const holder = holderOf(ctx);
  if (current.kind !== holder.kind || current.id !== holder.id) throw lockedByOther(workspace, current);
  if (!(await workspaceStore.unlock(ctx.db, workspace.id, holder))) throw alreadyUnlocked(workspace);
  return workspaceService.reload(ctx, workspace.id);
}

/** Releases anyone's lock; needs the admin-level action. */
export async function forceUnlock(ctx: Ctx, workspaceId: string): Promise<workspaceService.WorkspaceView> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:force-unlock');
  if (!(await workspaceStore.unlock(ctx.db, workspace.id))) throw alreadyUnlocked(workspace);
  return workspaceService.reload(ctx, workspace.id);
}
