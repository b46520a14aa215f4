import assert from 'node:assert/strict';
import type { WorkspaceId } from '../../src/ids.js';
import { after, before, describe, it } from 'node:test';
import {
  DENY_FORBIDDEN_REGO,
  DENY_PARAMETER_REGO,
  policiesHcl,
  publishIndividualPolicy,
  publishPolicySet,
  RUNAWAY_REGO,
} from '../../src/policy-sets/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * OPA policies with the real CLI (issue 18, cli-protocol.md §6.3 "task stages"): a policy set uploaded
 * through the API is evaluated against the real plan in the post-plan stage; the CLI prints the
 * evaluation with each policy's deny messages; a mandatory failure stops `terraform apply` at the
 * override prompt, an advisory one warns and applies, and an override lets the run go on.
 */

const COMMAND_TIMEOUT_MS = 180_000;
/** The runaway policy runs until this limit: short, for the test's sake, yet longer than the API's answer may take. */
const EVALUATION_TIMEOUT_SECONDS = 3;

const MAIN = `
resource "terraform_data" "checked" {
  input = "forbidden"
}
`;

const OVERRIDE_PROMPT = /Do you want to override the failed policies\?[\s\S]*Enter a value:/;

for (const kind of testDatabases()) {
  describe(`OPA policies with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '2', TERRACE_POLICY_EVALUATION_TIMEOUT: `${EVALUATION_TIMEOUT_SECONDS}s` } });
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      await server.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
    });
    after(async () => {
      tf?.cleanup();
      await server.stop();
    });

    async function api(method: string, path: string, body?: unknown) {
      return server.api(method, `/api/v2${path}`, { token, body });
    }

    /** A workspace made by `terraform init`, with a policy set of one `level` policy attached to it; returns the set too. */
    async function workspaceWithPolicy(
      name: string,
      level: 'advisory' | 'mandatory',
      options: { overridable?: boolean; rego?: string; query?: string; individual?: boolean } = {},
    ): Promise<{ dir: string; workspaceId: WorkspaceId; setId: string }> {
      const dir = tf.newWorkdir(name);
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', name)}${MAIN}`, dir);
      const init = await tf.run(['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(init.code, 0, init.output);
      const ws = await api('GET', `/organizations/acme/workspaces/${name}`);
      const attributes = { overridable: options.overridable ?? true };
      const relationships = { workspaces: { data: [{ type: 'workspaces', id: ws.body.data.id }] } };
      const setId = options.individual
        ? await publishIndividualPolicy(server, token, 'acme', {
            name: `${name}-no-forbidden`,
            query: options.query ?? 'data.terraform.policies.forbidden.deny',
            level,
            rego: options.rego ?? DENY_FORBIDDEN_REGO,
            setAttributes: attributes,
            relationships,
          })
        : await publishPolicySet(server, token, 'acme', {
            name: `${name}-guards`,
            attributes,
            relationships,
            files: { 'policies.hcl': policiesHcl(level, 'no-forbidden', options.query), 'policies/main.rego': options.rego ?? DENY_FORBIDDEN_REGO },
          });
      return { dir, workspaceId: ws.body.data.id, setId };
    }

    async function latestRun(workspaceId: string) {
      const res = await api('GET', `/workspaces/${workspaceId}/runs?include=task_stages`);
      return res.body.data[0];
    }

    it('stops terraform apply on a mandatory deny, with the deny message in the terminal', async () => {
      const { dir, workspaceId } = await workspaceWithPolicy('denied', 'mandatory');
      const proc = tf.start(['apply', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(OVERRIDE_PROMPT, COMMAND_TIMEOUT_MS);
      proc.write('no\n');
      const result = await proc.result;
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, /OPA Policy Evaluation/);
      assert.match(result.output, /Overall Result: FAILED/);
      assert.match(result.output, /Policy set 1: denied-guards \(1\)/);
      assert.match(result.output, /Policy name: no-forbidden/);
      assert.match(result.output, /× Failed/);
      assert.match(result.output, /terraform_data\.checked has a forbidden input/);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'discarded');
      // The evaluation and its outcome through the API, as the CLI read them.
      const stage = await api('GET', `/task-stages/${run.relationships['task-stages'].data[0].id}?include=policy_evaluations`);
      const evaluation = stage.body.included.find((r: { type: string }) => r.type === 'policy-evaluations');
      assert.equal(evaluation.attributes.status, 'failed');
      assert.deepEqual(evaluation.attributes['result-count'], { 'advisory-failed': 0, 'mandatory-failed': 1, passed: 0, errored: 0 });
      const outcomes = await api(
        'GET',
        `/policy-evaluations/${evaluation.id}/policy-set-outcomes?filter[0][status]=failed&filter[0][enforcementLevel]=mandatory`,
      );
      assert.equal(outcomes.body.data.length, 1, outcomes.text);
      assert.equal(outcomes.body.data[0].attributes.outcomes[0].status, 'failed');
      const passedOnly = await api('GET', `/policy-evaluations/${evaluation.id}/policy-set-outcomes?filter[0][status]=passed`);
      assert.deepEqual(passedOnly.body.data, []);
    });

    it('warns on an advisory deny, decided by a sensitive parameter of the set, and applies', async () => {
      const { dir, workspaceId, setId } = await workspaceWithPolicy('advised', 'advisory', {
        rego: DENY_PARAMETER_REGO,
        query: 'data.terraform.policies.parameter.deny',
      });
      const parameter = await api('POST', `/policy-sets/${setId}/parameters`, {
        data: { type: 'vars', attributes: { key: 'forbidden_input', value: 'forbidden', category: 'policy-set', sensitive: true } },
      });
      assert.equal(parameter.status, 201, parameter.text);
      const result = await tf.run(['apply', '-auto-approve', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Overall Result: PASSED \(with advisory\)/);
      assert.match(result.output, /Advisory/);
      assert.match(result.output, /terraform_data\.checked uses the input the set's parameter forbids/);
      assert.match(result.output, /Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./);
      assert.equal((await latestRun(workspaceId)).attributes.status, 'applied');
    });

    it('applies after the override of a mandatory deny', async () => {
      const { dir, workspaceId } = await workspaceWithPolicy('overridden', 'mandatory');
      const proc = tf.start(['apply', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(OVERRIDE_PROMPT, COMMAND_TIMEOUT_MS);
      proc.write('override\n');
      await proc.waitFor(/Do you want to perform these actions in workspace "overridden"\?[\s\S]*Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('yes\n');
      const result = await proc.result;
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'applied');
      const stage = await api('GET', `/task-stages/${run.relationships['task-stages'].data[0].id}?include=policy_evaluations`);
      assert.equal(stage.body.data.attributes.status, 'passed');
      assert.equal(stage.body.included[0].attributes.status, 'overridden');
    });

    it('errors the run on a mandatory deny of a set that is not overridable (an individual policy)', async () => {
      const { dir, workspaceId } = await workspaceWithPolicy('strict', 'mandatory', { overridable: false, individual: true });
      const result = await tf.run(['apply', '-auto-approve', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, /terraform_data\.checked has a forbidden input/);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'errored');
      const ws = await api('GET', `/workspaces/${workspaceId}`);
      assert.equal(ws.body.data.attributes['resource-count'], 0);
    });

    it('errors the evaluation of a runaway policy within its limits while the server keeps serving', async () => {
      const { dir, workspaceId } = await workspaceWithPolicy('runaway', 'mandatory', {
        overridable: false,
        rego: RUNAWAY_REGO,
        query: 'data.terraform.policies.runaway.deny',
      });
      const proc = tf.start(['apply', '-auto-approve', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      const evaluationStatus = async () =>
        (
          await server.database.db
            .selectFrom('policy_evaluations')
            .innerJoin('task_stages', 'task_stages.id', 'policy_evaluations.task_stage_id')
            .innerJoin('runs', 'runs.id', 'task_stages.run_id')
            .select('policy_evaluations.status')
            .where('runs.workspace_id', '=', workspaceId)
            .executeTakeFirst()
        )?.status;
      const deadline = Date.now() + COMMAND_TIMEOUT_MS;
      while ((await evaluationStatus()) !== 'running') {
        assert.ok(Date.now() < deadline, 'the evaluation never ran');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // While the policy runs in its worker, the API answers.
      const started = Date.now();
      assert.equal((await api('GET', '/organizations/acme')).status, 200);
      assert.ok(Date.now() - started < 2_000, 'the API answered while the policy ran');
      assert.equal(await evaluationStatus(), 'running', 'the policy was still running when the API answered');
      const result = await proc.result;
      assert.notEqual(result.code, 0, result.output);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'errored');
      const stage = await api('GET', `/task-stages/${run.relationships['task-stages'].data[0].id}?include=policy_evaluations`);
      const evaluation = stage.body.included[0];
      assert.equal(evaluation.attributes.status, 'failed');
      assert.equal(evaluation.attributes['result-count'].errored, 1);
      const outcomes = await api('GET', `/policy-evaluations/${evaluation.id}/policy-set-outcomes?filter[0][status]=errored`);
      assert.match(outcomes.body.data[0].attributes.outcomes[0].description, new RegExp(`exceeded the time limit of ${EVALUATION_TIMEOUT_SECONDS * 1000} ms`));
    });
  });
}
