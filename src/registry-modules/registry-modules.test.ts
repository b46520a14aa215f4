import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { Uploader } from '../configuration-versions/testing.js';
import { TeamWorld } from '../teams/testing.js';
import { MODULE_FILES, publishModule } from './testing.js';

/** The private module registry (issue 20, modules.mdx) and its protocol (cli-protocol.md §8). */

forEachDatabase('registry modules', (server) => {
  const world = new TeamWorld(server);
  before(() => world.setUp());

  const base = () => `/organizations/${world.org}/registry-modules`;

  it('publishes a module version: created pending, uploaded, read, then ok with its interface in the protocol', async () => {
    const created = await world.api('POST', base(), world.ownerToken, {
      data: { type: 'registry-modules', attributes: { name: 'greeter', provider: 'null', 'registry-name': 'private', 'no-code': true } },
    });
    assert.equal(created.status, 201, created.text);
    const module = created.body.data;
    assert.match(module.id, /^mod-/);
    assert.deepEqual(
      { ...module.attributes, 'created-at': undefined, 'updated-at': undefined },
      {
        name: 'greeter',
        namespace: world.org,
        provider: 'null',
        'registry-name': 'private',
        status: 'pending',
        'version-statuses': [],
        'no-code': true,
        'test-config': { 'tests-enabled': false, 'agent-execution-mode': 'remote', 'agent-pool-id': null },
        'created-at': undefined,
        'updated-at': undefined,
        permissions: { 'can-delete': true, 'can-resync': true, 'can-retry': true },
      },
    );
    assert.equal(module.links.self, `/api/v2/organizations/${world.org}/registry-modules/private/${world.org}/greeter/null`);

    const { uploadStatus, uploadText } = await publishModule(server, world.ownerToken, world.org, { name: 'greeter', provider: 'null', version: '1.0.0' });
    assert.equal(uploadStatus, 200, uploadText);
    const shown = await world.api('GET', `${base()}/private/${world.org}/greeter/null`, world.ownerToken);
    assert.equal(shown.body.data.attributes.status, 'setup_complete');
    assert.deepEqual(shown.body.data.attributes['version-statuses'], [{ version: '1.0.0', status: 'ok' }]);

    const versions = await server.api('GET', `/api/registry/v1/modules/${world.org}/greeter/null/versions`, { token: world.ownerToken });
    assert.equal(versions.status, 200, versions.text);
    assert.deepEqual(versions.body, { modules: [{ source: `${world.org}/greeter/null`, versions: [{ version: '1.0.0' }] }] });
    const details = await server.api('GET', `/api/registry/v1/modules/${world.org}/greeter/null/1.0.0`, { token: world.ownerToken });
    assert.equal(details.status, 200, details.text);
    assert.equal(details.body.root.readme, MODULE_FILES['README.md']);
    assert.deepEqual(details.body.root.inputs, [
      { name: 'greeting', type: 'string', description: 'What to say', default: '"hello"', required: false },
      { name: 'name', type: 'string', description: '', default: '', required: true },
    ]);
    assert.deepEqual(details.body.root.outputs, [{ name: 'sentence', description: 'The greeting' }]);
    assert.deepEqual(details.body.root.resources, [{ name: 'said', type: 'terraform_data' }]);

    // The download: 204 with a short-lived archive URL that go-getter fetches without a token.
    const download = await server.api('GET', `/api/registry/v1/modules/${world.org}/greeter/null/1.0.0/download`, { token: world.ownerToken });
    assert.equal(download.status, 204);
    const archiveUrl = download.headers.get('x-terraform-get') as string;
    assert.match(archiveUrl, /^https:\/\/.+\?archive=tar\.gz$/);
    const uploader = new Uploader(server);
    const archive = await uploader.getBytes(new URL(archiveUrl).pathname, '');
    await uploader.close();
    assert.equal(archive.status, 200);
    assert.match(gunzipSync(archive.bytes).toString('latin1'), /variable "greeting"/);
    const forged = archiveUrl.replace(/\/[^/?]+\?/, '/forged?');
    assert.equal((await server.api('GET', new URL(forged).pathname)).status, 404);
    const latest = await server.api('GET', `/api/registry/v1/modules/${world.org}/greeter/null/download`, { token: world.ownerToken });
    assert.equal(latest.status, 302);
    assert.equal(latest.headers.get('location'), `/api/registry/v1/modules/${world.org}/greeter/null/1.0.0/download`);
  });

  it('updates test-config (tests run on the built-in runner) and refuses what needs a VCS connection or an agent pool', async () => {
    await publishModule(server, world.ownerToken, world.org, { name: 'tested', provider: 'null', version: '1.0.0' });
    const path = `${base()}/private/${world.org}/tested/null`;
    const updated = await world.api('PATCH', path, world.ownerToken, {
      data: { type: 'registry-modules', attributes: { 'test-config': { 'tests-enabled': true } } },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body.data.attributes['test-config'], { 'tests-enabled': true, 'agent-execution-mode': 'remote', 'agent-pool-id': null });
    assert.equal((await world.api('GET', path, world.ownerToken)).body.data.attributes['test-config']['tests-enabled'], true);
    for (const attributes of [{ 'vcs-repo': { branch: 'main' } }, { 'test-config': { 'agent-execution-mode': 'agent', 'agent-pool-id': 'apool-x' } }]) {
      const refused = await world.api('PATCH', path, world.ownerToken, { data: { type: 'registry-modules', attributes } });
      assert.equal(refused.status, 422, refused.text);
    }
    const stranger = await world.api('PATCH', path, world.strangerToken, { data: { type: 'registry-modules', attributes: { 'no-code': true } } });
    assert.equal(stranger.status, 404);
  });

  it('refuses a broken archive (errored with the reason) and what the docs do not allow', async () => {
    const broken = await publishModule(
      server,
      world.ownerToken,
      world.org,
      { name: 'broken', provider: 'aws', version: '0.1.0' },
      { 'main.tf': 'variable "x" {' },
    );
    assert.equal(broken.uploadStatus, 422, broken.uploadText);
    assert.match(broken.uploadText, /Unclosed configuration block/);
    const shown = await world.api('GET', `${base()}/private/${world.org}/broken/aws`, world.ownerToken);
    assert.deepEqual(shown.body.data.attributes['version-statuses'], [{ version: '0.1.0', status: 'errored' }]);
    const protocol = await server.api('GET', `/api/registry/v1/modules/${world.org}/broken/aws/versions`, { token: world.ownerToken });
    assert.deepEqual(protocol.body.modules[0].versions, [], 'an errored version is not offered');

    for (const [attributes, status, pointer] of [
      [{ name: '-bad', provider: 'aws' }, 422, '/data/attributes/name'],
      [{ name: 'ok', provider: 'AWS' }, 422, '/data/attributes/provider'],
      [{ name: 'ok', provider: 'aws', namespace: 'elsewhere' }, 422, '/data/attributes/namespace'],
      [{ name: 'broken', provider: 'aws' }, 422, '/data/attributes/name'],
      [{ name: 'vpc', provider: 'aws', namespace: 'terraform-aws-modules', 'registry-name': 'public' }, 403, undefined],
    ] as const) {
      const res = await world.api('POST', base(), world.ownerToken, { data: { type: 'registry-modules', attributes } });
      assert.equal(res.status, status, `${JSON.stringify(attributes)}: ${res.text}`);
      if (pointer) assert.equal(res.body.errors[0].source.pointer, pointer);
    }
    const badVersion = await world.api('POST', `${base()}/private/${world.org}/broken/aws/versions`, world.ownerToken, {
      data: { type: 'registry-module-versions', attributes: { version: 'one' } },
    });
    assert.equal(badVersion.status, 422);
    const again = await world.api('POST', `${base()}/private/${world.org}/broken/aws/versions`, world.ownerToken, {
      data: { type: 'registry-module-versions', attributes: { version: '0.1.0' } },
    });
    assert.equal(again.status, 422, 'a version exists once');
  });

  it('deletes a version, then the module with its last version; the protocol forgets them', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      assert.equal((await publishModule(server, world.ownerToken, world.org, { name: 'shortlived', provider: 'null', version })).uploadStatus, 200);
    }
    const path = `${base()}/private/${world.org}/shortlived/null`;
    assert.equal((await world.api('DELETE', `${path}/1.1.0`, world.ownerToken)).status, 204);
    const versions = await server.api('GET', `/api/registry/v1/modules/${world.org}/shortlived/null/versions`, { token: world.ownerToken });
    assert.deepEqual(versions.body.modules[0].versions, [{ version: '1.0.0' }]);
    assert.equal((await server.api('GET', `/api/registry/v1/modules/${world.org}/shortlived/null/1.1.0/download`, { token: world.ownerToken })).status, 404);
    assert.equal((await world.api('DELETE', `${path}/9.9.9`, world.ownerToken)).status, 404);
    assert.equal((await world.api('DELETE', `${path}/1.0.0`, world.ownerToken)).status, 204);
    assert.equal((await world.api('GET', path, world.ownerToken)).status, 404, 'the module went with its last version');
  });

  it('lets members read and install, not publish; strangers and bad tokens get 404 and 401 from the protocol too', async () => {
    assert.equal((await publishModule(server, world.ownerToken, world.org, { name: 'shared', provider: 'null', version: '2.0.0' })).uploadStatus, 200);
    const member = await world.member();
    const protocol = `/api/registry/v1/modules/${world.org}/shared/null/versions`;
    assert.equal((await server.api('GET', protocol, { token: member.token })).status, 200);
    assert.equal((await world.api('GET', `${base()}?q=shar`, member.token)).body.data.length, 1);
    assert.equal(
      (await world.api('POST', base(), member.token, { data: { type: 'registry-modules', attributes: { name: 'm', provider: 'null' } } })).status,
      404,
    );
    assert.equal((await server.api('GET', protocol, { token: world.strangerToken })).status, 404);
    assert.equal((await server.api('GET', protocol)).status, 401);
    assert.equal((await server.api('GET', protocol, { token: 'bogus' })).status, 401);
    const discovery = await server.api('GET', '/.well-known/terraform.json');
    assert.equal(discovery.body['modules.v1'], '/api/registry/v1/modules/');
  });
});
