import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { create as createTar } from 'tar';
import { Uploader } from '../../src/configuration-versions/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { eventually } from '../fixtures.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * Remote execution with the real CLI (issue 6; cli-protocol.md §6): Terrace's runner runs terraform
 * for each plan and apply, the CLI streams the logs and renders the plan from json-output-redacted.
 */

/** The log framing (cli-protocol.md §6.4). */
const STX = '\u0002';
const ETX = '\u0003';

/** A remote run: upload, queue, terraform init/plan/show, the CLI's polling. */
const COMMAND_TIMEOUT_MS = 120_000;

const VARIABLES = `
variable "from_cli" {
  default = "none"
}
variable "from_workspace" {
  default = "none"
}
variable "from_set" {
  default = "none"
}
`;

const MAIN = `${VARIABLES}
resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "b" {
  input = "b-\${var.from_cli}"
}

output "greeting" {
  value = "\${var.from_cli}/\${var.from_workspace}/\${var.from_set}"
}
`;

/** A secret in the run's environment: its log must never show it. */
const SECRET = 'hunter2-never-logged';

const ECHO_SECRET = `
resource "terraform_data" "echo" {
  provisioner "local-exec" {
    command = "echo token-is-$SECRET_TOKEN canary-[$TERRACE_TEST_CANARY]"
  }
}
`;

