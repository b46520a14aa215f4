import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { craftedTarball, Uploader } from '../configuration-versions/testing.js';
import { createTestRun as createTestRunAs, uploadTestConfiguration } from './testing.js';
import { publishModule } from '../registry-modules/testing.js';
import { TeamWorld } from '../teams/testing.js';

/**
 * The module tests API (issue 20, private-registry/tests.mdx) through HTTP. No runner here: test runs
 * stay queued, so the queue's rules can be seen (test/cli/module-tests.test.ts runs them for real).
 */

forEachDatabase(
  'module tests',
  (server) => {
    const world = new TeamWorld(server);
    let tests = '';
    before(async () => {
      await world.setUp();
      const published = await publishModule(server, world.ownerToken, world.org, { name: 'greeter', provider: 'null', version: '1.0.0' });
      assert.equal(published.uploadStatus, 200, published.uploadText);
      tests = `/organizations/${world.org}/tests/registry-modules/private/${world.org}/greeter/null`;
    });

    async function uploadedConfiguration(files: Record<string, string>) {
      return uploadTestConfiguration(server, world.ownerToken, `/api/v2${tests}`, files);
    }

    function createTestRun(configurationVersionId: string, attributes: Record<string, unknown> = {}) {
      return createTestRunAs(server, world.ownerToken, `/api/v2${tests}`, configurationVersionId, attributes);
    }

    it('queues a test run of an uploaded configuration, lists and shows it, and cancels it while queued', async () => {
      const configuration = await uploadedConfiguration({ 'main.tf': 'output "x" { value = 1 }\n', 'tests/a.tftest.hcl': 'run "a" {}\n' });
      assert.equal(configuration.status, 200, configuration.text);
      const created = await createTestRun(configuration.id, {
        verbose: true,
        filters: ['tests/a.tftest.hcl'],
        variables: [
          { key: 'number', value: 4 },
          { key: 'name', value: '"x"' },
        ],
      });
      assert.equal(created.status, 201, created.text);
      const run = created.body.data;
      assert.match(run.id, /^trun-/);
      assert.equal(run.type, 'test-runs');
      assert.equal(run.attributes.status, 'queued');
      assert.ok(run.attributes['status-timestamps']['queued-at']);
      assert.equal(run.attributes['test-directory'], 'tests');
      assert.deepEqual(run.attributes.filters, ['tests/a.tftest.hcl']);
      assert.deepEqual(run.attributes.variables, [
        { key: 'number', value: '4' },
        { key: 'name', value: '"x"' },
      ]);
      assert.equal(run.attributes.source, 'tfe-api');
      assert.equal(run.attributes.message, 'Queued manually via the Terraform Enterprise API');
      assert.equal(run.attributes['test-status'], null);
      assert.equal(run.attributes['tests-passed'], null);
      assert.equal(run.attributes['test-configurable-type'], 'RegistryModule');
      assert.deepEqual(run.relationships['configuration-version'].data, { type: 'configuration-versions', id: configuration.id });
      // The log URL answers before the test starts: 200 and nothing yet, without a token.
      const log = await server.api('GET', `${new URL(run.attributes['log-read-url']).pathname}?offset=0&limit=100`);
      assert.equal(log.status, 200);
      assert.equal(log.text, '');

      const shown = await world.api('GET', `${tests}/test-runs/${run.id}`, world.ownerToken);
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.body.data.id, run.id);
      const listed = await world.api('GET', `${tests}/test-runs?filter[source]=tfe-api`, world.ownerToken);
      assert.deepEqual(
        listed.body.data.map((r: { id: string }) => r.id),
        [run.id],
      );
      assert.equal(listed.body.meta.pagination['total-count'], 1);
      const none = await world.api('GET', `${tests}/test-runs?filter[source]=terraform`, world.ownerToken);
      assert.deepEqual(none.body.data, []);

      // Force-cancel is for a running test that was canceled first.
      assert.equal((await world.api('POST', `${tests}/test-runs/${run.id}/force-cancel`, world.ownerToken)).status, 409);
      assert.equal((await world.api('POST', `${tests}/test-runs/${run.id}/cancel`, world.ownerToken)).status, 202);
      const canceled = await world.api('GET', `${tests}/test-runs/${run.id}`, world.ownerToken);
      assert.equal(canceled.body.data.attributes.status, 'canceled');
      assert.ok(canceled.body.data.attributes['status-timestamps']['canceled-at']);
      assert.equal((await world.api('POST', `${tests}/test-runs/${run.id}/cancel`, world.ownerToken)).status, 409);
    });

    it('refuses a broken archive, a configuration not uploaded, and options terraform could not take', async () => {
      const broken = await uploadedConfiguration({ '../escape.tf': 'x' });
      assert.equal(broken.status, 422, broken.text);
      const refused = await createTestRun(broken.id);
      assert.equal(refused.status, 422, refused.text);
      assert.match(refused.body.errors[0].detail, /errored/);

      const pending = await world.api('POST', `${tests}/test-runs/configuration-versions`, world.ownerToken);
      assert.equal((await createTestRun(pending.body.data.id)).status, 422);
      assert.equal((await createTestRun('cv-unknown')).status, 422);

      const ok = await uploadedConfiguration({ 'main.tf': '' });
      for (const attributes of [
        { 'test-directory': '../elsewhere' },
        { filters: ['/etc/passwd'] },
        { parallelism: 0 },
        { variables: [{ key: 'bad key', value: '1' }] },
        {
          variables: [
            { key: 'a', value: '1' },
            { key: 'a', value: '2' },
          ],
        },
      ]) {
        const res = await createTestRun(ok.id, attributes);
        assert.equal(res.status, 422, `${JSON.stringify(attributes)}: ${res.text}`);
      }
      // A second upload to the same version is a conflict: a test's files do not change under it.
      const again = await world.api('POST', `${tests}/test-runs/configuration-versions`, world.ownerToken);
      const uploader = new Uploader(server);
      try {
        const url = again.body.data.attributes['upload-url'];
        assert.equal((await uploader.put(url, craftedTarball([{ path: 'main.tf', body: '' }]))).status, 200);
        assert.equal((await uploader.put(url, craftedTarball([{ path: 'main.tf', body: '' }]))).status, 409);
      } finally {
        await uploader.close();
      }
    });

    it('keeps the test variables: environment only, sensitive values write-only', async () => {
      const created = await world.api('POST', `${tests}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: 'TOKEN', value: 's3cret', category: 'env', sensitive: true, description: 'd' } },
      });
      assert.equal(created.status, 201, created.text);
      const variable = created.body.data;
      assert.equal(variable.attributes.value, null);
      assert.equal(variable.attributes.sensitive, true);
      assert.equal(variable.links.self, `/api/v2/vars/${variable.id}`);
      const stored = await server.database.db.selectFrom('variables').select(['value', 'sealed_value']).where('id', '=', variable.id).executeTakeFirstOrThrow();
      assert.equal(stored.value, null);
      assert.ok(stored.sealed_value && !stored.sealed_value.includes('s3cret'));

      const terraformVariable = await world.api('POST', `${tests}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: 'x', value: '1', category: 'terraform' } },
      });
      assert.equal(terraformVariable.status, 422, terraformVariable.text);
      const duplicate = await world.api('POST', `${tests}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: 'TOKEN', value: 'again', category: 'env' } },
      });
      assert.equal(duplicate.status, 422, duplicate.text);

      const updated = await world.api('PATCH', `${tests}/vars/${variable.id}`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: 'API_TOKEN', value: 'other' } },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.attributes.key, 'API_TOKEN');
      assert.equal(updated.body.data.attributes.value, null);
      const listed = await world.api('GET', `${tests}/vars`, world.ownerToken);
      assert.deepEqual(
        listed.body.data.map((v: { attributes: { key: string } }) => v.attributes.key),
        ['API_TOKEN'],
      );
      // A workspace's variable routes do not reach a module's.
      const legacy = await world.api('PATCH', `/vars/${variable.id}`, world.ownerToken, { data: { type: 'vars', attributes: { value: 'x' } } });
      assert.equal(legacy.status, 404, legacy.text);
      assert.equal((await world.api('DELETE', `${tests}/vars/${variable.id}`, world.ownerToken)).status, 204);
      assert.equal((await world.api('DELETE', `${tests}/vars/${variable.id}`, world.ownerToken)).status, 404);
    });

    it("is 404 for who may not manage the module, and for another module's test run", async () => {
      const member = await world.member();
      for (const token of [member.token, world.strangerToken]) {
        assert.equal((await world.api('GET', `${tests}/test-runs`, token)).status, 404);
        assert.equal((await world.api('POST', `${tests}/test-runs/configuration-versions`, token)).status, 404);
        assert.equal((await world.api('GET', `${tests}/vars`, token)).status, 404);
      }
      const configuration = await uploadedConfiguration({ 'main.tf': '' });
      const run = await createTestRun(configuration.id);
      const other = await publishModule(server, world.ownerToken, world.org, { name: 'other', provider: 'null', version: '1.0.0' });
      assert.equal(other.uploadStatus, 200);
      const otherTests = tests.replace('/greeter/', '/other/');
      assert.equal((await world.api('GET', `${otherTests}/test-runs/${run.body.data.id}`, world.ownerToken)).status, 404);
      // Another module's configuration may be tested (tests.mdx "promoting known good code").
      const promoted = await world.api('POST', `${otherTests}/test-runs`, world.ownerToken, {
        data: { type: 'test-runs', relationships: { 'configuration-version': { data: { type: 'configuration-versions', id: configuration.id } } } },
      });
      assert.equal(promoted.status, 201, promoted.text);
    });
  },
  { env: { TERRACE_RUNNER_SLOTS: '0' } },
);
