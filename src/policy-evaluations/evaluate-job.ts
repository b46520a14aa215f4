import { buffer } from 'node:stream/consumers';
import { getBlob } from '../blobs/sealed-blobs.js';
import { newId } from '../ids.js';
import * as organizationStore from '../organizations/store.js';
import { parametersForEvaluation } from '../policy-set-parameters/service.js';
import * as policySetStore from '../policy-sets/store.js';
import * as projectStore from '../projects/store.js';
import type { JobContext } from '../queue/queue.js';
import { evaluateInWorker, type WorkerLimits } from '../rego/worker.js';
import * as phaseStore from '../runs/phase-store.js';
import { inRunTransaction, lockRun } from '../runs/schedule.js';
import type { Run } from '../runs/store.js';
import * as runStore from '../runs/store.js';
import { decideStage } from '../task-stages/service.js';
import * as userStore from '../users/store.js';
import { effectiveVariables } from '../variable-sets/effective-service.js';
import * as workspaceStore from '../workspaces/store.js';
import * as policyEvaluationStore from './store.js';

/**
 * Evaluates a run's post-plan policy evaluation (policy-evaluations.mdx): every policy of every set that
 * applies to the workspace, against the documented input (opa.mdx "OPA input": `input.plan`, the JSON
 * plan with sensitive values redacted, and `input.run` with its project, organization and workspace
 * namespaces), each query in a worker with time, step and memory limits. The work happens outside any
 * transaction; the outcomes, the evaluation's status and the stage's decision are written in one.
 */

/** Policies are user code: these bound one query, with the configured time limit (docs/design.md "Policies"). */
const POLICY_LIMITS = { maxMemoryMb: 256, maxSteps: 50_000_000 };

/** The run namespace of opa.mdx "Terraform run data". */
async function runDocument(ctx: JobContext, run: Run): Promise<Record<string, unknown>> {
  const workspace = await workspaceStore.findById(ctx.db, run.workspaceId);
  if (!workspace) throw new Error(`workspace ${run.workspaceId} of run ${run.id} is gone`);
  const [project, organization, creator, variables] = await Promise.all([
    projectStore.findById(ctx.db, workspace.projectId),
    organizationStore.findById(ctx.db, workspace.organizationId),
    run.createdById ? userStore.findById(ctx.db, run.createdById) : undefined,
    effectiveVariables(ctx, workspace.id),
  ]);
  return {
    id: run.id,
    created_at: run.createdAt.toISOString(),
    created_by: creator?.username ?? '',
    message: run.message,
    commit_sha: null,
    is_destroy: run.isDestroy,
    refresh: run.refresh,
    refresh_only: run.refreshOnly,
    ...(run.replaceAddrs?.length ? { replace_addrs: run.replaceAddrs } : {}),
    speculative: run.planOnly,
    ...(run.targetAddrs?.length ? { target_addrs: run.targetAddrs } : {}),
    project: { id: workspace.projectId, name: project?.name ?? '' },
    // Names, categories and sensitivity only: never a value.
    variables: Object.fromEntries(variables.map((v) => [v.key, { category: v.category === 'env' ? 'environment' : 'input', sensitive: v.sensitive }])),
    organization: { name: organization?.name ?? workspace.organizationName },
    workspace: {
      id: workspace.id,
      name: workspace.name,
      created_at: workspace.createdAt.toISOString(),
      description: workspace.description,
      execution_mode: workspace.executionMode ?? workspace.organizationSettings['default-execution-mode'] ?? 'remote',
      auto_apply: workspace.autoApply,
      tags: workspace.tagNames,
      working_directory: workspace.workingDirectory,
      vcs_repo: null,
    },
  };
}

/** What a query returned, as opa.mdx reads it: an empty array (or set, or nothing) passes; the elements are the deny messages. */
function violations(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  if (typeof value === 'object') return Object.keys(value).length === 0 ? [] : [JSON.stringify(value)];
  return value === true ? [] : [String(value)];
}

type SetOutcome = Omit<policyEvaluationStore.PolicySetOutcome, 'policyEvaluationId' | 'createdAt'>;

