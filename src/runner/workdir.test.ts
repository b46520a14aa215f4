import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidError } from '../errors.js';
import { runTerraform } from './terraform-process.js';
import {
  copyCaCertificate,
  createRunFile,
  createWorkdir,
  DEFAULT_RUN_PATH,
  handOver,
  openRunFile,
  prepareRunDir,
  hclString,
  type RunVariable,
  runEnvironment,
  terraformVariablesFiles,
  tokenVariableName,
  writeCliConfig,
  writeTerraformVariables,
} from './workdir.js';

const parent = join(mkdtempSync(join(tmpdir(), 'terrace-workdir-')), 'runs');
after(() => rmSync(join(parent, '..'), { recursive: true, force: true }));

const run = { id: 'run-abc123', workspaceName: 'prod-net', organizationName: 'acme', projectName: 'Default Project' };
const mode = (path: string) => statSync(path).mode & 0o777;

/** Every character HCL's string syntax treats specially, and some it does not. */
const TRICKY =
  `quote " backslash \\ newline \n tab \t cr \r interp \${var.x} directive %{ if true }x%{ endif } ` +
  `escaped $\${ and %%{ lone $ and % and $$ and %% end$ unicode ü ✓ 🎉 control \u0001 del \u007f c1 \u0085`;

describe('createWorkdir', () => {
  it('creates a fresh private directory per run, and removes it', async () => {
    const first = await createWorkdir(parent, run.id);
    const second = await createWorkdir(parent, run.id);
    assert.notEqual(first.root, second.root);
    assert.ok(first.root.startsWith(join(parent, `${run.id}-`)));
    // The base lets a run's uid through to its own directory, without listing the others.
    assert.equal(mode(parent), 0o711);
    for (const dir of [first.root, first.configDir, first.homeDir, first.tmpDir]) assert.equal(mode(dir), 0o700, dir);
    writeFileSync(join(first.configDir, 'main.tf'), '');
    await first.remove();
    assert.equal(existsSync(first.root), false);
    assert.equal(existsSync(second.root), true);
    await second.remove();
  });

  it('refuses a run id that is not a plain name', async () => {
    for (const id of ['../run-x', 'run/x', '.hidden', '']) await assert.rejects(createWorkdir(parent, id), { message: `not a run id: ${id}` });
  });
});

