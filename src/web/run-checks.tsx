import type { Ctx } from '../context.js';
import * as policyEvaluationService from '../policy-evaluations/service.js';
import * as taskStageService from '../task-stages/service.js';
import type { RunView } from '../runs/service.js';
import { type PageUser, StatusBadge, TableHead, PostForm } from './components.js';
import { InputField } from './form-fields.js';

/**
 * A run's task stages with their task results, and the policy evaluation of a stage with the outcome
 * of each policy: read through the task-stages and policy-evaluations services, as the API reads them.
 */

export interface StageCheck {
  view: taskStageService.TaskStageView;
  results: taskStageService.TaskResult[];
  policies: { evaluation: policyEvaluationService.PolicyEvaluation; outcomes: policyEvaluationService.PolicySetOutcome[] }[];
}

/** Policy sets listed per evaluation: more than any workspace is given in practice. */
const OUTCOMES_SHOWN = 100;

/** The run's stages in run order, each with its results and policy outcomes; a few queries whatever the count. */
export async function loadStageChecks(ctx: Ctx, view: RunView): Promise<StageCheck[]> {
  if (view.run.taskStages.length === 0) return [];
  const stages = await taskStageService.visibleStages(
    ctx,
    view.run.taskStages.map((s) => s.id),
  );
  const [results, evaluations] = await Promise.all([
    taskStageService.visibleResults(
      ctx,
      stages.flatMap((s) => s.stage.resultIds),
    ),
    policyEvaluationService.visibleEvaluations(
      ctx,
      stages.flatMap((s) => s.stage.policyEvaluationIds),
    ),
  ]);
  // A run has one evaluation at most (its post-plan stage), so this is one query.
  const outcomes = new Map<string, policyEvaluationService.PolicySetOutcome[]>();
  for (const evaluation of evaluations) {
    outcomes.set(evaluation.id, (await policyEvaluationService.listOutcomes(ctx, evaluation.id, [], { number: 1, size: OUTCOMES_SHOWN })).items);
  }
  const order = view.run.taskStages.map((s) => s.id);
  return stages
    .sort((a, b) => order.indexOf(a.stage.id) - order.indexOf(b.stage.id))
    .map((stageView) => ({
      view: stageView,
      results: stageView.stage.resultIds.flatMap((id) => results.filter((r) => r.id === id)),
      policies: evaluations
        .filter((e) => e.taskStageId === stageView.stage.id)
        .map((evaluation) => ({ evaluation, outcomes: outcomes.get(evaluation.id) ?? [] })),
    }));
}

/** Whether the page offers the override of this stage: it waits for one, the run waits with it, and the user may. */
export function canOverrideNow(check: StageCheck, view: RunView): boolean {
  return check.view.canOverride && check.view.stage.status === 'awaiting_override' && view.run.status === 'post_plan_awaiting_decision';
}

const STAGE_NAMES: Record<string, string> = { pre_plan: 'Pre-plan', post_plan: 'Post-plan', pre_apply: 'Pre-apply', post_apply: 'Post-apply' };

export function StageChecks({ user, checks, view, path }: { user: PageUser; checks: StageCheck[]; view: RunView; path: string }): JSX.Element {
  if (checks.length === 0) return '';
  return (
    <section id="run-checks" aria-labelledby="checks-heading">
      <h2 id="checks-heading">Run tasks and policies</h2>
      {checks.map((check) => (
        <section class="stage">
          <h3>
            <span safe>{`${STAGE_NAMES[check.view.stage.stage] ?? check.view.stage.stage} stage`}</span> <StatusBadge status={check.view.stage.status} />
          </h3>
          {check.results.length > 0 && (
            <table>
              <TableHead columns={['Task', 'Enforcement', 'Status', 'Message']} />
              <tbody>
                {check.results.map((result) => (
                  <tr>
                    <td safe>{result.taskName}</td>
                    <td>{result.enforcementLevel}</td>
                    <td>
                      <StatusBadge status={result.status} />
                    </td>
                    <td>
                      {result.url && /^https?:\/\//i.test(result.url) ? (
                        <a href={result.url} rel="noreferrer noopener" safe>
                          {result.message ?? 'Details'}
                        </a>
                      ) : (
                        <span safe>{result.message ?? ''}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {check.policies.map(({ evaluation, outcomes }) => (
            <div class="policy-evaluation">
              <p>
                Policy evaluation <StatusBadge status={evaluation.status} />{' '}
                <span
                  class="muted"
                  safe
                >{`${evaluation.resultCount.passed} passed, ${evaluation.resultCount['advisory-failed']} advisory failed, ${evaluation.resultCount['mandatory-failed']} mandatory failed, ${evaluation.resultCount.errored} errored`}</span>
              </p>
              <table class="policies">
                <TableHead columns={['Policy set', 'Policy', 'Enforcement', 'Result']} />
                <tbody>
                  {outcomes.flatMap((set) =>
                    (set.outcomes.length > 0 ? set.outcomes : [undefined]).map((outcome) => (
                      <tr>
                        <td safe>{set.policySetName}</td>
                        <td safe>{outcome ? outcome.policy_name : set.error || 'No policies'}</td>
                        <td>{outcome?.enforcement_level ?? ''}</td>
                        <td>{outcome ? <StatusBadge status={outcome.status} /> : ''}</td>
                      </tr>
                    )),
                  )}
                </tbody>
              </table>
            </div>
          ))}
          {canOverrideNow(check, view) && (
            <PostForm csrfToken={user.csrfToken} action={`${path}/task-stages/${encodeURIComponent(check.view.stage.id)}/override`} class="override">
              <InputField label="Reason for the override" id={`override-${check.view.stage.id}`} name="comment" />
              <button type="submit">Override and continue</button>
            </PostForm>
          )}
        </section>
      ))}
    </section>
  );
}
