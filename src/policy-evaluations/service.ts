import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as taskStageService from '../task-stages/service.js';
import * as policyEvaluationStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { OutcomeFilter, PolicyEvaluation, PolicySetOutcome } from './store.js';

/**
 * Reading policy evaluations and their policy set outcomes (policy-evaluations.mdx): whoever may read
 * the run's task stages reads them; the rest get 404, as for the stage itself.
 */

/** The evaluations by id whose stages the caller may see. */
export async function visibleEvaluations(ctx: Ctx, ids: readonly string[]): Promise<policyEvaluationStore.PolicyEvaluation[]> {
  const evaluations = await policyEvaluationStore.findManyById(ctx.db, ids);
  const stages = new Set((await taskStageService.visibleStages(ctx, [...new Set(evaluations.map((e) => e.taskStageId))])).map((v) => v.stage.id));
  return evaluations.filter((e) => stages.has(e.taskStageId));
}

async function showEvaluation(ctx: Ctx, id: string): Promise<policyEvaluationStore.PolicyEvaluation> {
  const [evaluation] = await visibleEvaluations(ctx, [id]);
  if (!evaluation) throw new NotFoundError(`policy evaluation ${id} not found`);
  return evaluation;
}

export async function listOfStage(ctx: Ctx, taskStageId: string, page: Page): Promise<Paged<policyEvaluationStore.PolicyEvaluation>> {
  const { stage } = await taskStageService.showStage(ctx, taskStageId);
  return policyEvaluationStore.pageOfStage(ctx.db, stage.id, { limit: page.size, offset: pageOffset(page) });
}

export async function listOutcomes(
  ctx: Ctx,
  evaluationId: string,
  filters: readonly policyEvaluationStore.OutcomeFilter[],
  page: Page,
): Promise<Paged<policyEvaluationStore.PolicySetOutcome>> {
  const evaluation = await showEvaluation(ctx, evaluationId);
  return policyEvaluationStore.pageOutcomes(ctx.db, evaluation.id, filters, { limit: page.size, offset: pageOffset(page) });
}

export async function visibleOutcomes(ctx: Ctx, ids: readonly string[]): Promise<policyEvaluationStore.PolicySetOutcome[]> {
  const outcomes = await policyEvaluationStore.findOutcomes(ctx.db, ids);
  const evaluations = new Set((await visibleEvaluations(ctx, [...new Set(outcomes.map((o) => o.policyEvaluationId))])).map((e) => e.id));
  return outcomes.filter((o) => evaluations.has(o.policyEvaluationId));
}

export async function showOutcome(ctx: Ctx, id: string): Promise<policyEvaluationStore.PolicySetOutcome> {
  const [outcome] = await visibleOutcomes(ctx, [id]);
  if (!outcome) throw new NotFoundError(`policy set outcome ${id} not found`);
  return outcome;
}
