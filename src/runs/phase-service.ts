import { authorize } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import { isRunId } from '../ids.js';
import * as phaseStore from './phase-store.js';
import { shownRead, targetOf } from './service.js';
import * as runStore from './store.js';

/**
 * Plans and applies: readable with their run (plans.mdx, applies.mdx "Show"; 404 when missing or
 * hidden). Only reads call these (shows, and the downloads' URLs), so they answer from the cache of
 * shown runs.
 */

/** A phase by its id, or by its run's id as the caller gave it (checked here). */
export type PhaseRequest = { id: string } | { runId: string };

/** The store's selector for a request; undefined when its run id cannot be one (no such phase). */
export function selectorOf(by: PhaseRequest): phaseStore.PhaseSelector | undefined {
  return 'id' in by ? by : isRunId(by.runId) ? { runId: by.runId } : undefined;
}

async function authorizedPhase<P extends phaseStore.Phase>(
  ctx: Ctx,
  by: PhaseRequest,
  find: (by: phaseStore.PhaseSelector) => Promise<P | undefined>,
  name: string,
): Promise<P> {
  const description = 'id' in by ? `${name} ${by.id}` : `${name} of run ${by.runId}`;
  const selector = selectorOf(by);
  const found = selector && await shownRead(`${name}:${'id' in by ? `id:${by.id}` : `run:${by.runId}`}`, async () => {
    const phase = await find(selector);
    const run = phase && (await runStore.findById(ctx.db, phase.runId));
    return phase && run ? { phase, run } : undefined;
  });
  if (!found) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-runs', { ...targetOf(found.run), description });
  return found.phase;
}

export function showPlan(ctx: Ctx, by: PhaseRequest): Promise<phaseStore.Plan> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findPlan(ctx.db, selector), 'plan');
}

export function showApply(ctx: Ctx, by: PhaseRequest): Promise<phaseStore.Apply> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findApply(ctx.db, selector), 'apply');
}
