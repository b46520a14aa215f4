import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRun, testsPath as testsPathOf, uploadTestConfiguration } from '../../src/module-tests/testing.js';
import { MODULE_FILES, publishModule } from '../../src/registry-modules/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, type TerraformSandbox } from './terraform.js';

/**
 * Module tests with the real CLI (issue 20, private-registry/tests.mdx): `terraform test -cloud-run`
 * uploads the module's configuration, creates a test run, and renders the log of `terraform test`
 * that Terrace's runner executes; its exit code follows the remote result.
 */

const COMMAND_TIMEOUT_MS = 240_000;

const PASSING = `run "greets" {
  command = apply
  assert {
    condition     = output.sentence == "hi, terrace"
    error_message = "the greeting is \${output.sentence}"
  }
}
`;

const FAILING = `run "greets_wrongly" {
  assert {
    condition     = terraform_data.said.input == "bye, terrace"
    error_message = "the module did not say bye"
  }
}
`;

for (const kind of testDatabases()) {
  describe(`module tests with terraform test -cloud-run [${kind}]`, { timeout: 900_000 }, () => {
    // Terraform refuses a registry host name without a dot (localhost): the IP address is one.
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '2' }, publicHost: '127.0.0.1' });
    let tf: TerraformSandbox;
    let token = '';
    const testsPath = testsPathOf('acme', 'greeter');

    before(async () => {
      await server.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
      const published = await publishModule(server, token, 'acme', { name: 'greeter', provider: 'null', version: '1.0.0' });
      assert.equal(published.uploadStatus, 200, published.uploadText);
      // A sensitive test environment variable of the module decides the greeting.
      const variable = await server.api('POST', `${testsPath}/vars`, {
        token,
        body: { data: { type: 'vars', attributes: { key: 'TF_VAR_greeting', value: 'hi', category: 'env', sensitive: true } } },
      });
      assert.equal(variable.status, 201, variable.text);
      assert.equal(variable.body.data.attributes.value, null);
    });
    after(async () => {
      tf?.cleanup();
      await server.stop();
    });

    function moduleDir(name: string, test: string): string {
      const dir = tf.newWorkdir(name);
      for (const [file, body] of Object.entries(MODULE_FILES)) tf.writeFile(file, body, dir);
      tf.newWorkdir(`${name}/tests`);
      tf.writeFile('tests/greeting.tftest.hcl', test, dir);
      return dir;
    }

    async function latestTestRun(): Promise<Record<string, unknown>> {
      const list = await server.api('GET', `${testsPath}/test-runs`, { token });
      assert.equal(list.status, 200, list.text);
      return list.body.data[0].attributes;
    }

    it('runs the tests in Terrace and renders their outcome', async () => {
      const dir = moduleDir('passing', PASSING);
      const result = await tf.run(['test', `-cloud-run=${server.hostname}/acme/greeter/null`, '-var', 'name=terrace', '-no-color'], {
        cwd: dir,
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /greets\.\.\. pass/);
      assert.match(result.output, /Success! 1 passed, 0 failed\./);
      // The sensitive value is the test's, not the log's.
      const run = await latestTestRun();
      assert.equal(run.status, 'finished');
      assert.equal(run['test-status'], 'pass');
      assert.equal(run['tests-passed'], 1);
      assert.equal(run.source, 'terraform');
      assert.deepEqual(run.variables, [{ key: 'name', value: '"terrace"' }]);
    });

    it('fails the command when a test fails remotely, with the assertion in the terminal', async () => {
      const dir = moduleDir('failing', FAILING);
      const result = await tf.run(['test', `-cloud-run=${server.hostname}/acme/greeter/null`, '-var', 'name=terrace', '-no-color'], {
        cwd: dir,
        timeoutMs: COMMAND_TIMEOUT_MS,
      });
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /the module did not say bye/);
      assert.match(result.output, /Failure! 0 passed, 1 failed\./);
      const run = await latestTestRun();
      assert.equal(run.status, 'finished');
      assert.equal(run['test-status'], 'fail');
      assert.equal(run['tests-failed'], 1);
    });

    /** A test whose apply sleeps, so that it is still running when it is canceled. */
    const SLOW = {
      'main.tf': 'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 120"\n  }\n}\n',
      'tests/slow.tftest.hcl': 'run "slow" {\n  command = apply\n}\n',
    };

    async function runningTest(): Promise<string> {
      const configuration = await uploadTestConfiguration(server, token, testsPath, SLOW);
      assert.equal(configuration.status, 200, configuration.text);
      const created = await createTestRun(server, token, testsPath, configuration.id);
      assert.equal(created.status, 201, created.text);
      const id = created.body.data.id as string;
      await waitFor(id, (status) => status === 'running');
      return id;
    }

    async function waitFor(id: string, done: (status: string) => boolean): Promise<Record<string, unknown>> {
      for (let i = 0; i < 600; i++) {
        const shown = await server.api('GET', `${testsPath}/test-runs/${id}`, { token });
        if (done(shown.body.data.attributes.status)) return shown.body.data.attributes;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`test run ${id} never got there`);
    }

    it('cancels a running test: terraform is interrupted and the test ends canceled', async () => {
      const id = await runningTest();
      const canceled = await server.api('POST', `${testsPath}/test-runs/${id}/cancel`, { token });
      assert.equal(canceled.status, 202, canceled.text);
      const ended = await waitFor(id, (status) => status !== 'running');
      assert.equal(ended.status, 'canceled');
      assert.ok((ended['status-timestamps'] as Record<string, string>)['canceled-at']);
    });

    it('force-cancels a canceled test at once; its agent loses the job', async () => {
      const id = await runningTest();
      assert.equal((await server.api('POST', `${testsPath}/test-runs/${id}/force-cancel`, { token })).status, 409);
      assert.equal((await server.api('POST', `${testsPath}/test-runs/${id}/cancel`, { token })).status, 202);
      assert.equal((await server.api('POST', `${testsPath}/test-runs/${id}/force-cancel`, { token })).status, 202);
      const shown = await server.api('GET', `${testsPath}/test-runs/${id}`, { token });
      assert.equal(shown.body.data.attributes.status, 'canceled');
      assert.ok(shown.body.data.attributes['status-timestamps']['force-canceled-at']);
      // The runner is free again: a new test runs to its end.
      const configuration = await uploadTestConfiguration(server, token, testsPath, { 'main.tf': '', 'tests/empty.tftest.hcl': 'run "nothing" {}\n' });
      const next = await createTestRun(server, token, testsPath, configuration.id);
      const finished = await waitFor(next.body.data.id, (status) => status !== 'queued' && status !== 'running');
      assert.equal(finished.status, 'finished');
      assert.equal(finished['test-status'], 'pass');
    });
  });
}