async function evaluateSet(
  applicable: Awaited<ReturnType<typeof policySetStore.applicableTo>>[number],
  input: unknown,
  parameters: Record<string, string>,
  limits: WorkerLimits,
): Promise<SetOutcome> {
  const modules = Object.entries(applicable.modules).map(([name, source]) => ({ name, source }));
  const count = { ...policyEvaluationStore.NO_RESULTS };
  const outcomes: policyEvaluationStore.StoredPolicyOutcome[] = [];
  for (const policy of applicable.policies) {
    // The set's parameters are base documents under data.parameters (docs/design.md "Policies").
    const evaluated = await evaluateInWorker(modules, policy.query, { input, data: { parameters } }, limits);
    const base = { enforcement_level: policy.enforcementLevel, query: policy.query, policy_name: policy.name };
    if ('errors' in evaluated) {
      count.errored += 1;
      outcomes.push({ ...base, status: 'errored', description: evaluated.errors.map((e) => e.message).join('; ') });
      continue;
    }
    // A query that is undefined for this input has no rows: nothing was denied.
    const messages = violations(evaluated.result[0]?.expressions[0]);
    if (messages.length === 0) {
      count.passed += 1;
      outcomes.push({ ...base, status: 'passed', description: policy.description ?? '' });
    } else {
      count[policy.enforcementLevel === 'mandatory' ? 'mandatory-failed' : 'advisory-failed'] += 1;
      // The CLI prints an outcome's description under the policy: the deny messages go there, after the policy's own description.
      outcomes.push({ ...base, status: 'failed', description: [policy.description, ...messages].filter(Boolean).join('\n') });
    }
  }
  return {
    id: newId('psout'),
    policySetName: applicable.set.name,
    policySetDescription: applicable.set.description,
    overridable: applicable.set.overridable,
    error: '',
    outcomes,
    resultCount: count,
  };
}

function total(outcomes: readonly SetOutcome[]): policyEvaluationStore.StoredResultCount {
  const sum = { ...policyEvaluationStore.NO_RESULTS };
  for (const o of outcomes) for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += o.resultCount[key];
  return sum;
}

export async function evaluatePolicies(ctx: JobContext, payload: { policyEvaluationId: string }): Promise<void> {
  const evaluation = await policyEvaluationStore.findById(ctx.db, payload.policyEvaluationId);
  if (evaluation?.status !== 'queued') return;
  const run = await runStore.findById(ctx.db, evaluation.runId);
  if (!run) return;
  await ctx.db.transaction().execute((trx) => policyEvaluationStore.setStatus(trx, evaluation, 'running', ctx.now()));
  const running = { ...evaluation, statusTimestamps: { ...evaluation.statusTimestamps, 'running-at': ctx.now().toISOString() } };
  const plan = await phaseStore.findPlan(ctx.db, { runId: run.id });
  const planJson = plan?.redactedJsonBlobKey ? await getBlob(ctx.blobs, ctx.config, plan.redactedJsonBlobKey) : undefined;
  let outcomes: SetOutcome[];
  let status: policyEvaluationStore.EvaluationStatus;
  if (!planJson) {
    // A plan without its JSON (an agent that did not upload it) cannot be checked: that fails closed (task-stages/service.ts).
    status = 'errored';
    outcomes = [];
  } else {
    const input = { plan: JSON.parse((await buffer(planJson)).toString('utf8')), run: await runDocument(ctx, run) };
    outcomes = [];
    const sets = await policySetStore.applicableTo(ctx.db, run.workspaceId);
    const parameters = await parametersForEvaluation(
      ctx,
      sets.map((s) => s.set.id),
    );
    const limits = { ...POLICY_LIMITS, timeoutMs: ctx.config.policyEvaluationTimeoutMs };
    for (const applicable of sets) outcomes.push(await evaluateSet(applicable, input, parameters.get(applicable.set.id) ?? {}, limits));
    const counts = total(outcomes);
    status = counts['mandatory-failed'] > 0 || counts.errored > 0 ? 'failed' : 'passed';
  }
  await inRunTransaction(ctx, async (trx) => {
    const locked = await lockRun(trx, run.id);
    const current = await policyEvaluationStore.findByStageForUpdate(trx, evaluation.taskStageId);
    // The run ended meanwhile (canceled, discarded): its stage closed the evaluation.
    if (current?.status !== 'running') return;
    const now = ctx.now();
    await policyEvaluationStore.insertOutcomes(trx, evaluation.id, outcomes, now);
    await policyEvaluationStore.setStatus(trx, running, status, now, total(outcomes));
    await decideStage(trx, locked, 'post_plan', now);
  });
}
