import { authorize } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import * as phaseStore from './phase-store.js';
import { targetOf } from './service.js';
import * as runStore from './store.js';

/** Plans and applies: readable with their run (plans.mdx, applies.mdx "Show"; 404 when missing or hidden). */

async function authorizedPhase<P extends phaseStore.Phase>(
  ctx: Ctx,
  by: phaseStore.PhaseSelector,
  find: (by: phaseStore.PhaseSelector) => Promise<P | undefined>,
  name: string,
): Promise<P> {
  const description = 'id' in by ? `${name} ${by.id}` : `${name} of run ${by.runId}`;
  const phase = await find(by);
  const run = phase && (await runStore.findById(ctx.db, phase.runId));
  if (!phase || !run) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-runs', { ...targetOf(run), description });
  return phase;
}

export function showPlan(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<phaseStore.Plan> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findPlan(ctx.db, selector), 'plan');
}

export function showApply(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<phaseStore.Apply> {
  return authorizedPhase(ctx, by, (selector) => phaseStore.findApply(ctx.db, selector), 'apply');
}
