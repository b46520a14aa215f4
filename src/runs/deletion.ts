import type { Ctx } from '../context.js';
import { newId, type RunId, type WorkspaceId } from '../ids.js';
import * as eventStore from './event-store.js';
import { changeStatus, inRunTransaction, lockRun } from './schedule.js';
import { hasProcess, isFinal, RUN_STATUS_GROUPS, RUN_TRANSITIONS } from './state.js';
import * as runStore from './store.js';

/**
 * Longest a deletion waits for runners to stop the runs it cancels. A runner sees the request within a
 * second and gives terraform 10 s after an interrupt before killing it (runner/terraform-process.ts);
 * past this the deletion goes on.
 */
const STOP_WAIT_MS = 20_000;
const POLL_MS = 200;

/**
 * Before a workspace or an organization is deleted: its runs that only wait are canceled, so no runner
 * claims them meanwhile, and the runners working on the others are asked to stop, as the cancel action
 * does; then it waits until those have ended. Deleted under a working runner, a run would leave the
 * runner writing log chunks and statuses for rows that are gone (foreign key violations, runner errors)
 * and its terraform running on. A run whose lease expired has no runner left and is not waited for.
 */
export async function cancelForDeletion(ctx: Ctx, scope: { workspaceId: WorkspaceId } | { organizationId: string }): Promise<void> {
  const ids = await runStore.findUnfinishedIds(ctx.db, scope, RUN_STATUS_GROUPS.final);
  const working: RunId[] = [];
  for (const id of ids) {
    const isWorking = await inRunTransaction(ctx, async (trx) => {
      const run = await lockRun(trx, id);
      const now = ctx.now();
      if (isFinal(run.status)) return false;
      const description = `Canceled: its ${'workspaceId' in scope ? 'workspace' : 'organization'} is being deleted`;
      if (!hasProcess(run.status)) {
        if (RUN_TRANSITIONS[run.status].includes('canceled')) await changeStatus(trx, run, 'canceled', { now, description });
        return false;
      }
      if (run.cancelRequestedAt === null) {
        await runStore.update(trx, run.id, { cancelRequestedAt: now });
        await eventStore.insert(trx, { id: newId('re'), runId: run.id, action: 'cancel_requested', description, actorId: null, createdAt: now });
      }
      return run.runnerLeaseUntil !== null && run.runnerLeaseUntil > now;
    });
    if (isWorking) working.push(id);
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  while (working.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const runs = await runStore.findManyById(ctx.db, working);
    working.splice(0, working.length, ...runs.filter((run) => !isFinal(run.status)).map((run) => run.id));
  }
}