describe('the run directories', () => {
  const isRoot = process.getuid?.() === 0;

  it('starts empty, 0711, of this user: what a dead server left is removed', async () => {
    const base = join(parent, '..', 'base');
    mkdirSync(join(base, 'run-old-x', 'config'), { recursive: true, mode: 0o700 });
    writeFileSync(join(base, 'run-old-x', 'terraform.rc'), 'token');
    // A run may have taken its own write permission away.
    chmodSync(join(base, 'run-old-x', 'config'), 0o500);
    chmodSync(join(base, 'run-old-x'), 0o500);
    await prepareRunDir(base);
    assert.deepEqual(readdirSync(base), []);
    assert.equal(mode(base), 0o711);
    const link = join(parent, '..', 'base-link');
    symlinkSync(base, link);
    await assert.rejects(prepareRunDir(link), /is not a directory of this user/);
  });

  it('hands what the server wrote to the run uid without following links, and copies the CA in', { skip: !isRoot && 'needs root' }, async () => {
    const workdir = await createWorkdir(parent, run.id);
    const outside = join(parent, '..', 'server-file');
    writeFileSync(outside, 'server', { mode: 0o600 });
    symlinkSync(outside, join(workdir.configDir, 'link'));
    writeFileSync(join(workdir.configDir, 'main.tf'), '');
    const ca = join(parent, '..', 'ca.pem');
    writeFileSync(ca, 'CA', { mode: 0o600 });
    const copied = await copyCaCertificate(workdir, ca);
    await handOver(workdir, 64290);
    for (const path of [workdir.root, workdir.configDir, join(workdir.configDir, 'main.tf'), copied]) assert.equal(lstatSync(path).uid, 64290, path);
    assert.equal(lstatSync(join(workdir.configDir, 'link')).uid, 64290, 'the link itself');
    assert.equal(statSync(outside).uid, 0, 'never what it points at');
    assert.equal(mode(copied), 0o644);
    assert.equal(readFileSync(copied, 'utf8'), 'CA');
    await workdir.remove();
  });

  it('reads a run file only if it really lies in the run directory, and writes only new files', async () => {
    const workdir = await createWorkdir(parent, run.id);
    const secret = join(parent, '..', 'encryption.key');
    writeFileSync(secret, 'the key');
    writeFileSync(join(workdir.root, 'plan.tfplan'), 'plan');
    assert.equal(await text(await openRunFile(workdir, join(workdir.root, 'plan.tfplan'))), 'plan');
    // What a run's code could leave where the server reads: a link, a linked directory above, a FIFO.
    symlinkSync(secret, join(workdir.configDir, '.terraform.lock.hcl'));
    await assert.rejects(openRunFile(workdir, join(workdir.configDir, '.terraform.lock.hcl')), { code: 'ELOOP' });
    symlinkSync(join(parent, '..'), join(workdir.configDir, 'up'));
    await assert.rejects(openRunFile(workdir, join(workdir.configDir, 'up', 'encryption.key')), /is not a file of the run's directory/);
    mkdirSync(join(workdir.configDir, 'dir'));
    await assert.rejects(openRunFile(workdir, join(workdir.configDir, 'dir')), /is not a file of the run's directory/);

    symlinkSync(secret, join(workdir.root, 'saved.tfplan'));
    await assert.rejects(createRunFile(join(workdir.root, 'saved.tfplan'), undefined), { code: 'EEXIST' });
    assert.equal(readFileSync(secret, 'utf8'), 'the key');
    const stream = await createRunFile(join(workdir.root, 'new.tfplan'), isRoot ? 64290 : undefined);
    await new Promise<void>((resolve, reject) => stream.end('new', (err?: Error | null) => (err ? reject(err) : resolve())));
    assert.equal(readFileSync(join(workdir.root, 'new.tfplan'), 'utf8'), 'new');
    assert.equal(mode(join(workdir.root, 'new.tfplan')), 0o600);
    if (isRoot) assert.equal(statSync(join(workdir.root, 'new.tfplan')).uid, 64290);
    await workdir.remove();
  });
});

describe('terraform variables', () => {
  it('quotes strings as HCL literals', () => {
    assert.equal(hclString('plain'), '"plain"');
    assert.equal(hclString('a"b\\c\nd\te\rf'), '"a\\"b\\\\c\\nd\\te\\rf"');
    assert.equal(hclString(`\${x} %{y} $\${z} $ % $x`), `"$\${x} %%{y} $$\${z} $ % $x"`);
    assert.equal(hclString('\u0001\u001f\u007f\u0085 ü'), '"\\u0001\\u001f\\u007f\\u0085 ü"');
  });

  it('writes HCL values as they are and everything else quoted; env variables stay out', () => {
    const variables: RunVariable[] = [
      { key: 'region', value: 'eu-west-1', hcl: false, category: 'terraform' },
      { key: 'tags', value: '{ env = "prod" }', hcl: true, category: 'terraform' },
      { key: 'AWS_REGION', value: 'secret', hcl: false, category: 'env' },
    ];
    assert.deepEqual(terraformVariablesFiles(variables), { hcl: 'region = "eu-west-1"\ntags = { env = "prod" }\n', json: null });
  });

  it('writes keys that are no identifier to JSON, where they cannot inject HCL', () => {
    const variables: RunVariable[] = [
      { key: 'a = 1\nb', value: 'x', hcl: false, category: 'terraform' },
      { key: '0b4e6f9c-uuid', value: '{ not = hcl', hcl: true, category: 'terraform' },
      { key: 'plain', value: 'y', hcl: false, category: 'terraform' },
    ];
    const files = terraformVariablesFiles(variables);
    assert.equal(files.hcl, 'plain = "y"\n');
    assert.deepEqual(JSON.parse(files.json ?? ''), { 'a = 1\nb': 'x', '0b4e6f9c-uuid': '{ not = hcl' });
  });
});

describe('run environment', () => {
  it('names TF_TOKEN_ variables as the CLI reads them, and not for hosts it cannot name', () => {
    assert.equal(tokenVariableName('app.terraform.io'), 'TF_TOKEN_app_terraform_io');
    assert.equal(tokenVariableName('my-host.example.com'), 'TF_TOKEN_my__host_example_com');
    assert.equal(tokenVariableName('café.fr'), 'TF_TOKEN_xn____caf__dma_fr');
    assert.equal(tokenVariableName('localhost:8443'), undefined);
    assert.equal(tokenVariableName('127.0.0.1'), undefined);
    assert.equal(tokenVariableName('[::1]:8443'), undefined);
  });

  it('is built from scratch: env variables, then the values Terrace sets, which win', async () => {
    const workdir = await createWorkdir(parent, run.id);
    const env = runEnvironment({
      workdir,
      variables: [
        { key: 'AWS_REGION', value: 'eu-west-1', hcl: false, category: 'env' },
        { key: 'TF_CLI_CONFIG_FILE', value: '/etc/elsewhere', hcl: false, category: 'env' },
        { key: 'TFC_RUN_ID', value: 'run-forged', hcl: false, category: 'env' },
        { key: 'region', value: 'not-in-env', hcl: false, category: 'terraform' },
      ],
      run,
      hostname: 'terrace.example.com',
      token: 'per-run-token',
      cliConfigFile: join(workdir.root, 'terraform.rc'),
      caFile: '/etc/terrace/ca.pem',
      debugging: true,
    });
    assert.deepEqual(env, {
      AWS_REGION: 'eu-west-1',
      TFC_RUN_ID: 'run-abc123',
      TF_VAR_TFC_RUN_ID: 'run-abc123',
      TFC_WORKSPACE_NAME: 'prod-net',
      TF_VAR_TFC_WORKSPACE_NAME: 'prod-net',
      TFC_WORKSPACE_SLUG: 'acme/prod-net',
      TF_VAR_TFC_WORKSPACE_SLUG: 'acme/prod-net',
      TFC_PROJECT_NAME: 'Default Project',
      TF_VAR_TFC_PROJECT_NAME: 'Default Project',
      PATH: DEFAULT_RUN_PATH,
      HOME: workdir.homeDir,
      TMPDIR: workdir.tmpDir,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      TF_CLI_CONFIG_FILE: join(workdir.root, 'terraform.rc'),
      TF_TOKEN_terrace_example_com: 'per-run-token',
      SSL_CERT_FILE: '/etc/terrace/ca.pem',
      TF_LOG: 'TRACE',
    });
    const withPort = runEnvironment({ workdir, variables: [], run, hostname: 'localhost:8443', token: 't', cliConfigFile: 'rc' });
    assert.deepEqual(
      Object.keys(withPort).filter((name) => name.startsWith('TF_TOKEN_') || name === 'SSL_CERT_FILE' || name === 'TF_LOG'),
      [],
    );
    assert.throws(
      () =>
        runEnvironment({
          workdir,
          variables: [{ key: 'BAD-NAME', value: 'x', hcl: false, category: 'env' }],
          run,
          hostname: 'h',
          token: 't',
          cliConfigFile: 'rc',
        }),
      InvalidError,
    );
    await workdir.remove();
  });

  it('writes a CLI configuration with the token for a host with a port, which terraform reads without complaint', async () => {
    const workdir = await createWorkdir(parent, run.id);
    const file = await writeCliConfig(workdir, 'localhost:8443', 'to"ken');
    assert.equal(readFileSync(file, 'utf8'), 'credentials "localhost:8443" {\n  token = "to\\"ken"\n}\n');
    assert.equal(mode(file), 0o600);
    const output: Buffer[] = [];
    const env = runEnvironment({ workdir, variables: [], run, hostname: 'localhost:8443', token: 'to"ken', cliConfigFile: file });
    const exit = await runTerraform({ args: ['version'], cwd: workdir.configDir, env, onOutput: (chunk) => output.push(chunk) });
    assert.equal(exit.exitCode, 0);
    assert.doesNotMatch(Buffer.concat(output).toString(), /problems with the CLI configuration/);
    await workdir.remove();
  });
});

describe('a run with the real terraform', () => {
  it('gets every variable value intact, env variables in its environment and nothing of the server', async () => {
    process.env.TERRACE_TEST_SECRET = 'server-only';
    const workdir = await createWorkdir(parent, run.id);
    try {
      writeFileSync(
        join(workdir.configDir, 'main.tf'),
        `
variable "tricky" {}
variable "empty" {}
variable "number_from_string" { type = number }
variable "number" { type = number }
variable "list" { type = list(string) }
variable "object" {}
variable "heredoc" {}
variable "TFC_RUN_ID" {}
variable "TFC_WORKSPACE_SLUG" {}
resource "terraform_data" "env" {
  provisioner "local-exec" {
    command = "env > \${path.module}/env.out"
  }
}
output "tricky" { value = var.tricky }
output "empty" { value = var.empty }
output "number_from_string" { value = var.number_from_string }
output "number" { value = var.number }
output "list" { value = var.list }
output "object" { value = var.object }
output "heredoc" { value = var.heredoc }
output "run_id" { value = var.TFC_RUN_ID }
output "slug" { value = var.TFC_WORKSPACE_SLUG }
`,
      );
      // A *.auto.tfvars of the configuration that the workspace's values must overwrite (variables/index.mdx, 14).
      writeFileSync(join(workdir.configDir, 'zzz.auto.tfvars'), 'number = 1\n');
      const variables: RunVariable[] = [
        { key: 'tricky', value: TRICKY, hcl: false, category: 'terraform' },
        { key: 'empty', value: '', hcl: false, category: 'terraform' },
        { key: 'number_from_string', value: '7', hcl: false, category: 'terraform' },
        { key: 'number', value: '42', hcl: true, category: 'terraform' },
        { key: 'list', value: '["a", "b"]', hcl: true, category: 'terraform' },
        { key: 'object', value: '{\n  a = "b"\n  c = 1\n}', hcl: true, category: 'terraform' },
        { key: 'heredoc', value: '<<EOT\nline one\n  line "two"\nEOT', hcl: true, category: 'terraform' },
        { key: 'RUN_SECRET', value: 'from-the-workspace', hcl: false, category: 'env' },
        // HCP Terraform takes such keys; no configuration declares them, terraform only warns.
        { key: '3f1c2a9e-0d4b-4c55-9a57-1f0e6c2b7d11', value: 'undeclared', hcl: false, category: 'terraform' },
      ];
      const varFiles = await writeTerraformVariables(workdir, variables);
      assert.equal(varFiles.length, 2);
      for (const file of varFiles) assert.equal(mode(file), 0o600);
      const cliConfigFile = await writeCliConfig(workdir, 'terrace.example.com', 'per-run-token');
      const env = runEnvironment({ workdir, variables, run, hostname: 'terrace.example.com', token: 'per-run-token', cliConfigFile });
      const terraform = async (args: string[]) => {
        const output: Buffer[] = [];
        const exit = await runTerraform({ args, cwd: workdir.configDir, env, timeoutMs: 60_000, onOutput: (chunk) => output.push(chunk) });
        const text = Buffer.concat(output).toString();
        assert.equal(exit.exitCode, 0, text);
        return text;
      };
      await terraform(['init', '-input=false', '-no-color']);
      const applied = await terraform(['apply', '-auto-approve', '-input=false', '-no-color', ...varFiles.map((file) => `-var-file=${file}`)]);
      assert.match(applied, /declare a variable named\s+"3f1c2a9e-0d4b-4c55-9a57-1f0e6c2b7d11"/);
      const outputs = JSON.parse(await terraform(['output', '-json']));
      const values = Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, (output as { value: unknown }).value]));
      assert.deepEqual(values, {
        tricky: TRICKY,
        empty: '',
        number_from_string: 7,
        number: 42,
        list: ['a', 'b'],
        object: { a: 'b', c: 1 },
        heredoc: 'line one\n  line "two"\n',
        run_id: 'run-abc123',
        slug: 'acme/prod-net',
      });
      const runEnv = readFileSync(join(workdir.configDir, 'env.out'), 'utf8');
      assert.match(runEnv, /^RUN_SECRET=from-the-workspace$/m);
      assert.match(runEnv, /^TF_TOKEN_terrace_example_com=per-run-token$/m);
      assert.doesNotMatch(runEnv, /TERRACE_TEST_SECRET|server-only/);
    } finally {
      delete process.env.TERRACE_TEST_SECRET;
      await workdir.remove();
    }
  });

  it('stops a running apply gracefully on cancel', async () => {
    const workdir = await createWorkdir(parent, run.id);
    try {
      writeFileSync(join(workdir.configDir, 'main.tf'), 'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 60"\n  }\n}\n');
      const env = runEnvironment({
        workdir,
        variables: [],
        run,
        hostname: 'terrace.example.com',
        token: 't',
        cliConfigFile: await writeCliConfig(workdir, 'h', 't'),
      });
      const controller = new AbortController();
      const output: Buffer[] = [];
      const started = Date.now();
      const exit = await runTerraform({
        args: ['apply', '-auto-approve', '-input=false', '-no-color'],
        cwd: workdir.configDir,
        env,
        signal: controller.signal,
        onOutput: (chunk) => {
          output.push(chunk);
          if (/Provisioning with 'local-exec'/.test(Buffer.concat(output).toString())) controller.abort();
        },
      });
      const text = Buffer.concat(output).toString();
      // Terraform handled the interrupt itself: an exit code, no SIGKILL, long before the sleep ends.
      assert.equal(exit.canceled, true);
      assert.equal(exit.signal, null, text);
      assert.equal(exit.exitCode, 1, text);
      assert.match(text, /Interrupt received/);
      assert.ok(Date.now() - started < 30_000);
    } finally {
      await workdir.remove();
    }
  });
});
