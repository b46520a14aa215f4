import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { publishModule } from '../../src/registry-modules/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, recordRequests, type TerraformSandbox } from './terraform.js';

/**
 * The private module registry with the real CLI (issue 20): `terraform init` installs a module
 * published through the API, on this machine and in a remote run (with the run's own token).
 */

const COMMAND_TIMEOUT_MS = 180_000;

for (const kind of testDatabases()) {
  describe(`registry modules with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    // Terraform refuses a registry host name without a dot (localhost): the IP address is one.
    const recorder = recordRequests();
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '2' }, publicHost: '127.0.0.1', logStream: recorder.logStream });
    let tf: TerraformSandbox;
    let token = '';

    before(async () => {
      await server.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
      const published = await publishModule(server, token, 'acme', { name: 'greeter', provider: 'null', version: '1.2.0' });
      assert.equal(published.uploadStatus, 200, published.uploadText);
    });
    after(async () => {
      tf?.cleanup();
      await server.stop();
    });

    const usage = () => `
module "greeter" {
  source  = "${server.hostname}/acme/greeter/null"
  version = "~> 1.2"
  name    = "terrace"
}

output "sentence" {
  value = module.greeter.sentence
}
`;

    async function terraform(dir: string, ...args: string[]): Promise<string> {
      const result = await tf.run([...args, '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(result.code, 0, `terraform ${args.join(' ')}:\n${result.output}`);
      return result.output;
    }

    it('installs the module locally with the caller token', async () => {
      const dir = tf.newWorkdir('local');
      tf.writeFile('main.tf', usage(), dir);
      const init = await terraform(dir, 'init', '-input=false');
      assert.ok(init.includes(`Downloading ${server.hostname}/acme/greeter/null 1.2.0 for greeter`), init);
      const apply = await terraform(dir, 'apply', '-auto-approve');
      assert.match(apply, /sentence = "hello, terrace"/);
    });

    it('installs the module in a remote run, with the run token', async () => {
      const dir = tf.newWorkdir('remote');
      tf.writeFile('main.tf', `${cloudBlock(server.hostname, 'acme', 'uses-registry')}${usage()}`, dir);
      // Without the modules the local init installed, so that the run's own init must download it.
      tf.writeFile('.terraformignore', '.terraform/\n', dir);
      await terraform(dir, 'init', '-input=false');
      const downloads = () => recorder.requests.filter((r) => r.path.endsWith('/acme/greeter/null/1.2.0/download') && r.status === 204).length;
      const before = downloads();
      const apply = await terraform(dir, 'apply', '-auto-approve');
      // The plan's and the apply's init, each in its own working directory.
      assert.equal(downloads(), before + 2, 'the run downloaded the module itself');
      // The run's own init, in Terrace, downloaded the module: its log is what the CLI streams.
      assert.match(apply, /Apply complete! Resources: 1 added/);
      assert.match(apply, /sentence = "hello, terrace"/);
    });
  });
}
