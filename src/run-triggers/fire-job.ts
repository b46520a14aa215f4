import type { JobContext } from '../queue/queue.js';
import type { RunId } from '../ids.js';
import { inRunTransaction } from '../runs/schedule.js';
import * as runCreation from '../runs/create.js';
import * as runStore from '../runs/store.js';
import * as workspaceStore from '../workspaces/store.js';
import * as runTriggerStore from './store.js';

/**
 * Queues a run in every destination of the applied run's workspace (run-triggers.mdx), each in its
 * own transaction. A destination already in the chain of triggers that led to this run is skipped:
 * one apply never comes back to a workspace it came through, so a cycle of triggers cannot loop.
 */
export async function fireRunTriggers(ctx: JobContext, payload: { runId: RunId }): Promise<void> {
  const chain = await runStore.triggerChain(ctx.db, payload.runId);
  const source = chain[0];
  const workspace = source && (await workspaceStore.findById(ctx.db, source.workspaceId));
  if (!source || !workspace) return;
  const visited = new Set(chain.map((run) => run.workspaceId));
  for (const destinationId of await runTriggerStore.destinationsOf(ctx.db, workspace.id)) {
    if (visited.has(destinationId)) {
      ctx.log.info({ run: source.id, workspace: destinationId }, 'run trigger skipped: the workspace is already in this chain of triggers');
      continue;
    }
    await inRunTransaction(ctx, (trx) => runCreation.queueForTrigger(trx, destinationId, { runId: source.id, workspaceName: workspace.name }, ctx.now()));
  }
}
