import { type ResourceObject, resource, timestamp, toOne, apiPath } from '../jsonapi/document.js';
import { registerResourceType } from '../jsonapi/include-registry.js';
import * as policyEvaluationService from './service.js';
import type { PolicyEvaluation, PolicySetOutcome } from './service.js';

/** policy-evaluations.mdx: Terrace's engine is its own Rego interpreter, named as the tool version. */
const POLICY_TOOL_VERSION = 'terrace-rego';

export function serializePolicyEvaluation(evaluation: PolicyEvaluation): ResourceObject {
  return resource(
    'policy-evaluations',
    evaluation.id,
    {
      status: evaluation.status,
      'policy-kind': 'opa',
      'policy-tool-version': POLICY_TOOL_VERSION,
      'result-count': evaluation.resultCount,
      'status-timestamps': evaluation.statusTimestamps,
      'created-at': timestamp(evaluation.createdAt),
      'updated-at': timestamp(evaluation.updatedAt),
    },
    {
      'policy-attachable': toOne('task-stages', evaluation.taskStageId),
      'policy-set-outcomes': { links: { related: `${apiPath('policy-evaluations', evaluation.id)}/policy-set-outcomes` } },
    },
    { self: apiPath('policy-evaluations', evaluation.id) },
  );
}

/** policy-evaluations.mdx "Show a Policy Outcome". */
export function serializePolicySetOutcome(outcome: PolicySetOutcome): ResourceObject {
  return resource(
    'policy-set-outcomes',
    outcome.id,
    {
      outcomes: outcome.outcomes,
      error: outcome.error,
      overridable: outcome.overridable,
      'policy-set-name': outcome.policySetName,
      'policy-set-description': outcome.policySetDescription,
      'result-count': outcome.resultCount,
      'policy-tool-version': POLICY_TOOL_VERSION,
    },
    { 'policy-evaluation': toOne('policy-evaluations', outcome.policyEvaluationId) },
    { self: apiPath('policy-set-outcomes', outcome.id) },
  );
}

registerResourceType<PolicyEvaluation>('policy-evaluations', { serialize: serializePolicyEvaluation, load: policyEvaluationService.visibleEvaluations });
registerResourceType<PolicySetOutcome>('policy-set-outcomes', { serialize: serializePolicySetOutcome, load: policyEvaluationService.visibleOutcomes });
