import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * Run triggers with the real CLI (issue 19): one `terraform apply` in workspace A starts the chain
 * A → B → C, each triggered run planned and applied by Terrace's runner in turn.
 */

const COMMAND_TIMEOUT_MS = 180_000;

/** A change on every run, so that every triggered run applies and triggers the next. */
const TICKING = `
resource "terraform_data" "tick" {
  input = timestamp()
}
`;

for (const kind of testDatabases()) {
  describe(`run triggers with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '2' } });
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

    /** A workspace made and applied once by the CLI, so that it has a current configuration; its id. */
    async function appliedWorkspace(name: string): Promise<{ id: string; dir: string }> {
      const dir = tf.newWorkdir(name);
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', name)}${TICKING}`, dir);
      for (const args of [
        ['init', '-input=false'],
        ['apply', '-auto-approve'],
      ]) {
        const result = await tf.run([...args, '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
        assert.equal(result.code, 0, result.output);
      }
      const ws = await api('GET', `/organizations/acme/workspaces/${name}`);
      return { id: ws.body.data.id, dir };
    }

    async function runs(workspaceId: string): Promise<any[]> {
      return (await api('GET', `/workspaces/${workspaceId}/runs`)).body.data;
    }

    async function triggeredRun(workspaceId: string, sourceRunId: string): Promise<any> {
      const deadline = Date.now() + COMMAND_TIMEOUT_MS;
      for (;;) {
        const run = (await runs(workspaceId)).find((r) => r.attributes.message.includes(sourceRunId));
        if (run && ['applied', 'errored', 'canceled', 'discarded', 'planned_and_finished'].includes(run.attributes.status)) return run;
        if (Date.now() > deadline) assert.fail(`no finished run triggered by ${sourceRunId} in ${workspaceId}: ${JSON.stringify(run?.attributes.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

    it('one apply in A applies B and then C', async () => {
      const a = await appliedWorkspace('chain-a');
      const b = await appliedWorkspace('chain-b');
      const c = await appliedWorkspace('chain-c');
      for (const [destination, source] of [
        [b, a],
        [c, b],
      ] as const) {
        const patched = await api('PATCH', `/workspaces/${destination.id}`, { data: { type: 'workspaces', attributes: { 'auto-apply-run-trigger': true } } });
        assert.equal(patched.status, 200, patched.text);
        const trigger = await api('POST', `/workspaces/${destination.id}/run-triggers`, {
          data: { relationships: { sourceable: { data: { type: 'workspaces', id: source.id } } } },
        });
        assert.equal(trigger.status, 201, trigger.text);
      }

      const result = await tf.run(['apply', '-auto-approve', '-no-color'], { cwd: a.dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(result.code, 0, result.output);
      const [aRun] = await runs(a.id);
      assert.equal(aRun.attributes.status, 'applied');

      const bRun = await triggeredRun(b.id, aRun.id);
      assert.equal(bRun.attributes.status, 'applied');
      assert.equal(bRun.attributes['trigger-reason'], 'run_trigger');
      const cRun = await triggeredRun(c.id, bRun.id);
      assert.equal(cRun.attributes.status, 'applied');
      // In order: C's run was queued once B's had applied.
      assert.ok(Date.parse(cRun.attributes['created-at']) >= Date.parse(bRun.attributes['status-timestamps']['applied-at']));
      // Nothing else: A is not triggered back, B and C have their first run and the triggered one.
      assert.equal((await runs(a.id)).length, 2);
      assert.equal((await runs(b.id)).length, 2);
      assert.equal((await runs(c.id)).length, 2);
    });
  });
}
