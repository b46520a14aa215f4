import { deleteAfterCommit } from '../blobs/delete-job.js';
import * as configurationVersionStore from '../configuration-versions/store.js';
import { type JobContext, scheduleRecurring } from '../queue/queue.js';
import * as stateVersionStore from '../state-versions/store.js';
import { contentKeys } from '../state-versions/upload-service.js';
import * as retentionStore from './store.js';

/** The recurring job that applies every data retention policy. */
export const SWEEP_JOB = 'data-retention.sweep';

/** Policies count in days: an hourly sweep deletes a version at most an hour after it expires. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const WORKSPACES_PER_QUERY = 200;

/** Runs the sweep now (a policy changed, or the server started), and hourly from then on. */
export async function scheduleSweep(ctx: Pick<JobContext, 'db' | 'now'>, delayMs = 0): Promise<void> {
  await scheduleRecurring(ctx.db, SWEEP_JOB, new Date(ctx.now().getTime() + delayMs));
}

/**
 * One workspace under a `delete-older` policy, in one transaction with the workspace locked: its
 * expired state versions are deleted (never the current one) and its expired configuration versions
 * archived (never the current one, nor one an unfinished run uses); their blobs go after the commit.
 */
async function applyPolicy(ctx: JobContext, workspace: retentionStore.DeletingWorkspace): Promise<number> {
  const { policy, cutoff } = workspace;
  const now = ctx.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await stateVersionStore.lockWorkspace(trx, workspace.id))) return 0;
    const stateVersionIds = await stateVersionStore.deleteExpired(trx, workspace.id, cutoff, policy.stateVersionsKeepLatestCount ?? 0);
    const archiveKeys: string[] = [];
    for (const version of await configurationVersionStore.expiredUploads(trx, workspace.id, cutoff, policy.configurationVersionsKeepLatestCount ?? 0)) {
      if ((await configurationVersionStore.archive(trx, version.id, now)) && version.blobKey) archiveKeys.push(version.blobKey);
    }
    await deleteAfterCommit(trx, [...contentKeys(stateVersionIds), ...archiveKeys]);
    return stateVersionIds.length + archiveKeys.length;
  });
}

/** Applies every `delete-older` policy, a page of workspaces at a time, then schedules the next sweep. */
export async function sweepRetention(ctx: JobContext): Promise<void> {
  let removed = 0;
  for (let after = ''; ; ) {
    const batch = await retentionStore.deletingWorkspaces(ctx.db, after, WORKSPACES_PER_QUERY, ctx.now());
    for (const workspace of batch) removed += await applyPolicy(ctx, workspace);
    const last = batch.at(-1);
    if (!last || batch.length < WORKSPACES_PER_QUERY) break;
    after = last.id;
  }
  if (removed > 0) ctx.log.info({ removed }, 'data retention policies removed expired state and configuration versions');
  await scheduleSweep(ctx, SWEEP_INTERVAL_MS);
}
