import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { buildApp } from '../app.js';
import type { Config } from '../config.js';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { getBlob, putSealed, sealedBlobKeyId } from '../blobs/sealed-blobs.js';
import { KeyMismatchError, keyId, SealError, sealedKeyId } from '../crypto/sealing.js';
import * as planOutputStore from '../runs/plan-output-store.js';
import { RunWorld } from '../runs/testing.js';
import { TaskService } from '../task-stages/testing.js';
import { base64, md5, rawState } from '../state-versions/testing.js';
import * as variableService from '../variables/service.js';
import * as secretService from './service.js';
import { SEALED_COLUMNS } from './store.js';

const SECRET = `hunter2-${randomBytes(8).toString('hex')}`;

/** Every sealed column, each holding a sealed value once the test created one of each kind. */
const EVERY_SEALED_COLUMN = {
  'variables.sealed_value': true,
  'state_version_outputs.sealed_value': true,
  'runs.sealed_variables': true,
  'run_tasks.sealed_hmac_key': true,
  'notification_configurations.sealed_token': true,
  'ssh_keys.sealed_value': true,
  'policy_set_parameters.sealed_value': true,
};

forEachDatabase('secrets at rest', (server) => {
  const world = new RunWorld(server);
  // Answers the verification request of the run task created below.
  const taskService = new TaskService(server);
  before(async () => {
    await world.setUp();
    await taskService.start();
  });
  after(() => taskService.stop());
  const db = () => server.database.db;

  /** The key ids of every sealed value, per column. */
  async function sealedKeyIds(): Promise<Record<string, string[]>> {
    const ids: Record<string, string[]> = {};
    for (const column of SEALED_COLUMNS) {
      const { rows } = await sql<{ sealed: string }>`
        SELECT ${sql.ref(column.sealedColumn)} AS sealed FROM ${sql.table(column.table)} WHERE ${sql.ref(column.sealedColumn)} IS NOT NULL`.execute(db());
      ids[`${column.table}.${column.sealedColumn}`] = rows.map((row) => sealedKeyId(row.sealed));
    }
    return ids;
  }

  it('records the installation’s encryption key; refuses another one, and takes a rotation from the previous key', async () => {
    const config = (encryptionKey: Buffer, previousEncryptionKeys: Buffer[] = []): Config => ({ ...server.config, encryptionKey, previousEncryptionKeys });
    await db().deleteFrom('installation_facts').execute();
    const [keyA, keyB, stranger] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    assert.deepEqual(await secretService.assertInstallationKey({ db: db(), config: config(keyA) }), { rotated: false });
    assert.deepEqual(await secretService.assertInstallationKey({ db: db(), config: config(keyA) }), { rotated: false }, 'a second replica with the same key');
    await assert.rejects(secretService.assertInstallationKey({ db: db(), config: config(stranger) }), /TERRACE_ENCRYPTION_KEY/);
    await assert.rejects(secretService.assertInstallationKey({ db: db(), config: config(stranger, [keyB]) }), KeyMismatchError);
    assert.deepEqual(await secretService.assertInstallationKey({ db: db(), config: config(keyB, [keyA]) }), { rotated: true });
    await assert.rejects(secretService.assertInstallationKey({ db: db(), config: config(keyA) }), /PREVIOUS_ENCRYPTION_KEYS/, 'the old key alone is refused');
    assert.deepEqual(await secretService.assertInstallationKey({ db: db(), config: config(keyB, [keyA]) }), { rotated: false });
    const stored = await db().selectFrom('installation_facts').select('value').executeTakeFirstOrThrow();
    for (const key of [keyA, keyB]) assert.equal(stored.value.includes(key.toString('hex')), false, 'the check reveals no key');
  });

  it('lists every sealed column of the schema', async () => {
    const { rows } = await sql<{ name: string }>`
      SELECT table_name || '.' || column_name AS name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name LIKE 'sealed%' ORDER BY name`.execute(db());
    assert.deepEqual(
      rows.map((row) => row.name),
      SEALED_COLUMNS.map((c) => `${c.table}.${c.sealedColumn}`).sort(),
    );
  });

  it('rotates variables, state outputs, run variables, run task keys, notification tokens and SSH keys to a new key; the API opens them with the new key alone', async () => {
    const ws = await world.workspaceWithConfiguration();
    for (const key of ['A', 'B', 'C']) {
      const res = await world.api('POST', `/workspaces/${ws.id}/vars`, world.ownerToken, {
        data: { type: 'vars', attributes: { key: `SECRET_${key}`, value: SECRET, category: 'env', sensitive: true } },
      });
      assert.equal(res.status, 201, res.text);
    }
    const outputs = {
      password: { value: SECRET, type: 'string', sensitive: true },
      nested: { value: { s: SECRET }, type: ['object', { s: 'string' }], sensitive: true },
    };
    const raw = rawState({ serial: 1, lineage: unique('l'), outputs });
    assert.equal((await world.api('POST', `/workspaces/${ws.id}/actions/lock`, world.ownerToken)).status, 200);
    const sv = await world.api('POST', `/workspaces/${ws.id}/state-versions`, world.ownerToken, {
      data: {
        type: 'state-versions',
        attributes: { serial: 1, lineage: JSON.parse(raw).lineage, md5: md5(raw), state: base64(raw), 'json-state-outputs': base64(JSON.stringify(outputs)) },
      },
    });
    assert.equal(sv.status, 201, sv.text);
    assert.equal((await world.api('POST', `/workspaces/${ws.id}/actions/unlock`, world.ownerToken)).status, 200);
    const runVariables = [{ key: 'password', value: `"${SECRET}"` }];
    const runs = [await world.createRun(ws.id, { variables: runVariables }), await world.createRun(ws.id, { variables: runVariables })];
    const task = await world.api('POST', `/organizations/${world.org}/tasks`, world.ownerToken, {
      data: { type: 'tasks', attributes: { name: unique('task'), url: taskService.url, category: 'task', 'hmac-key': SECRET } },
    });
    assert.equal(task.status, 201, task.text);
    const notification = await world.api('POST', `/workspaces/${ws.id}/notification-configurations`, world.ownerToken, {
      data: { type: 'notification-configurations', attributes: { 'destination-type': 'generic', name: 'n', url: taskService.url, token: SECRET } },
    });
    assert.equal(notification.status, 201, notification.text);
    const sshKey = await world.api('POST', `/organizations/${world.org}/ssh-keys`, world.ownerToken, {
      data: { type: 'ssh-keys', attributes: { name: unique('key'), value: SECRET } },
    });
    assert.equal(sshKey.status, 201, sshKey.text);
    const policySet = await world.api('POST', `/organizations/${world.org}/policy-sets`, world.ownerToken, {
      data: { type: 'policy-sets', attributes: { name: unique('pols'), kind: 'opa' } },
    });
    assert.equal(policySet.status, 201, policySet.text);
    const parameter = await world.api('POST', `/policy-sets/${policySet.body.data.id}/parameters`, world.ownerToken, {
      data: { type: 'vars', attributes: { key: 'secret', value: SECRET, category: 'policy-set', sensitive: true } },
    });
    assert.equal(parameter.status, 201, parameter.text);

    const keyA = server.config.encryptionKey;
    const keyB = randomBytes(32);
    const before = await sealedKeyIds();
    assert.deepEqual(
      Object.fromEntries(Object.entries(before).map(([column, ids]) => [column, ids.length > 0 && ids.every((id) => id === keyId(keyA))])),
      EVERY_SEALED_COLUMN,
    );
    const count = Object.values(before).flat().length;

    // Without key A nothing opens: the rotation stops and names the row (never its value).
    await assert.rejects(
      secretService.resealAll({ db: db(), config: { ...server.config, encryptionKey: keyB, previousEncryptionKeys: [] } }, 2),
      (err: unknown) => err instanceof SealError && /^variable var-\S+: sealed under key .* not configured/.test(err.message) && !err.message.includes(SECRET),
    );
    const rotated = { db: db(), config: { ...server.config, encryptionKey: keyB, previousEncryptionKeys: [keyA] } };
    assert.deepEqual(await secretService.resealAll(rotated, 2), { resealed: count, unchanged: 0 });
    const after = await sealedKeyIds();
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(after).map(([column, ids]) => [column, ids.length === before[column]?.length && ids.every((id) => id === keyId(keyB))]),
      ),
      EVERY_SEALED_COLUMN,
    );
    // Idempotent: an interrupted rotation runs again.
    assert.deepEqual(await secretService.resealAll(rotated, 2), { resealed: 0, unchanged: count });

    // Key A dropped: a server configured with key B alone.
    const onlyB: Config = Object.freeze({ ...server.config, encryptionKey: keyB, previousEncryptionKeys: [] });
    const app = await buildApp({ db: db(), config: onlyB, blobs: server.blobs });
    try {
      const get = async (path: string) => {
        const res = await app.inject({ method: 'GET', url: `/api/v2${path}`, headers: { authorization: `Bearer ${world.ownerToken}` } });
        assert.equal(res.statusCode, 200, res.body);
        return res.json();
      };
      const listed = await get(`/state-versions/${sv.body.data.id}/outputs`);
      const shown: Record<string, unknown> = {};
      for (const output of listed.data) shown[output.attributes.name] = (await get(`/state-version-outputs/${output.id}`)).data.attributes.value;
      assert.deepEqual(shown, { password: SECRET, nested: { s: SECRET } });
      for (const run of runs) assert.deepEqual((await get(`/runs/${run.id}`)).data.attributes.variables, runVariables);
    } finally {
      await app.close();
    }
    const variables = await variableService.workspaceVariablesForRun({ db: db(), config: onlyB }, ws.id);
    assert.deepEqual(variables.map((v) => [v.key, v.value]).sort(), [
      ['SECRET_A', SECRET],
      ['SECRET_B', SECRET],
      ['SECRET_C', SECRET],
    ]);
  });

  it('rotates the sealed artifacts of plans to a new key; they open with the new key alone', async () => {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    const planId: string = run.relationships.plan.data.id;
    const keyA = server.config.encryptionKey;
    const keyB = randomBytes(32);
    const keys = planOutputStore.artifactKeys(planId);
    const contents = { planFile: `saved plan ${SECRET}`, json: `{"v":"${SECRET}"}`, redacted: '{}', providerSchemas: '{"provider_schemas":{}}' };
    for (const [name, content] of Object.entries(contents)) {
      await putSealed(server.blobs, server.config, keys[name as keyof typeof contents], Readable.from([content]));
    }
    await planOutputStore.setArtifacts(db(), planId, {
      planFileBlobKey: keys.planFile,
      jsonBlobKey: keys.json,
      redactedJsonBlobKey: keys.redacted,
      providerSchemasBlobKey: keys.providerSchemas,
    });

    const rotated = { db: db(), blobs: server.blobs, config: { ...server.config, encryptionKey: keyB, previousEncryptionKeys: [keyA] } };
    assert.deepEqual(await secretService.resealPlanArtifacts(rotated, 1), { resealed: 4, unchanged: 0 });
    const onlyB = { encryptionKey: keyB, previousEncryptionKeys: [] };
    for (const [name, content] of Object.entries(contents)) {
      const key = keys[name as keyof typeof contents];
      assert.equal(await sealedBlobKeyId(server.blobs, key), keyId(keyB));
      assert.equal(String(await buffer((await getBlob(server.blobs, onlyB, key)) as Readable)), content);
    }
    assert.equal(await sealedBlobKeyId(server.blobs, keys.lockFile), undefined, 'an artifact the plan lacks is skipped');
    assert.deepEqual(await secretService.resealPlanArtifacts(rotated, 1), { resealed: 0, unchanged: 4 }, 'idempotent');
  });
});
