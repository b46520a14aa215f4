import assert from 'node:assert/strict';
import type { WorkspaceId } from '../ids.js';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { uploadSuite } from '../configuration-versions/testing.js';
import { StateWorld } from '../state-versions/testing.js';
import { deleteBlobsAfterCommit } from './blob-cleanup.js';
import * as workspaceStore from './store.js';
import { artifactKeys } from '../runs/plan-output-store.js';

forEachDatabase('blobs of deleted workspaces', (server) => {
  const world = new StateWorld(server);
  const uploads = uploadSuite(server, world);
  const { uploader } = uploads;
  const db = () => server.database.db;

  /** A workspace with a blob of each kind: a state version's two files, a configuration archive, a run's plan artifacts and logs. */
  async function workspaceWithBlobs(org = world.org): Promise<{ id: WorkspaceId; keys: string[] }> {
    const ws = await world.createWorkspace({}, undefined, org);
    await world.lock(ws.id);
    const sv = await world.pushState(ws.id, { serial: 1, lineage: unique('l') });
    assert.equal((await world.unlock(ws.id)).status, 200);
    const cv = await world.api('POST', `/workspaces/${ws.id}/configuration-versions`, world.ownerToken, {
      data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': true } },
    });
    assert.equal(cv.status, 201, cv.text);
    assert.equal((await uploader.put(cv.body.data.attributes['upload-url'], uploads.tarball)).status, 200);
    const { blob_key: archiveKey } = await db()
      .selectFrom('configuration_versions')
      .select('blob_key')
      .where('id', '=', cv.body.data.id)
      .executeTakeFirstOrThrow();

    // The run the upload queued, with its phases' blobs stored as a runner stores them.
    const phases = await db()
      .selectFrom('runs')
      .innerJoin('plans', 'plans.run_id', 'runs.id')
      .innerJoin('applies', 'applies.run_id', 'runs.id')
      .select(['plans.id as planId', 'applies.id as applyId'])
      .where('runs.workspace_id', '=', ws.id)
      .executeTakeFirstOrThrow();
    const plan = {
      log_blob_key: `plans/${phases.planId}/log`,
      plan_file_blob_key: `plans/${phases.planId}/plan.tfplan`,
      json_blob_key: `plans/${phases.planId}/plan.json`,
      redacted_json_blob_key: `plans/${phases.planId}/plan-redacted.json`,
      provider_schemas_blob_key: `plans/${phases.planId}/provider-schemas.json`,
    };
    const apply = { log_blob_key: `applies/${phases.applyId}/log`, errored_state_blob_key: `plans/${phases.planId}/errored.tfstate` };
    for (const key of [...Object.values(plan), ...Object.values(apply)]) await server.blobs.put(key, Readable.from(['content']));
    await db().updateTable('plans').set(plan).where('id', '=', phases.planId).execute();
    await db().updateTable('applies').set(apply).where('id', '=', phases.applyId).execute();
    // What an agent uploads that no row records: the lock file, and the artifacts of a plan whose finish never came.
    const unrecorded = [artifactKeys(phases.planId).lockFile, artifactKeys(phases.planId).planFile];
    for (const key of unrecorded) await server.blobs.put(key, Readable.from(['content']));

    const keys = [
      `state-versions/${sv.id}/state`,
      `state-versions/${sv.id}/json-state`,
      archiveKey as string,
      ...Object.values(plan),
      ...Object.values(apply),
      ...unrecorded,
    ];
    assert.deepEqual(await stored(keys), keys);
    return { id: ws.id, keys };
  }

  async function stored(keys: readonly string[]): Promise<string[]> {
    const present: string[] = [];
    for (const key of keys) if (await server.blobs.stat(key)) present.push(key);
    return present;
  }

  /** Waits for the background job to delete the keys; fails with those left. */
  async function assertDeleted(keys: readonly string[]): Promise<void> {
    let left = await stored(keys);
    for (let attempt = 0; attempt < 100 && left.length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await stored(keys);
    }
    assert.deepEqual(left, []);
  }

  it('force delete removes the workspace’s blobs after the commit', async () => {
    const ws = await workspaceWithBlobs();
    const other = await workspaceWithBlobs();
    assert.equal((await world.api('DELETE', `/workspaces/${ws.id}`, world.ownerToken)).status, 204);
    await assertDeleted(ws.keys);
    assert.deepEqual(await stored(other.keys), other.keys, 'another workspace keeps its blobs');
  });

  it('safe delete removes them too', async () => {
    const ws = await workspaceWithBlobs();
    assert.equal((await world.api('POST', `/workspaces/${ws.id}/actions/safe-delete`, world.ownerToken)).status, 204);
    await assertDeleted(ws.keys);
  });

  it('a delete that rolls back deletes no blob', async () => {
    const ws = await workspaceWithBlobs();
    await assert.rejects(
      db()
        .transaction()
        .execute(async (trx) => {
          await deleteBlobsAfterCommit(trx, { id: ws.id });
          assert.ok(await workspaceStore.deleteById(trx, ws.id));
          throw new Error('rolled back');
        }),
      /rolled back/,
    );
    const jobs = await db().selectFrom('jobs').select('payload').where('kind', '=', 'blobs.delete').execute();
    assert.ok(!jobs.some((job) => JSON.stringify(job.payload).includes(ws.keys[0] as string)), 'no deletion job');
    assert.deepEqual(await stored(ws.keys), ws.keys);
    assert.equal((await world.api('GET', `/workspaces/${ws.id}`, world.ownerToken)).status, 200);
  });

  it('deleting an organization removes the blobs of its workspaces', async () => {
    const name = unique('doomed');
    await world.createOrganization(world.ownerToken, name);
    const first = await workspaceWithBlobs(name);
    const second = await workspaceWithBlobs(name);
    assert.equal((await world.api('DELETE', `/organizations/${name}`, world.ownerToken)).status, 204);
    await assertDeleted([...first.keys, ...second.keys]);
  });
});
