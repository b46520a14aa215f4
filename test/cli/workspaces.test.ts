import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../harness.js';
import { acmeOwnerSandbox, recordRequests, type TerraformSandbox } from './terraform.js';

/** The three workspace mappings of a cloud block, driven through init and the workspace commands (cli-protocol.md §4.1–4.3). */
describe('workspaces with the real terraform CLI', () => {
  const recorder = recordRequests();
  const server = new TestServer('pglite', { logStream: recorder.logStream });
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

  function workdir(name: string, workspaces: string): string {
    const block = `terraform {
  cloud {
    hostname     = ${JSON.stringify(server.hostname)}
    organization = "acme"
    workspaces {
      ${workspaces}
    }
  }
}
`;
    return tf.writeFile('main.tf', block, tf.newWorkdir(name));
  }

  /** Runs a command that must succeed; returns its output and the requests it made (`METHOD path status`). */
  async function terraform(dir: string, ...args: string[]): Promise<{ output: string; requests: string[] }> {
    const first = recorder.requests.length;
    const result = await tf.run([...args, '-no-color'], { cwd: dir });
    assert.equal(result.code, 0, `terraform ${args.join(' ')}:\n${result.output}`);
    return { output: result.output, requests: recorder.requests.slice(first).map((r) => `${r.method} ${r.path} ${r.status}`) };
  }

  async function workspace(name: string) {
    const res = await server.api('GET', `/api/v2/organizations/acme/workspaces/${name}`, { token });
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  }

  async function createWorkspace(name: string, relationships: Record<string, unknown>): Promise<void> {
    const res = await server.api('POST', '/api/v2/organizations/acme/workspaces', {
      token,
      body: { data: { type: 'workspaces', attributes: { name }, relationships } },
    });
    assert.equal(res.status, 201, res.text);
  }

  const created = (requests: string[]) => requests.filter((r) => /^(POST|PATCH) /.test(r));

  it('name strategy: init creates the workspace at the CLI version; list and select show it; new is refused', async () => {
    const dir = workdir('name', 'name = "w1"');
    const init = await terraform(dir, 'init', '-input=false');
    assert.match(init.output, /HCP Terraform has been successfully initialized/);
    assert.deepEqual(created(init.requests), ['POST /api/v2/organizations/acme/workspaces 201', `PATCH /api/v2/workspaces/${(await workspace('w1')).id} 200`]);
    const w1 = await workspace('w1');
    assert.equal(w1.attributes['terraform-version'], '1.11.4');
    assert.equal(w1.attributes['execution-mode'], 'remote');

    assert.deepEqual(created((await terraform(dir, 'init', '-input=false')).requests), [], 'an existing workspace is used as it is');
    assert.match((await terraform(dir, 'workspace', 'list')).output, /^\* w1$/m);
    await terraform(dir, 'workspace', 'select', 'w1');
    assert.equal((await terraform(dir, 'workspace', 'show')).output.trim(), 'w1');
    const refused = await tf.run(['workspace', 'new', 'w2', '-no-color'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.output, /workspaces not supported/);
  });

  it('tags set form: init creates a tagged workspace on request; new, list and select see only tagged ones', async () => {
    await createWorkspace('untagged', {});
    await createWorkspace('db-only', { tags: { data: [{ type: 'tags', attributes: { name: 'db' } }] } });
    const dir = workdir('set', 'tags = ["app"]');
    const prompt = tf.start(['init', '-no-color'], { cwd: dir });
    await prompt.waitFor(/There are no workspaces with the configured tags \(app\)[\s\S]*Enter a value:/);
    prompt.write('app1\n');
    const init = await prompt.result;
    assert.equal(init.code, 0, init.output);
    assert.match(init.output, /HCP Terraform has been successfully initialized/);
    const app1 = await workspace('app1');
    assert.deepEqual(app1.attributes['tag-names'], ['app']);
    const bindings = await server.api('GET', `/api/v2/workspaces/${app1.id}/tag-bindings`, { token });
    assert.deepEqual(
      bindings.body.data.map((b: any) => [b.attributes.key, b.attributes.value]),
      [['app', '']],
      'the CLI synced the key-only binding',
    );

    const created2 = await terraform(dir, 'workspace', 'new', 'app2');
    assert.match(created2.output, /Created and switched to workspace "app2"/);
    assert.deepEqual((await workspace('app2')).attributes['tag-names'], ['app']);
    assert.equal((await terraform(dir, 'workspace', 'list')).output.trim(), 'app1\n* app2');
    await terraform(dir, 'workspace', 'select', 'app1');
    assert.equal((await terraform(dir, 'workspace', 'show')).output.trim(), 'app1');
    const again = await terraform(dir, 'init', '-input=false');
    assert.ok(again.requests.includes(`GET /api/v2/workspaces/${app1.id}/tag-bindings 200`));
    assert.deepEqual(created(again.requests), [], 'tags in sync: no PATCH on every command');
    const missing = await tf.run(['workspace', 'select', 'db-only', '-no-color'], { cwd: dir });
    assert.equal(missing.code, 1, missing.output);
  });

  it('tags map form: init selects the workspace with the binding; new creates one with it; list filters by value', async () => {
    const binding = (value: string) => ({ 'tag-bindings': { data: [{ type: 'tag-bindings', attributes: { key: 'env', value } }] } });
    await createWorkspace('prod-old', binding('prod'));
    await createWorkspace('dev-old', binding('dev'));
    const dir = workdir('map', 'tags = { env = "prod" }');
    await terraform(dir, 'init', '-input=false');
    assert.equal((await terraform(dir, 'workspace', 'list')).output.trim(), '* prod-old');

    const created2 = await terraform(dir, 'workspace', 'new', 'prod-new');
    assert.match(created2.output, /Created and switched to workspace "prod-new"/);
    const prodNew = await workspace('prod-new');
    const bindings = await server.api('GET', `/api/v2/workspaces/${prodNew.id}/tag-bindings`, { token });
    assert.deepEqual(
      bindings.body.data.map((b: any) => [b.attributes.key, b.attributes.value]),
      [['env', 'prod']],
    );
    assert.equal((await terraform(dir, 'workspace', 'list')).output.trim(), '* prod-new\n  prod-old');
    await terraform(dir, 'workspace', 'select', 'prod-old');
    assert.equal((await terraform(dir, 'workspace', 'show')).output.trim(), 'prod-old');
    assert.deepEqual(created((await terraform(dir, 'init', '-input=false')).requests), []);
  });
});
