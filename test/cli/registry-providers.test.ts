import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Uploader } from '../../src/configuration-versions/testing.js';
import { sha256Hex, signingKey, zipOneFile } from '../../src/registry-providers/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, type TerraformSandbox } from './terraform.js';

/**
 * Private providers with the real CLI (issue 20): a provider published through the API with a GPG
 * key made in the test is installed and verified by `terraform init`. The "provider" is a shell
 * script in its zip: init checks the signature and the hash and unpacks it, and never runs it.
 */

const COMMAND_TIMEOUT_MS = 180_000;
const PLATFORM = { os: 'linux', arch: process.arch === 'arm64' ? 'arm64' : 'amd64' };

for (const kind of testDatabases()) {
  describe(`registry providers with the real terraform CLI [${kind}]`, { timeout: 900_000 }, () => {
    // Terraform refuses a registry host name without a dot (localhost): the IP address is one.
    const server = new TestServer(kind, { publicHost: '127.0.0.1' });
    const uploader = new Uploader(server);
    let tf: TerraformSandbox;
    let token = '';
    let key: Awaited<ReturnType<typeof signingKey>>;
    let keyId = '';

    before(async () => {
      await server.start();
      ({
        owner: { token },
        tf,
      } = await acmeOwnerSandbox(server));
      key = await signingKey('terrace-test');
      const added = await server.api('POST', '/api/registry/private/v2/gpg-keys', {
        token,
        body: { data: { type: 'gpg-keys', attributes: { namespace: 'acme', 'ascii-armor': key.publicKey } } },
      });
      assert.equal(added.status, 201, added.text);
      keyId = added.body.data.attributes['key-id'];
      const provider = await api('POST', '/organizations/acme/registry-providers', {
        data: { type: 'registry-providers', attributes: { name: 'demo', namespace: 'acme', 'registry-name': 'private' } },
      });
      assert.equal(provider.status, 201, provider.text);
    });
    after(async () => {
      tf?.cleanup();
      await uploader.close();
      await server.stop();
    });

    async function api(method: string, path: string, body?: unknown) {
      return server.api(method, `/api/v2${path}`, { token, body });
    }

    /** Publishes `version`: SHA256SUMS, its signature (by `signer`), one platform and its zip (`binary`, by default the real one). */
    async function publish(version: string, options: { signer?: typeof key; binary?: Buffer } = {}) {
      const filename = `terraform-provider-demo_${version}_${PLATFORM.os}_${PLATFORM.arch}.zip`;
      const zip = zipOneFile(`terraform-provider-demo_v${version}`, Buffer.from('#!/bin/sh\necho "never run by init"\nexit 1\n'));
      const shasums = `${sha256Hex(zip)}  ${filename}\n`;
      const created = await api('POST', '/organizations/acme/registry-providers/private/acme/demo/versions', {
        data: { type: 'registry-provider-versions', attributes: { version, 'key-id': keyId, protocols: ['5.0'] } },
      });
      assert.equal(created.status, 201, created.text);
      const links = created.body.data.links;
      assert.equal((await uploader.put(links['shasums-upload'], Buffer.from(shasums))).status, 200);
      const signed = await uploader.put(links['shasums-sig-upload'], await (options.signer ?? key).sign(shasums));
      const platform = await api('POST', `/organizations/acme/registry-providers/private/acme/demo/versions/${version}/platforms`, {
        data: { type: 'registry-provider-version-platforms', attributes: { ...PLATFORM, shasum: sha256Hex(zip), filename } },
      });
      assert.equal(platform.status, 201, platform.text);
      const uploaded = await uploader.put(platform.body.data.links['provider-binary-upload'], options.binary ?? zip);
      return { signed, uploaded, zip };
    }

    it('init installs and verifies a signed provider and locks its hash', async () => {
      const { signed, uploaded, zip } = await publish('1.0.0');
      assert.equal(signed.status, 200, signed.text);
      assert.equal(uploaded.status, 200, uploaded.text);
      const version = await api('GET', '/organizations/acme/registry-providers/private/acme/demo/versions/1.0.0');
      assert.equal(version.body.data.attributes['shasums-sig-uploaded'], true);

      const dir = tf.newWorkdir('uses-demo');
      tf.writeFile(
        'main.tf',
        `terraform {\n  required_providers {\n    demo = {\n      source  = "${server.hostname}/acme/demo"\n      version = "1.0.0"\n    }\n  }\n}\n`,
        dir,
      );
      const init = await tf.run(['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs: COMMAND_TIMEOUT_MS });
      assert.equal(init.code, 0, init.output);
      assert.match(init.output, new RegExp(`Installed ${server.hostname.replaceAll('.', '\\.')}/acme/demo v1\\.0\\.0 \\(self-signed, key ID ${keyId}\\)`));
      const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8');
      assert.ok(lock.includes(`"zh:${sha256Hex(zip)}"`), lock);
    });

    it('refuses a tampered binary and a signature by another key at publish time; a deleted version leaves the protocol', async () => {
      const tampered = await publish('1.1.0', { binary: zipOneFile('terraform-provider-demo_v1.1.0', Buffer.from('tampered')) });
      assert.equal(tampered.uploaded.status, 422, tampered.uploaded.text);
      assert.match(tampered.uploaded.text, /not the platform's shasum/);
      const stranger = await signingKey('someone-else');
      const forged = await publish('1.2.0', { signer: stranger });
      assert.equal(forged.signed.status, 422, forged.signed.text);
      const versions = await server.api('GET', '/api/registry/v1/providers/acme/demo/versions', { token });
      assert.deepEqual(
        versions.body.versions.map((v: { version: string }) => v.version),
        ['1.0.0'],
        'only the complete, verified version is offered',
      );
      assert.equal((await api('DELETE', '/organizations/acme/registry-providers/private/acme/demo/versions/1.0.0')).status, 204);
      const after = await server.api('GET', '/api/registry/v1/providers/acme/demo/versions', { token });
      assert.deepEqual(after.body.versions, []);
      const stranger404 = await server.createUser();
      assert.equal((await server.api('GET', '/api/registry/v1/providers/acme/demo/versions', { token: stranger404.token })).status, 404);
      assert.equal((await server.api('GET', '/api/registry/private/v2/gpg-keys', { token })).status, 400, 'filter[namespace] is required');
      const keys = await server.api('GET', '/api/registry/private/v2/gpg-keys?filter[namespace]=acme', { token });
      assert.deepEqual(
        keys.body.data.map((k: any) => k.attributes['key-id']),
        [keyId],
      );
    });
  });
}
