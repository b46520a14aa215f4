import { evaluate, type RegoModule } from '../src/rego/index.js';
import { formatTable } from './load.js';
import { median } from './state-measure.js';

/**
 * The Rego benchmark (issue 18, "Speed"): a typical 4-rule policy evaluated against a plan JSON of
 * about 1 MB (2,000 resource changes), as policy evaluations will run it after a plan. Baseline, in
 * the same run: `JSON.parse` of the same plan text, which every evaluation needs anyway. Target: an
 * evaluation, input conversion included, in ≤ 30 ms (median of the measured rounds, after warm-up).
 */

const TARGET_MS = 30;
const CHANGES = 2000;
const WARMUP = 5;
const ROUNDS = 20;

const POLICY: RegoModule = {
  name: 'policy.rego',
  source: `package terraform.policies.guardrails

import input.plan as tfplan

deny contains msg if {
  some r in tfplan.resource_changes
  r.type == "aws_security_group"
  some rule in r.change.after.ingress
  "0.0.0.0/0" in rule.cidr_blocks
  msg := sprintf("%s allows ingress from the whole internet", [r.address])
}

deny contains msg if {
  some r in tfplan.resource_changes
  "delete" in r.change.actions
  r.type == "aws_s3_bucket"
  msg := sprintf("%s would be deleted", [r.address])
}

allowed_types := {"aws_instance", "aws_security_group", "aws_s3_bucket"}

warn contains msg if {
  some r in tfplan.resource_changes
  not allowed_types[r.type]
  msg := sprintf("%s has type %s", [r.address, r.type])
}

too_many if count(tfplan.resource_changes) > 5000
`,
};

/** A plan JSON of `changes` resource changes with realistic attribute bodies (about 500 bytes each). */
function planText(changes: number): string {
  const types = ['aws_security_group', 'aws_instance', 'aws_s3_bucket', 'aws_iam_role'];
  return JSON.stringify({
    plan: {
      format_version: '1.2',
      resource_changes: Array.from({ length: changes }, (_, i) => {
        const type = types[i % types.length] as string;
        return {
          address: `${type}.r${i}`,
          mode: 'managed',
          type,
          name: `r${i}`,
          provider_name: 'registry.terraform.io/hashicorp/aws',
          change: {
            actions: i % 97 === 0 ? ['delete'] : ['create'],
            before: null,
            after: {
              name: `resource-${i}`,
              tags: { team: 'platform', env: i % 2 ? 'prod' : 'dev', cost_center: `cc-${i % 13}` },
              ingress: [{ from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: i % 500 === 1 ? ['0.0.0.0/0'] : ['10.0.0.0/8', '172.16.0.0/12'] }],
              description: 'A resource of the benchmark plan, with a description of ordinary length.',
            },
            after_unknown: { id: true, arn: true },
          },
        };
      }),
    },
  });
}

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

export async function run(_args: string[]): Promise<boolean> {
  const text = planText(CHANGES);
  const query = 'deny := data.terraform.policies.guardrails.deny; warn := data.terraform.policies.guardrails.warn';
  const evaluations: number[] = [];
  const parses: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const parse = time(() => JSON.parse(text));
    let outcome: ReturnType<typeof evaluate> | undefined;
    const input = JSON.parse(text);
    const evaluation = time(() => {
      outcome = evaluate([POLICY], query, { input });
    });
    if (!outcome || 'errors' in outcome) throw new Error(`the policy failed: ${JSON.stringify(outcome)}`);
    if (round >= WARMUP) {
      evaluations.push(evaluation);
      parses.push(parse);
    }
  }
  const evaluationMs = median(evaluations);
  const passed = evaluationMs <= TARGET_MS;
  process.stdout.write(
    `\nRego: a 4-rule policy on a ${(text.length / 1e6).toFixed(1)} MB plan (${CHANGES} resource changes), median of ${ROUNDS} rounds\n${formatTable(
      ['measure', 'median', 'target', 'result'],
      [
        ['JSON.parse of the plan (baseline)', `${median(parses).toFixed(1)} ms`, '', ''],
        ['evaluate (compile, convert input, query)', `${evaluationMs.toFixed(1)} ms`, `≤ ${TARGET_MS} ms`, passed ? 'PASS' : 'FAIL'],
      ],
    )}\n`,
  );
  return passed;
}
