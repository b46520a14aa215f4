import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestServer, testDatabases } from '../harness.js';
import { eventually } from '../fixtures.js';
import { acmeOwnerSandbox, cloudBlock, type TerraformSandbox } from './terraform.js';

/**
 * Terrace as the state backend of the real CLI in local execution mode (issue 5; cli-protocol.md
 * §4.4, §5): apply, state commands, outputs, locking, remote state between workspaces, destroy.
 */
const RESOURCES = `
resource "terraform_data" "a" {
  input = "alpha"
}

resource "terraform_data" "b" {
  input = terraform_data.a.output
}

output "greeting" {
  value = "hello \${terraform_data.b.output}"
}

output "numbers" {
  value = [1, 2, 3]
}

output "secret" {
  value     = "s3cr3t"
  sensitive = true
}
`;

for (const kind of testDatabases()) {
  describe(`state with the real terraform CLI [${kind}]`, () => {
    const server = new TestServer(kind);
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      await server.start();
      // Every workspace of this organization runs locally: Terrace only stores state here.
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server, { 'default-execution-mode': 'local' }));
    });
    after(async () => {
      tf?.cleanup();
      await server.stop();
    });

    function workdir(name: string, workspace: string, body: string): string {
      const dir = tf.newWorkdir(name);
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', workspace)}${body}`, dir);
      return dir;
    }

    async function terraform(dir: string, ...args: string[]): Promise<string> {
      const result = await tf.run([...args, '-no-color'], { cwd: dir });
      assert.equal(result.code, 0, `terraform ${args.join(' ')}:\n${result.output}`);
      return result.output;
    }

    async function terraformFails(dir: string, ...args: string[]): Promise<string> {
      const result = await tf.run([...args, '-no-color'], { cwd: dir });
      assert.notEqual(result.code, 0, `terraform ${args.join(' ')} should fail:\n${result.output}`);
      return result.output;
    }

    async function api(method: string, path: string, body?: unknown) {
      return server.api(method, path, { token, body });
    }

    async function currentState(workspace: string) {
      const ws = await api('GET', `/api/v2/organizations/acme/workspaces/${workspace}`);
      assert.equal(ws.status, 200, ws.text);
      const current = await api('GET', `/api/v2/workspaces/${ws.body.data.id}/current-state-version`);
      return { workspace: ws.body.data, current };
    }

    let main = '';

    it('init and apply store the state and outputs; a second plan has no changes', async () => {
      main = workdir('main', 'w1', RESOURCES);
      await terraform(main, 'init', '-input=false');
      const apply = await terraform(main, 'apply', '-auto-approve', '-input=false');
      assert.match(apply, /Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);

      const { workspace, current } = await currentState('w1');
      assert.equal(current.status, 200, current.text);
      assert.equal(current.body.data.attributes.serial, 1);
      assert.equal(workspace.attributes.locked, false, 'the CLI unlocked after the write');
      // Resources are counted in the background after the upload.
      const resources = await eventually(
        () => api('GET', `/api/v2/workspaces/${workspace.id}/resources`),
        (res) => res.status === 200 && res.body.data.length === 2,
        'the resources counted in the background after the upload',
      );
      assert.deepEqual(resources.body.data.map((r: any) => r.attributes.address).sort(), ['terraform_data.a', 'terraform_data.b']);

      const plan = await tf.run(['plan', '-detailed-exitcode', '-input=false', '-no-color'], { cwd: main });
      assert.equal(plan.code, 0, `no changes expected:\n${plan.output}`);
      assert.match(plan.output, /No changes/);
    });

    it('output reads the outputs, including the sensitive one, from the server', async () => {
      const outputs = JSON.parse(await terraform(main, 'output', '-json'));
      assert.deepEqual(outputs.greeting, { sensitive: false, type: 'string', value: 'hello alpha' });
      assert.deepEqual(outputs.numbers.value, [1, 2, 3]);
      assert.deepEqual(outputs.secret, { sensitive: true, type: 'string', value: 's3cr3t' });
      assert.match(await terraform(main, 'output', 'secret'), /<sensitive>|s3cr3t/);
    });

    it('state list, show and pull read the stored state', async () => {
      assert.deepEqual((await terraform(main, 'state', 'list')).trim().split('\n'), ['terraform_data.a', 'terraform_data.b']);
      assert.match(await terraform(main, 'state', 'show', 'terraform_data.a'), /input\s+= "alpha"/);
      const pulled = JSON.parse(await terraform(main, 'state', 'pull'));
      assert.equal(pulled.serial, 1);
      assert.equal(pulled.resources.length, 2);
    });

    it('state mv and rm write new state versions with growing serials', async () => {
      await terraform(main, 'state', 'mv', 'terraform_data.b', 'terraform_data.c');
      assert.deepEqual((await terraform(main, 'state', 'list')).trim().split('\n'), ['terraform_data.a', 'terraform_data.c']);
      await terraform(main, 'state', 'rm', 'terraform_data.c');
      assert.deepEqual((await terraform(main, 'state', 'list')).trim().split('\n'), ['terraform_data.a']);
      const { current } = await currentState('w1');
      assert.equal(current.body.data.attributes.serial, 3);
      // Put b back for the tests that follow.
      const apply = await terraform(main, 'apply', '-auto-approve', '-input=false');
      assert.match(apply, /1 added/);
    });

    it('state push of an older serial is refused; the stored state stays', async () => {
      const pulled = JSON.parse(await terraform(main, 'state', 'pull'));
      const older = { ...pulled, serial: pulled.serial - 2 };
      const file = join(tf.newWorkdir('push'), 'older.tfstate');
      writeFileSync(file, JSON.stringify(older));
      const output = await terraformFails(main, 'state', 'push', file);
      assert.match(output, /serial/);
      assert.equal(JSON.parse(await terraform(main, 'state', 'pull')).serial, pulled.serial);

      // The same state with a higher serial is accepted (the CLI sends the file's serial + 1, §4.4).
      writeFileSync(file, JSON.stringify({ ...pulled, serial: pulled.serial + 5 }));
      await terraform(main, 'state', 'push', file);
      assert.equal(JSON.parse(await terraform(main, 'state', 'pull')).serial, pulled.serial + 6);
    });

    it('state push -force of another lineage is refused with what to do, and the lock Terraform keeps can be released', async () => {
      const pulled = JSON.parse(await terraform(main, 'state', 'pull'));
      const foreign = { ...pulled, lineage: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', serial: 1 };
      const file = join(tf.newWorkdir('push-force'), 'foreign.tfstate');
      writeFileSync(file, JSON.stringify(foreign));
      // Terraform 1.11's cloud block sends "force": false even with -force (cli-protocol.md §5.2).
      const output = await terraformFails(main, 'state', 'push', '-force', file);
      assert.match(output, /lineage provided in the state file does not match/);
      assert.match(output, /force-unlock/);
      assert.match(output, /init -migrate-state/);
      // Terraform keeps the workspace locked after a failed state upload, on purpose.
      assert.equal((await currentState('w1')).workspace.attributes.locked, true);
      await terraform(main, 'force-unlock', '-force', 'acme/w1');
      assert.equal((await currentState('w1')).workspace.attributes.locked, false);
      assert.equal(JSON.parse(await terraform(main, 'state', 'pull')).lineage, pulled.lineage);
    });

    it('a second apply is refused while the first holds the lock; force-unlock releases a stale lock', async () => {
      // The first apply holds the lock until the test has seen the second refused (at most 30 s).
      const slowDir = workdir(
        'slow',
        'w1',
        `${RESOURCES}
resource "terraform_data" "slow" {
  triggers_replace = [timestamp()]
  provisioner "local-exec" {
    command = "for i in $(seq 300); do [ -e release ] && exit 0; sleep 0.1; done; exit 1"
  }
}
`,
      );
      await terraform(slowDir, 'init', '-input=false');
      const first = tf.start(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: slowDir });
      first.child.stdin?.end();
      await first.waitFor(/terraform_data\.slow: Creating/);
      const refused = await terraformFails(main, 'apply', '-auto-approve', '-input=false');
      assert.match(refused, /Error acquiring the state lock|already locked/);
      writeFileSync(join(slowDir, 'release'), '');
      const firstResult = await first.result;
      assert.equal(firstResult.code, 0, firstResult.output);

      // A lock left behind (as after a failed upload): only force-unlock with the org/workspace ID releases it.
      const { workspace } = await currentState('w1');
      const locked = await api('POST', `/api/v2/workspaces/${workspace.id}/actions/lock`, { data: { type: '', attributes: { reason: 'stale' } } });
      assert.equal(locked.status, 200, locked.text);
      assert.match(await terraformFails(main, 'apply', '-auto-approve', '-input=false'), /already locked/);
      await terraform(main, 'force-unlock', '-force', 'acme/w1');
      assert.equal((await currentState('w1')).workspace.attributes.locked, false);
      await terraform(main, 'apply', '-auto-approve', '-input=false');
    });

    it('terraform_remote_state reads the outputs of another workspace', async () => {
      const reader = workdir(
        'reader',
        'w2',
        `
data "terraform_remote_state" "w1" {
  backend = "remote"
  config = {
    hostname     = ${JSON.stringify(server.hostname)}
    organization = "acme"
    workspaces = {
      name = "w1"
    }
  }
}

output "from_w1" {
  value = data.terraform_remote_state.w1.outputs.greeting
}
`,
      );
      await terraform(reader, 'init', '-input=false');
      await terraform(reader, 'apply', '-auto-approve', '-input=false');
      assert.equal(JSON.parse(await terraform(reader, 'output', '-json')).from_w1.value, 'hello alpha');
    });

    it('workspace new, list, select and delete', async () => {
      const tagged = tf.newWorkdir('tagged');
      tf.writeFile(
        'main.tf',
        `terraform {
  cloud {
    hostname     = ${JSON.stringify(server.hostname)}
    organization = "acme"
    workspaces {
      tags = ["state-e2e"]
    }
  }
}
${RESOURCES}`,
        tagged,
      );
      // No workspace carries the tag yet: init asks for the name of one to create.
      const init = tf.start(['init', '-no-color'], { cwd: tagged });
      await init.waitFor(/Enter a value:/);
      init.write('e2e-one\n');
      const initResult = await init.result;
      assert.equal(initResult.code, 0, initResult.output);
      await terraform(tagged, 'apply', '-auto-approve', '-input=false');
      await terraform(tagged, 'workspace', 'new', 'e2e-two');
      assert.match(await terraform(tagged, 'workspace', 'list'), /e2e-one[\s\S]*\* e2e-two/);
      await terraform(tagged, 'workspace', 'select', 'e2e-one');
      assert.deepEqual((await terraform(tagged, 'state', 'list')).trim().split('\n'), ['terraform_data.a', 'terraform_data.b']);
      // e2e-two has no state: deleting it needs no -force.
      await terraform(tagged, 'workspace', 'delete', 'e2e-two');
      assert.equal((await api('GET', '/api/v2/organizations/acme/workspaces/e2e-two')).status, 404);
      // e2e-one manages resources: the CLI refuses to delete it without -force (cli-protocol.md §4.4).
      await terraform(tagged, 'workspace', 'new', 'e2e-three');
      assert.match(await terraformFails(tagged, 'workspace', 'delete', 'e2e-one'), /Workspace is not empty/);
      await terraform(tagged, 'workspace', 'delete', '-force', 'e2e-one');
      assert.equal((await api('GET', '/api/v2/organizations/acme/workspaces/e2e-one')).status, 404);
    });

    it('init moves a local state into a workspace when the cloud block is added (README)', async () => {
      const dir = tf.newWorkdir('migrate');
      tf.writeFile('main.tf', RESOURCES, dir);
      await terraform(dir, 'init', '-input=false');
      await terraform(dir, 'apply', '-auto-approve', '-input=false');
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', 'migrated')}${RESOURCES}`, dir);
      // With a cloud block, plain `init` offers the migration (it refuses -migrate-state and -force-copy).
      const init = tf.start(['init', '-no-color'], { cwd: dir });
      await init.waitFor(/Enter a value:/);
      init.write('yes\n');
      const initResult = await init.result;
      assert.equal(initResult.code, 0, initResult.output);
      assert.match(initResult.output, /successfully initialized/);
      const pulled = JSON.parse(await terraform(dir, 'state', 'pull'));
      assert.equal(pulled.resources.length, 2);
      const { current } = await currentState('migrated');
      assert.equal(current.status, 200, current.text);
      const plan = await tf.run(['plan', '-detailed-exitcode', '-input=false', '-no-color'], { cwd: dir });
      assert.equal(plan.code, 0, `the migrated state matches the configuration:\n${plan.output}`);
    });

    it('destroy empties the state', async () => {
      const output = await terraform(main, 'destroy', '-auto-approve', '-input=false');
      assert.match(output, /Destroy complete! Resources: \d+ destroyed/);
      assert.equal(JSON.parse(await terraform(main, 'state', 'pull')).resources.length, 0);
      const { workspace } = await eventually(
        () => currentState('w1'),
        (state) => state.workspace.attributes['resource-count'] === 0,
        'the resource count after the destroy',
      );
      assert.equal(workspace.attributes['resource-count'], 0);
    });
  });
}
