import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Behaviour, TaskService } from '../../src/task-stages/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * Run tasks with the real CLI (issue 17, cli-protocol.md §6.3 "task stages"): the CLI reads the run's
 * task stages, polls the post-plan one and prints its results; a failed mandatory task stops
 * `terraform apply` with the task's message, and the CLI's override prompt lets the run go on.
 */

const COMMAND_TIMEOUT_MS = 180_000;

const MAIN = `
resource "terraform_data" "checked" {
  input = "checked"
}
`;

const FAILING: Behaviour = {
  reports: [
    { status: 'running', message: 'scanning' },
    { status: 'failed', message: 'S3 bucket will not enforce MFA delete' },
  ],
};

for (const kind of testDatabases()) {
  describe(`run tasks with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '2' } });
    const service = new TaskService(server);
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      await server.start();
      await service.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
    });
    after(async () => {
      tf?.cleanup();
      await service.stop();
      await server.stop();
    });

    async function api(method: string, path: string, body?: unknown) {
      return server.api(method, `/api/v2${path}`, { token, body });
    }

    /** A workspace made by `terraform init`, with a mandatory post-plan task that fails. */
    async function workspaceWithFailingTask(name: string): Promise<{ dir: string; workspaceId: string }> {
      const dir = tf.newWorkdir(name);
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', name)}${MAIN}`, dir);
      const init = await tf.run(['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(init.code, 0, init.output);
      const ws = await api('GET', `/organizations/acme/workspaces/${name}`);
      const path = `/${name}/hook`;
      service.behaviours.set(path, FAILING);
      const task = await api('POST', '/organizations/acme/tasks', {
        data: { type: 'tasks', attributes: { name: `${name}-scanner`, url: `${service.url}${path}`, category: 'task', 'hmac-key': 'shh' } },
      });
      assert.equal(task.status, 201, task.text);
      const association = await api('POST', `/workspaces/${ws.body.data.id}/tasks`, {
        data: {
          type: 'workspace-tasks',
          attributes: { 'enforcement-level': 'mandatory', stages: ['post_plan'] },
          relationships: { task: { data: { type: 'tasks', id: task.body.data.id } } },
        },
      });
      assert.equal(association.status, 201, association.text);
      return { dir, workspaceId: ws.body.data.id };
    }

    async function latestRun(workspaceId: string) {
      const res = await api('GET', `/workspaces/${workspaceId}/runs`);
      return res.body.data[0];
    }

    it('stops terraform apply on a failed mandatory post-plan task, with the task message in the terminal', async () => {
      const { dir, workspaceId } = await workspaceWithFailingTask('stopped');
      const proc = tf.start(['apply', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(/Do you want to override the failed policies\?[\s\S]*Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('no\n');
      const result = await proc.result;
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, /Post-plan Tasks/);
      assert.match(result.output, /All tasks completed! 0 passed, 1 failed/);
      assert.match(result.output, /stopped-scanner ⸺ {3}Failed \(Mandatory\)/);
      assert.match(result.output, /S3 bucket will not enforce MFA delete/);
      assert.match(result.output, /the run failed because the run task, stopped-scanner, is required to succeed/);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'discarded');
      const ws = await api('GET', `/workspaces/${workspaceId}`);
      assert.equal(ws.body.data.attributes['resource-count'], 0);
    });

    it('applies after the override, and the task read the real plan JSON with its access token', async () => {
      const { dir, workspaceId } = await workspaceWithFailingTask('overridden');
      const proc = tf.start(['apply', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(/Do you want to override the failed policies\?[\s\S]*Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('override\n');
      await proc.waitFor(/Do you want to perform these actions in workspace "overridden"\?[\s\S]*Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('yes\n');
      const result = await proc.result;
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./);
      const run = await latestRun(workspaceId);
      assert.equal(run.attributes.status, 'applied');
      const request = service.requestFor(run.id, 'post_plan');
      assert.ok(request, 'the task service got the post-plan request');
      // The real plan's JSON, through the redirect to its short-lived URL.
      assert.equal(request.reads['plan-json'], 200);
      assert.equal(request.reads.configuration, 200);
    });
  });
}
