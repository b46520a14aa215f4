import type { Db } from '../db/database.js';
import type { RunId, WorkspaceId } from '../ids.js';
import { enqueue } from '../queue/queue.js';
import { isFinal, nextStatus, type RunFlow, type RunStatus } from '../runs/state.js';
import { executionOfWorkspace } from '../workspaces/execution.js';
import * as workspaceStore from '../workspaces/store.js';
import type { RunTrigger } from './payloads.js';
import * as configurationStore from './store.js';

/**
 * The notifications' side of the run lifecycle, called by the runs schedule inside its transactions:
 * a run entering a status that a trigger names queues one delivery job per enabled configuration of
 * its workspace that subscribes to it. The jobs exist exactly when the status change commits; the
 * delivery (delivery-jobs.ts) happens after, off the run's path.
 */

/** Delivers one notification to one configuration's destination (delivery-jobs.ts). */
export const DELIVER_JOB = 'notification.deliver';
/** Tries of a delivery, with the queue's backoff (2, 4, 8, 16, 32 s) between them. */
export const DELIVERY_ATTEMPTS = 6;

/** What the delivery job is given: the event as it happened, the rest is read when it is sent. */
export interface DeliveryPayload {
  configurationId: string;
  runId: RunId;
  trigger: RunTrigger;
  runStatus: RunStatus;
  runUpdatedAt: string;
  actorId: string | null;
}

/**
 * The trigger a run fires on entering `to` (notification-configurations.mdx "Workspace notification
 * triggers"): created (pending), planning, needs attention (it stops for a confirmation or an
 * override), applying, completed (applied, or a plan that needs no apply), errored (errored, canceled,
 * or discarded: ended early).
 */
export function triggerFor(to: RunStatus, flow: RunFlow): RunTrigger | undefined {
  switch (to) {
    case 'pending':
      return 'run:created';
    case 'planning':
      return 'run:planning';
    case 'applying':
      return 'run:applying';
    case 'applied':
    case 'planned_and_finished':
      return 'run:completed';
    case 'errored':
    case 'canceled':
    case 'force_canceled':
    case 'discarded':
      return 'run:errored';
  }
  // A saved plan waits for whoever applies it, not for attention.
  if (isFinal(to) || to === 'planned_and_saved') return undefined;
  return nextStatus(to, flow) === null ? 'run:needs_attention' : undefined;
}

/**
 * The run entered `to`: queues the notifications its workspace subscribed to. Speculative plans and
 * workspaces in local execution mode notify nobody (notification-configurations.mdx).
 */
export async function notifyRunStatus(
  trx: Db,
  run: { id: RunId; workspaceId: WorkspaceId; planOnly: boolean },
  to: RunStatus,
  flow: RunFlow,
  change: { now: Date; actorId: string | null },
): Promise<void> {
  const trigger = triggerFor(to, flow);
  if (!trigger || run.planOnly) return;
  const ids = await configurationStore.subscribedIds(trx, run.workspaceId, trigger);
  if (ids.length === 0) return;
  const workspace = await workspaceStore.findById(trx, run.workspaceId);
  if (!workspace || executionOfWorkspace(workspace).mode === 'local') return;
  for (const configurationId of ids) {
    const payload: DeliveryPayload = {
      configurationId,
      runId: run.id,
      trigger,
      runStatus: to,
      runUpdatedAt: change.now.toISOString(),
      actorId: change.actorId,
    };
    await enqueue(trx, DELIVER_JOB, { ...payload }, { maxAttempts: DELIVERY_ATTEMPTS });
  }
}
