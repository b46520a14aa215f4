import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SmtpSink, WebhookReceiver } from '../../src/notification-configurations/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * Runs that talk to the outside and to each other, with the real CLI (issue 19): one `terraform apply`
 * in workspace A notifies a webhook and an SMTP inbox and starts the chain A → B → C, each triggered
 * run planned and applied by Terrace's runner in turn.
 */

const sink = new SmtpSink();
await sink.start();
after(() => sink.stop());

const COMMAND_TIMEOUT_MS = 180_000;

/** A change on every run, so that every triggered run applies and triggers the next. */
const TICKING = `
resource "terraform_data" "tick" {
  input = timestamp()
}
`;

for (const kind of testDatabases()) {
  describe(`run triggers with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    const server = new TestServer(kind, {
      env: { TERRACE_RUNNER_SLOTS: '2', TERRACE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, TERRACE_SMTP_FROM: 'terrace@example.com' },
    });
    const receiver = new WebhookReceiver();
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      await server.start();
      await receiver.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
    });
    after(async () => {
      tf?.cleanup();
      await receiver.stop();
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

    it('one apply in A notifies a webhook and an inbox, and applies B and then C', async () => {
      const a = await appliedWorkspace('chain-a');
      for (const attributes of [
        { 'destination-type': 'generic', name: 'hook', url: `${receiver.url}/chain`, triggers: ['run:completed'] },
        { 'destination-type': 'email', name: 'inbox', 'email-addresses': ['ops@example.com'], triggers: ['run:completed'] },
      ]) {
        const created = await api('POST', `/workspaces/${a.id}/notification-configurations`, {
          data: { type: 'notification-configurations', attributes: { enabled: true, ...attributes } },
        });
        assert.equal(created.status, 201, created.text);
      }
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
      const [hook] = await receiver.waitForRunDeliveries('/chain', 1);
      assert.equal(hook?.payload.run_id, aRun.id);
      assert.equal(hook?.payload.notifications[0].trigger, 'run:completed');
      const [mail] = await sink.waitForMails((m) => m.to.includes('ops@example.com') && m.text.includes(aRun.id), 1);
      assert.ok(mail);

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