for (const kind of testDatabases()) {
  describe(`remote runs with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '4' } });
    const uploader = new Uploader(server);
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      // In the server's environment: a run must not see it.
      process.env.TERRACE_TEST_CANARY = 'server-environment';
      await server.start();
      // The organization's default execution mode is remote: every plan and apply runs in Terrace.
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
    });
    after(async () => {
      delete process.env.TERRACE_TEST_CANARY;
      tf?.cleanup();
      await uploader.close();
      await server.stop();
    });

    function workdir(name: string, workspace: string, body: string): string {
      const dir = tf.newWorkdir(name);
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', workspace)}${body}`, dir);
      return dir;
    }

    async function terraform(dir: string, ...args: string[]): Promise<string> {
      const result = await tf.run([...args, '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(result.code, 0, `terraform ${args.join(' ')}:\n${result.output}`);
      return result.output;
    }

    async function api(method: string, path: string, body?: unknown) {
      return server.api(method, `/api/v2${path}`, { token, body });
    }

    async function workspace(name: string) {
      const res = await api('GET', `/organizations/acme/workspaces/${name}`);
      assert.equal(res.status, 200, res.text);
      return res.body.data;
    }

    /** The workspace's runs, newest first; plan-only runs only when asked for (run.mdx "List Runs in a Workspace"). */
    async function runs(workspaceName: string, query = ''): Promise<any[]> {
      const res = await api('GET', `/workspaces/${(await workspace(workspaceName)).id}/runs${query}`);
      assert.equal(res.status, 200, res.text);
      return res.body.data;
    }

    /** How long the run and its log may take: as long as a terraform command. */
    const RUN_WAIT = { timeoutMs: COMMAND_TIMEOUT_MS, intervalMs: 200 };

    async function waitForStatus(runId: string, statuses: readonly string[]) {
      const res = await eventually(
        () => api('GET', `/runs/${runId}`),
        (r) => statuses.includes(r.body?.data?.attributes?.status),
        `run ${runId} to become ${statuses.join(' or ')}`,
        RUN_WAIT,
      );
      return res.body.data;
    }

    /** The whole log behind a `log-read-url`, read as the CLI does (offset by offset, no token) until ETX. */
    async function readLog(url: string): Promise<{ log: string; reads: number }> {
      const path = new URL(url).pathname;
      let log = '';
      let reads = 0;
      await eventually(
        async () => {
          const res = await server.api('GET', `${path}?limit=200&offset=${Buffer.byteLength(log)}`);
          assert.equal(res.status, 200, res.text);
          log += res.text;
          reads++;
          return log;
        },
        (text) => text.endsWith(ETX),
        `the log at ${path} to end`,
        RUN_WAIT,
      );
      return { log, reads };
    }

    async function phaseLog(runId: string, phase: 'plan' | 'apply'): Promise<string> {
      const res = await api('GET', `/runs/${runId}/${phase}`);
      assert.equal(res.status, 200, res.text);
      return (await readLog(res.body.data.attributes['log-read-url'])).log;
    }

    let main = '';

    it('plan runs a speculative plan remotely and renders it', async () => {
      main = workdir('main', 'w1', MAIN);
      await terraform(main, 'init', '-input=false');
      const output = await terraform(main, 'plan');
      assert.match(output, /Waiting for the plan to start/);
      assert.match(output, /# terraform_data\.a will be created/);
      assert.match(output, /Plan: 2 to add, 0 to change, 0 to destroy\./);

      const [run] = await runs('w1', '?filter[operation]=plan_only');
      assert.equal(run.attributes.status, 'planned_and_finished');
      assert.equal(run.attributes['plan-only'], true);
      assert.equal(run.attributes['has-changes'], true);
      const plan = await api('GET', `/runs/${run.id}/plan`);
      assert.equal(plan.body.data.attributes.status, 'finished');
      assert.equal(plan.body.data.attributes['resource-additions'], 2);
      assert.equal((await workspace('w1')).attributes.locked, false, 'a speculative plan does not lock');
    });

    it('plan logs stream as text when the workspace has no structured run output', async () => {
      const dir = workdir('text', 'text', MAIN);
      await terraform(dir, 'init', '-input=false');
      const ws = await workspace('text');
      const patched = await api('PATCH', `/workspaces/${ws.id}`, { data: { type: 'workspaces', attributes: { 'structured-run-output-enabled': false } } });
      assert.equal(patched.status, 200, patched.text);
      const output = await terraform(dir, 'plan');
      // The banner and terraform's own text come from the log, line by line.
      assert.match(output, /Terraform v\d+\.\d+\.\d+\non linux_/);
      assert.match(output, /Plan: 2 to add, 0 to change, 0 to destroy\./);
    });

    it('apply asks, and "yes" applies the saved plan; the state lands in the workspace', async () => {
      const proc = tf.start(['apply', '-no-color'], { cwd: main, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(/Do you want to perform these actions in workspace "w1"\?[\s\S]*Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('yes\n');
      const result = await proc.result;
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Apply complete! Resources: 2 added, 0 changed, 0 destroyed\./);
      assert.match(result.output, /greeting = "none\/none\/none"/);

      const [run] = await runs('w1');
      assert.equal(run.attributes.status, 'applied');
      assert.equal(run.attributes['auto-apply'], false);
      const apply = await api('GET', `/runs/${run.id}/apply`);
      assert.equal(apply.body.data.attributes['resource-additions'], 2);
      const ws = await workspace('w1');
      assert.equal(ws.attributes.locked, false, 'the run released the lock');
      const state = await api('GET', `/workspaces/${ws.id}/current-state-version`);
      assert.equal(state.status, 200, state.text);
      assert.equal(state.body.data.attributes.serial, 1);
      // The apply log starts with the 3 banner lines the CLI drops (cli-protocol.md §6.4).
      const log = await phaseLog(run.id, 'apply');
      assert.equal(log.charAt(0), STX);
      assert.match(log.slice(1), /^Terraform v\d+\.\d+\.\d+\non linux_\w+\nInitializing plugins and modules\.\.\.\n/);
      assert.equal(log.at(-1), ETX);
    });

    it('-var, a workspace variable and a variable set reach the run; secrets stay out of the log', async () => {
      const ws = await workspace('w1');
      for (const attributes of [
        { key: 'from_workspace', value: 'ws', category: 'terraform' },
        { key: 'SECRET_TOKEN', value: SECRET, category: 'env', sensitive: true },
      ]) {
        const res = await api('POST', `/workspaces/${ws.id}/vars`, { data: { type: 'vars', attributes } });
        assert.equal(res.status, 201, res.text);
      }
      const set = await api('POST', '/organizations/acme/varsets', { data: { type: 'varsets', attributes: { name: 'shared', global: true } } });
      assert.equal(set.status, 201, set.text);
      const setVar = await api('POST', `/varsets/${set.body.data.id}/relationships/vars`, {
        data: { type: 'vars', attributes: { key: 'from_set', value: 'set', category: 'terraform' } },
      });
      assert.equal(setVar.status, 201, setVar.text);

      tf.writeFile('echo.tf', ECHO_SECRET, main);
      const output = await terraform(main, 'apply', '-auto-approve', '-var', 'from_cli=cli');
      assert.match(output, /greeting = "cli\/ws\/set"/);
      assert.doesNotMatch(output, new RegExp(SECRET));

      const [run] = await runs('w1');
      assert.equal(run.attributes.status, 'applied');
      assert.equal(run.attributes['auto-apply'], true, '-auto-approve creates an auto-apply run, which applies by itself');
      assert.deepEqual(run.attributes.variables, [{ key: 'from_cli', value: '"cli"' }]);
      const log = await phaseLog(run.id, 'apply');
      assert.match(log, /token-is-\*\*\* canary-\[\]/, 'the secret is redacted; nothing of the server environment reached the run');
      assert.doesNotMatch(log, new RegExp(SECRET));
    });

    it('-replace and -target reach terraform', async () => {
      const replaced = await terraform(main, 'apply', '-auto-approve', '-var', 'from_cli=cli', '-replace=terraform_data.a');
      assert.match(replaced, /Apply complete! Resources: 1 added, 0 changed, 1 destroyed\./);
      assert.deepEqual((await runs('w1'))[0].attributes['replace-addrs'], ['terraform_data.a']);

      const targeted = await terraform(main, 'apply', '-auto-approve', '-var', 'from_cli=other', '-target=terraform_data.b');
      assert.match(targeted, /Apply complete! Resources: 0 added, 1 changed, 0 destroyed\./);
      const [run] = await runs('w1');
      assert.deepEqual(run.attributes['target-addrs'], ['terraform_data.b']);
      const apply = await api('GET', `/runs/${run.id}/apply`);
      assert.equal(apply.body.data.attributes['resource-changes'], 1);
    });

    it('-refresh-only runs a refresh-only plan', async () => {
      const output = await terraform(main, 'apply', '-refresh-only', '-auto-approve', '-var', 'from_cli=other');
      assert.match(output, /No changes|Apply complete/);
      const [run] = await runs('w1');
      assert.equal(run.attributes['refresh-only'], true);
      assert.ok(['applied', 'planned_and_finished'].includes(run.attributes.status), run.attributes.status);
    });

    it('"no" at the prompt discards the run', async () => {
      const proc = tf.start(['apply', '-no-color', '-var', 'from_cli=discarded'], { cwd: main, timeoutMs: COMMAND_TIMEOUT_MS });
      await proc.waitFor(/Enter a value:/, COMMAND_TIMEOUT_MS);
      proc.write('no\n');
      const result = await proc.result;
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /Apply discarded/);
      const [run] = await runs('w1');
      assert.equal(run.attributes.status, 'discarded');
      assert.equal((await workspace('w1')).attributes.locked, false);
    });

    it('Ctrl-C during the plan of an apply cancels the remote run', async () => {
      // A data source that hangs on an HTTP server of the test's: the plan is running while it waits.
      let requested: () => void = () => {};
      const reached = new Promise<void>((resolve) => {
        requested = resolve;
      });
      const hung: Array<() => void> = [];
      const answer = () => {
        for (const respond of hung.splice(0)) respond();
      };
      const slow: Server = createServer((_req, res) => {
        requested();
        hung.push(() => res.writeHead(404).end());
      });
      await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = slow.address() as AddressInfo;
        const dir = workdir(
          'slow',
          'slow',
          `data "terraform_remote_state" "slow" {\n  backend = "http"\n  config = {\n    address = "http://127.0.0.1:${port}/state"\n  }\n}\n`,
        );
        await terraform(dir, 'init', '-input=false');
        // With -auto-approve the CLI cancels without asking (cli-protocol.md §6.7). `terraform plan`
        // only stops streaming on Ctrl-C once the plan runs: its banner says the remote plan goes on.
        const proc = tf.start(['apply', '-auto-approve', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
        // Both sides are in the plan: the CLI streams its log, terraform waits for the data source.
        await Promise.all([reached, proc.waitFor(/Waiting for the plan to start/, COMMAND_TIMEOUT_MS)]);
        proc.child.kill('SIGINT');
        const result = await proc.result;
        assert.match(result.output, /The remote operation was successfully cancelled/);
        const [run] = await runs('slow');
        // Terraform acts on the cancel's interrupt once its hung read returns: answered when it logs the interrupt.
        const logPath = new URL((await api('GET', `/runs/${run.id}/plan`)).body.data.attributes['log-read-url']).pathname;
        await eventually(
          async () => (await server.api('GET', `${logPath}?limit=1048576&offset=0`)).text,
          (log) => log.includes('Interrupt received'),
          'terraform to take the interrupt',
          RUN_WAIT,
        );
        answer();
        const canceled = await waitForStatus(run.id, ['canceled', 'errored', 'applied']);
        assert.equal(canceled.attributes.status, 'canceled');
        assert.ok(canceled.attributes['status-timestamps']['planning-at'], 'it was planning when canceled');
        const plan = await api('GET', `/runs/${run.id}/plan`);
        assert.equal(plan.body.data.attributes.status, 'canceled');
        assert.equal((await workspace('slow')).attributes.locked, false, 'the canceled run released the workspace');
      } finally {
        answer();
        slow.close();
      }
    });

    it('two runs on one workspace apply one after the other', async () => {
      const first = workdir('first', 'w2', 'resource "terraform_data" "x" {\n  input = "one"\n}\n');
      const second = workdir('second', 'w2', 'resource "terraform_data" "x" {\n  input = "two"\n}\n');
      await terraform(first, 'init', '-input=false');
      await terraform(second, 'init', '-input=false');
      const one = tf.start(['apply', '-auto-approve', '-no-color'], { cwd: first, timeoutMs: COMMAND_TIMEOUT_MS });
      await eventually(
        () => runs('w2'),
        (list) => list.length === 1,
        'the first run',
        RUN_WAIT,
      );
      const two = tf.start(['apply', '-auto-approve', '-no-color'], { cwd: second, timeoutMs: COMMAND_TIMEOUT_MS });
      const [resultOne, resultTwo] = await Promise.all([one.result, two.result]);
      assert.equal(resultOne.code, 0, resultOne.output);
      assert.equal(resultTwo.code, 0, resultTwo.output);
      assert.match(resultOne.output, /1 added/);
      assert.match(resultTwo.output, /0 added, 1 changed|1 added, 0 changed, 1 destroyed/);

      const [later, earlier] = await runs('w2');
      assert.equal(earlier.attributes.status, 'applied');
      assert.equal(later.attributes.status, 'applied');
      const appliedAt = Date.parse(earlier.attributes['status-timestamps']['applied-at']);
      const queuedAt = Date.parse(later.attributes['status-timestamps']['plan-queued-at']);
      assert.ok(queuedAt >= appliedAt, 'the second run waited for the first');
      const state = await api('GET', `/workspaces/${(await workspace('w2')).id}/current-state-version`);
      assert.equal(state.body.data.attributes.serial, 2);
    });

    /** Creates a workspace through the API and uploads a configuration to a new configuration version. */
    async function uploadConfiguration(
      workspaceName: string,
      attributes: Record<string, unknown>,
      files: Record<string, string>,
    ): Promise<{ workspaceId: string; versionId: string }> {
      const created = await api('POST', '/organizations/acme/workspaces', { data: { type: 'workspaces', attributes: { name: workspaceName, ...attributes } } });
      assert.equal(created.status, 201, created.text);
      const workspaceId = created.body.data.id;
      const version = await api('POST', `/workspaces/${workspaceId}/configuration-versions`, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      assert.equal(version.status, 201, version.text);
      const dir = tf.newWorkdir(`upload-${workspaceName}`);
      for (const [name, content] of Object.entries(files)) tf.writeFile(name, content, dir);
      const archive: Buffer[] = [];
      for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, Object.keys(files))) archive.push(chunk as Buffer);
      const uploaded = await uploader.put(version.body.data.attributes['upload-url'], Buffer.concat(archive));
      assert.equal(uploaded.status, 200, uploaded.text);
      return { workspaceId, versionId: version.body.data.id };
    }

    function runBody(workspaceId: string, attributes: Record<string, unknown> = {}) {
      return { data: { type: 'runs', attributes, relationships: { workspace: { data: { type: 'workspaces', id: workspaceId } } } } };
    }

    it('a run created through the API: upload, POST /runs, logs, JSON plan, apply action', async () => {
      const { workspaceId } = await uploadConfiguration(
        'api',
        {},
        {
          'main.tf': 'variable "secret" {\n  default   = "plan-secret"\n  sensitive = true\n}\nresource "terraform_data" "s" {\n  input = var.secret\n}\n',
        },
      );
      const created = await api('POST', '/runs', runBody(workspaceId, { message: 'from the API' }));
      assert.equal(created.status, 201, created.text);
      const run = await waitForStatus(created.body.data.id, ['planned', 'errored']);
      assert.equal(run.attributes.status, 'planned');
      assert.equal(run.attributes.actions['is-confirmable'], true);
      assert.equal((await workspace('api')).attributes.locked, true, 'the run holds the workspace while it waits');

      const plan = (await api('GET', `/runs/${run.id}/plan`)).body.data;
      assert.match(plan.attributes['log-read-url'], /^https:\/\/localhost:\d+\/_logs\/plans\/plan-[^/]+\/\d+\/[^/?]+$/);
      const { log, reads } = await readLog(plan.attributes['log-read-url']);
      assert.equal(log.charCodeAt(0), 2, 'STX first');
      assert.ok(reads > 1, 'read in several chunks');
      assert.match(log, /"type":"version"/);
      // A forged signature is not a log.
      const forged = await server.api('GET', `${new URL(plan.attributes['log-read-url']).pathname.replace(/[^/]+$/, 'forged')}?offset=0`);
      assert.equal(forged.status, 404);

      const redacted = await api('GET', `/plans/${plan.id}/json-output-redacted`);
      assert.equal(redacted.status, 200, redacted.text);
      assert.match(redacted.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(redacted.body.resource_changes[0].address, 'terraform_data.s');
      assert.ok(redacted.body.provider_schemas['terraform.io/builtin/terraform'], 'provider schemas for the renderer');
      assert.doesNotMatch(redacted.text, /plan-secret/);
      const full = await server.api('GET', `/api/v2/plans/${plan.id}/json-output`, { token, redirect: 'follow' });
      assert.equal(full.status, 200, full.text);
      assert.equal(full.body.resource_changes[0].change.after.input, 'plan-secret', 'the full JSON plan keeps values (admins only)');

      const confirmed = await api('POST', `/runs/${run.id}/actions/apply`, { comment: 'go' });
      assert.equal(confirmed.status, 202, confirmed.text);
      const applied = await waitForStatus(run.id, ['applied', 'errored']);
      assert.equal(applied.attributes.status, 'applied');
      const applyLog = await phaseLog(run.id, 'apply');
      assert.match(applyLog, /"type":"change_summary"/);
      assert.equal((await workspace('api')).attributes.locked, false);
    });

    it('an auto-apply workspace applies its runs without confirmation', async () => {
      const { workspaceId } = await uploadConfiguration('auto', { 'auto-apply': true }, { 'main.tf': 'resource "terraform_data" "x" {\n  input = 1\n}\n' });
      const created = await api('POST', '/runs', runBody(workspaceId));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.data.attributes['auto-apply'], true);
      const run = await waitForStatus(created.body.data.id, ['applied', 'errored', 'planned']);
      assert.equal(run.attributes.status, 'applied');
      const apply = await api('GET', `/runs/${run.id}/apply`);
      assert.equal(apply.body.data.attributes['resource-additions'], 1);
    });

    it('apply -destroy destroys everything', async () => {
      const output = await terraform(main, 'apply', '-destroy', '-auto-approve', '-var', 'from_cli=other');
      assert.match(output, /Resources: 0 added, 0 changed, 3 destroyed\./);
      const [run] = await runs('w1');
      assert.equal(run.attributes['is-destroy'], true);
      assert.equal(run.attributes.status, 'applied');
      const runTokens = await server.database.db.selectFrom('tokens').select('id').where('kind', '=', 'run').execute();
      assert.deepEqual(runTokens, [], 'every run token died with its phase');
    });
  });
}
