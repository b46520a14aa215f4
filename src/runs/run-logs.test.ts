import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { JobLog } from '../agent/job-log.js';
import { RunWorld } from './testing.js';

/**
 * Plan and apply logs through their `log-read-url` (cli-protocol.md §6.4): no token, offsets honoured,
 * empty before any output, STX first and ETX last once complete, readable while the phase runs.
 */
forEachDatabase('run logs', (server) => {
  const world = new RunWorld(server);

  before(() => world.setUp());

  /** A run whose plan the test "runs" as an agent: claimed, planning; its log as the agent sends it. */
  async function planningRun() {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    const job = await world.claimJob(run.id);
    const plan = (await world.api('GET', `/runs/${run.id}/plan`, world.ownerToken)).body.data;
    const log = new JobLog(world.agentClient(), `/jobs/${run.id}/plan/logs`, job.token);
    const finish = async () => {
      await log.close();
      const res = await server.api('POST', `/api/agent/v1/jobs/${run.id}/plan/finish`, {
        token: job.token,
        body: { outcome: 'failed', reason: 'done' },
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 204, res.text);
    };
    return { runId: run.id as string, planId: plan.id as string, url: plan.attributes['log-read-url'] as string, log, finish };
  }

  /** GET without a token, as the CLI does; the CLI replaces the query string. */
  async function read(url: string, offset: number, limit = 65_536) {
    const res = await server.api('GET', `${new URL(url).pathname}?limit=${limit}&offset=${offset}`);
    return { status: res.status, text: res.text, contentType: res.headers.get('content-type') };
  }

  /** The read once the log has caught up (chunks are stored every 200 ms). */
  async function readWhenStored(url: string, offset: number, expected: string) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { text } = await read(url, offset);
      if (text === expected) return text;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return (await read(url, offset)).text;
  }

  it('streams a running phase by offset and frames the complete log', async () => {
    const run = await planningRun();
    const { planId, url } = run;
    assert.match(url, /^https:\/\/localhost:\d+\/_logs\/plans\/plan-[^/]+\/\d+\/[A-Za-z0-9_-]+$/);
    const before = await read(url, 0);
    assert.equal(before.status, 200);
    assert.equal(before.text, '', 'nothing before the first output');

    const { log, finish } = run;
    log.write('first line\nsecond ');
    // Only whole lines are stored while the phase runs.
    assert.equal(await readWhenStored(url, 0, '\u0002first line\n'), '\u0002first line\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await read(url, 0)).text, '\u0002first line\n', 'the unfinished line waits');
    log.write('line\n');
    assert.equal(await readWhenStored(url, 12, 'second line\n'), 'second line\n');
    assert.equal((await read(url, 0, 6)).text, '\u0002first');
    assert.equal((await read(url, 6, 5)).text, ' line');
    assert.equal((await read(url, 12)).text, 'second line\n', 'no ETX while the phase runs');
    assert.equal((await read(url, 24)).text, '');

    await finish();
    assert.equal((await read(url, 0)).text, '\u0002first line\nsecond line\n\u0003');
    assert.equal((await read(url, 12, 12)).text, 'second line\n', 'ETX only when it fits');
    assert.equal((await read(url, 24)).text, '\u0003');
    assert.equal((await read(url, 25)).text, '');
    const chunks = await server.database.db.selectFrom('run_log_chunks').select('seq').where('phase_id', '=', planId).execute();
    assert.deepEqual(chunks, [], 'the chunks make way for the blob');
  });

  it('never stores a registered secret', async () => {
    const { url, log, finish } = await planningRun();
    log.redactor.add(['s3cr"et']);
    log.line('plain s3cr"et and {"json":"s3cr\\"et"}');
    await finish();
    assert.equal((await read(url, 0)).text, '\u0002plain *** and {"json":"***"}\n\u0003');
  });

  it('redacts a secret that output bursts larger than the buffer cut in two (6,000 lines)', async () => {
    const { url, log, finish } = await planningRun();
    const secret = 'TF-ENV-S3CRET-0123456789-abcdefghijklmnop';
    log.redactor.add([secret]);
    const output = Buffer.from(Array.from({ length: 6000 }, (_, i) => `terraform_data.spam (local-exec): ${i} ${secret}\n`).join(''));
    // Bursts of about 100 KB, as a pipe delivers them to a busy reader, each cut inside an occurrence of the secret.
    let from = 0;
    while (from < output.length) {
      const cut = output.indexOf(secret, from + 100_000);
      const to = cut === -1 ? output.length : cut + 7;
      log.write(output.subarray(from, to));
      from = to;
    }
    await finish();
    const stored = (await read(url, 0, 1024 * 1024)).text;
    assert.equal(stored.match(/\(local-exec\): \d+ \*\*\*\n/g)?.length, 6000);
    assert.doesNotMatch(stored, /S3CRET/);
  });

  it('redacts a secret terraform cut across two lines of a provisioner’s output', async () => {
    const { url, log, finish } = await planningRun();
    log.redactor.add(['TF-ENV-S3CRET-0123456789']);
    log.write('terraform_data.a (local-exec): 1 TF-ENV-S3C\nterraform_data.b (local-exec): other\n');
    log.write('terraform_data.a (local-exec): RET-0123456789 2 TF-ENV-S3CRET-0123456789\n');
    await finish();
    assert.equal(
      (await read(url, 0)).text,
      '\u0002terraform_data.a (local-exec): 1 ***\nterraform_data.b (local-exec): other\nterraform_data.a (local-exec): *** 2 ***\n\u0003',
    );
  });

  it('a phase that ended without output is an empty, complete log', async () => {
    const ws = await world.workspaceWithConfiguration();
    const run = await world.createRun(ws.id);
    assert.equal((await world.action(run.id, 'cancel')).status, 202);
    const apply = (await world.api('GET', `/runs/${run.id}/apply`, world.ownerToken)).body.data;
    assert.equal(apply.attributes.status, 'unreachable');
    assert.match(apply.attributes['log-read-url'], /\/_logs\/applies\/apply-/);
    const res = await read(apply.attributes['log-read-url'], 0);
    assert.equal(res.status, 200);
    assert.equal(res.text, '\u0002\u0003');
    assert.match(res.contentType ?? '', /^text\/plain/);
  });

  it('refuses forged, foreign and malformed reads', async () => {
    const { url } = await planningRun();
    const path = new URL(url).pathname;
    assert.equal((await server.api('GET', `${path.replace(/[^/]+$/, 'x'.repeat(43))}?offset=0`)).status, 404);
    assert.equal((await server.api('GET', `${path.replace('/_logs/plans/', '/_logs/applies/')}?offset=0`)).status, 404);
    assert.equal((await server.api('GET', `${path.replace('/_logs/plans/', '/_logs/runs/')}?offset=0`)).status, 404);
    assert.equal((await server.api('GET', `${path}?offset=-1`)).status, 400);
    assert.equal((await server.api('GET', `${path}?limit=lots`)).status, 400);
  });
});
