import { authorize } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import * as phaseStore from './phase-store.js';
import { shownRead, targetOf } from './service.js';
import * as runStore from './store.js';

/**
 * Plans and applies: readable with their run (plans.mdx, applies.mdx "Show"; 404 when missing or
 * hidden). Only reads call these (shows, and the downloads' URLs), so they answer from the cache of
 * shown runs.
 */

async function authorizedPhase<P extends phaseStore.Phase>(
  ctx: Ctx,
  by: phaseStore.PhaseSelector,
  find: (by: phaseStore.PhaseSelector) => Promise<P | undefined>,
  name: string,
): Promise<P> {
  const description = 'id' in by ? `${name} ${by.id}` : `${name} of run ${by.runId}`;
  const found = await shownRead(`${name}:${'id' in by ? `id:${by.id}` : `run:${by.runId}`}`, async () => {
    const phase = await find(by);
    const run = phase && (await runStore.findById(ctx.db, phase.runId));
    return phase && run ? { phase, run } : undefined;
  });
  if (!found) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-runs', { ...targetOf(found.run), description });
  return found.phase;
}

export function showPlan(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<phaseStore.Plan> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findPlan(ctx.db, selector), 'plan');
}

export function showApply(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<phaseStore.Apply> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findApply(ctx.db, selector), 'apply');
}
