// run-tests: one job per database
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { forEachDatabase, type TestServer } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/**
 * Sensitive values in real runs (issue 13): whatever encoding terraform gives a secret in its output,
 * the stored logs never hold it, and the plan's artifacts at rest (plan JSON, saved plan, lock file)
 * are sealed. Runs with the real terraform, through the API.
 */

/** Go's encoding/json writes `&`, `<` and `>` as \u0026, \u003c and \u003e in `-json` lines. */
const TF_SECRET = 'S3NSITIVE-TF-p4ss&<w>';
/** The CLI renders a string with Go's %q, which writes the no-break space as \u00a0 (JSON would not escape it). */
const QUOTED_SECRET = 'Qu0ted\u00a0s3cret-v4lue';
const ENV_SECRET = 'TF-ENV-S3CRET-0123456789-abcdefghijklmnop';

/** HCL declaring the string variable `name` sensitive, as the variable the test adds to the workspace is. */
function sensitiveVariable(name: string): string {
  return `variable "${name}" {
  type      = string
  sensitive = true
}
`;
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The stored plan artifacts as they lie at rest: files, or the chunks of the database blob store. */
async function storedPlanArtifacts(server: TestServer): Promise<{ key: string; bytes: Buffer }[]> {
  if (server.config.blobStore === 'filesystem') {
    return filesUnder(join(server.config.dataDir, 'blobs', 'plans')).map((path) => ({ key: path, bytes: readFileSync(path) }));
  }
  const rows = await server.database.db
    .selectFrom('blobs')
    .innerJoin('blob_chunks', 'blob_chunks.upload_id', 'blobs.upload_id')
    .select(['blobs.key', 'blob_chunks.data'])
    .where('blobs.key', 'like', 'plans/%')
    .execute();
  return rows.map((row) => ({ key: row.key, bytes: Buffer.from(row.data) }));
}

forEachDatabase(
  'secrets in real runs',
  (server) => {
    const world = new RunWorld(server);
    before(() => world.setUp());

    async function addVariable(workspaceId: string, attributes: Record<string, unknown>) {
      const res = await world.api('POST', `/workspaces/${workspaceId}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { sensitive: true, ...attributes } },
      });
      assert.equal(res.status, 201, res.text);
    }

    /** Uploads `files` and runs them to the end (auto-apply); returns the run. */
    async function runToEnd(workspaceId: string, files: Record<string, string>) {
      await world.uploadConfiguration(workspaceId, files);
      const run = await world.createRun(workspaceId);
      return world.waitForStatus(run.id, ['applied', 'errored', 'canceled', 'discarded'], 180_000);
    }

    it('redacts a sensitive variable in every form of a structured (-json) log, and seals the plan artifacts', async () => {
      const ws = await world.createWorkspace({ 'auto-apply': true });
      assert.equal(ws.attributes['structured-run-output-enabled'], true);
      await addVariable(ws.id, { key: 'secret', value: TF_SECRET, category: 'terraform' });
      const run = await runToEnd(ws.id, {
        'main.tf': `${sensitiveVariable('secret')}resource "terraform_data" "echo" {
  input = nonsensitive(var.secret)
  provisioner "local-exec" {
    command = "echo 'leaked=\${nonsensitive(var.secret)}'"
  }
}
`,
      });
      assert.equal(run.attributes.status, 'applied', JSON.stringify(run.attributes));
      const apply = await world.phaseLog(run.id, 'apply');
      assert.match(apply, /"type":"provision_progress"/);
      assert.match(apply, /leaked=\*\*\*/, 'the provisioner printed the secret, redacted');
      for (const log of [await world.phaseLog(run.id, 'plan'), apply]) {
        assert.doesNotMatch(log, /p4ss/, 'no form of the secret is left');
      }

      // The full JSON plan holds the variable; at rest it is sealed, and it still reads back.
      const artifacts = await storedPlanArtifacts(server);
      const keys = artifacts.map((artifact) => artifact.key);
      assert.ok(keys.some((key) => key.endsWith('plan.json.sealed')) && keys.some((key) => key.endsWith('plan.tfplan.sealed')), keys.join('\n'));
      for (const { key, bytes } of artifacts) assert.equal(bytes.includes('p4ss'), false, `${key} holds the secret`);
      const planId = run.relationships.plan.data.id;
      const full = await server.api('GET', `/api/v2/plans/${planId}/json-output`, { token: world.ownerToken, redirect: 'follow' });
      assert.equal(full.status, 200, full.text);
      assert.equal(full.body.variables.secret.value, TF_SECRET);
      const schemas = await server.api('GET', `/api/v2/plans/${planId}/json-schema`, { token: world.ownerToken, redirect: 'follow' });
      assert.equal(schemas.status, 200, schemas.text);
      assert.ok(schemas.body.provider_schemas['terraform.io/builtin/terraform'], 'the runner keeps `terraform providers schema -json`');
      const redacted = await world.api('GET', `/plans/${planId}/json-output-redacted`, world.ownerToken);
      assert.equal(redacted.status, 200, redacted.text);
      assert.equal(redacted.body.resource_changes[0].address, 'terraform_data.echo');
    });

    it('redacts a sensitive env variable printed 6,000 times, and a value the CLI renders quoted, in a text log', async () => {
      const ws = await world.createWorkspace({ 'auto-apply': true, 'structured-run-output-enabled': false });
      await addVariable(ws.id, { key: 'SECRET_ENV', value: ENV_SECRET, category: 'env' });
      await addVariable(ws.id, { key: 'quoted', value: QUOTED_SECRET, category: 'terraform' });
      const run = await runToEnd(ws.id, {
        'main.tf': `${sensitiveVariable('quoted')}resource "terraform_data" "shown" {
  input = nonsensitive(var.quoted)
}
resource "terraform_data" "spam" {
  provisioner "local-exec" {
    command = "i=0; while [ $i -lt 6000 ]; do i=$((i+1)); echo \\"$i $SECRET_ENV $SECRET_ENV $SECRET_ENV\\"; done"
  }
}
`,
      });
      assert.equal(run.attributes.status, 'applied', JSON.stringify(run.attributes));
      const apply = await world.phaseLog(run.id, 'apply');
      assert.doesNotMatch(apply, /S3CRET|s3cret/);
      // Under load terraform cuts a line (and a secret in it) in two when the output pauses for 100 ms, trimming the
      // first part's trailing space; joined again, every line is there and every secret gone, but for at most the
      // 3 bytes of a secret that may end a cut line (docs/design.md "Log redaction").
      const printed = [...apply.matchAll(/^terraform_data\.spam \(local-exec\): (?!Executing: )(.*)$/gm)].map((line) => line[1]);
      const joined = printed
        .join('')
        .replace(/ /g, '')
        .replace(/(?:T|TF|TF-)?\*+/g, '*');
      const expected = Array.from({ length: 6000 }, (_, i) => `${i + 1}*`).join('');
      const differsAt = [...expected].findIndex((char, i) => joined[i] !== char);
      assert.ok(joined === expected, `the joined output differs at ${differsAt}: ${joined.slice(differsAt - 40, differsAt + 40)}`);
      const plan = await world.phaseLog(run.id, 'plan');
      assert.match(plan, /input += "\*\*\*"/, 'the plan showed the value, redacted');
      assert.doesNotMatch(plan, /s3cret/);
    });
  },
  { env: { TERRACE_RUNNER_SLOTS: '2' } },
);
