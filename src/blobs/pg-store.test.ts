import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { it } from 'node:test';
import { sql } from 'kysely';
import { forEachDatabase } from '../../test/harness.js';
import { PayloadTooLargeError } from '../errors.js';
import { randomBase58 } from '../ids.js';
import { PostgresBlobStore } from './pg-store.js';
import { streamedBytes } from './streamed-garbage.js';

/** The database blob store on PGlite and PostgreSQL: what replicas sharing a database read and write. */
forEachDatabase('database blob store', (server) => {
  const store = () => new PostgresBlobStore(server.database);
  const key = (name: string) => `test/${randomBase58(8)}/${name}`;
  const uploads = async () =>
    Number(
      (
        await server.database.db
          .selectFrom('blob_uploads')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('stores a stream with its size and md5, reads it whole or from an offset', async () => {
    const k = key('state');
    const stored = await store().put(k, Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    assert.deepEqual(stored, { size: 11, md5: '5eb63bbbe01eeed093cb22bb8f5acdc3' });
    assert.equal(await text((await store().get(k)) as Readable), 'hello world');
    assert.equal(await text((await store().get(k, { start: 6 })) as Readable), 'world');
    assert.equal(await text((await store().get(k, { start: 11 })) as Readable), '');
    assert.deepEqual(await store().stat(k), { size: 11 });
    const empty = key('empty');
    assert.deepEqual(await store().put(empty, Readable.from([])), { size: 0, md5: 'd41d8cd98f00b204e9800998ecf8427e' });
    assert.equal(await text((await store().get(empty)) as Readable), '');
  });

  it("compresses chunks with lz4 on a PostgreSQL server built with it (Debian's is)", async (t) => {
    if (server.kind !== 'postgres') return t.skip("PGlite keeps its build's default");
    const { rows } = await sql<{ compression: string }>`
      SELECT attcompression AS compression FROM pg_attribute WHERE attrelid = 'blob_chunks'::regclass AND attname = 'data'`.execute(server.database.db);
    assert.equal(rows[0]?.compression, 'l');
  });

  it('streams content of several chunks intact, from any offset', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 12_345);
    const k = key('big');
    const stored = await store().put(k, Readable.from([content.subarray(0, 100), content.subarray(100, 3_000_000), content.subarray(3_000_000)]));
    assert.deepEqual(stored, { size: content.length, md5: createHash('md5').update(content).digest('hex') });
    assert.ok((await buffer((await store().get(k)) as Readable)).equals(content));
    for (const start of [1, 256 * 1024 - 1, 256 * 1024, 4 * 256 * 1024 + 7, 2 * 1024 * 1024 + 5]) {
      assert.ok((await buffer((await store().get(k, { start })) as Readable)).equals(content.subarray(start)), `from ${start}`);
    }
    const chunks = await server.database.db
      .selectFrom('blob_chunks')
      .innerJoin('blobs', 'blobs.upload_id', 'blob_chunks.upload_id')
      .select('seq')
      .where('blobs.key', '=', k)
      .execute();
    assert.equal(chunks.length, Math.ceil(content.length / (256 * 1024)), 'chunks of 256 KiB');
  });

  it('counts the bytes a read streams exactly, a short last batch and a skipped start included', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 12_345);
    const k = key('counted');
    await store().put(k, Readable.from([content]));
    for (const start of [0, 300_000]) {
      const before = streamedBytes();
      const read = await buffer((await store().get(k, { start })) as Readable);
      assert.equal(read.length, content.length - start);
      assert.equal(streamedBytes() - before, content.length - start, `from ${start}`);
    }
  });

  it('keeps the earlier content when a put fails past its limit, and leaves no upload behind', async () => {
    const k = key('limited');
    await store().put(k, Readable.from([Buffer.from('old')]));
    const before = await uploads();
    await assert.rejects(store().put(k, Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15 }), PayloadTooLargeError);
    assert.equal(await text((await store().get(k)) as Readable), 'old');
    assert.equal(await uploads(), before);
  });

  it('lets a read that began before a replacement finish with the content it began with', async () => {
    const k = key('replaced');
    const first = randomBytes(3 * 1024 * 1024);
    await store().put(k, Readable.from([first]));
    const reading = (await store().get(k)) as Readable;
    const firstChunk = await new Promise<Buffer>((resolve) => reading.once('data', resolve));
    reading.pause();
    await store().put(k, Readable.from([Buffer.from('second')]));
    assert.equal(await text((await store().get(k)) as Readable), 'second');
    const rest = await buffer(reading);
    assert.ok(Buffer.concat([firstChunk, rest]).equals(first));
  });

  it('reads absent keys as undefined; delete is idempotent', async () => {
    const k = key('gone');
    assert.equal(await store().get(k), undefined);
    assert.equal(await store().stat(k), undefined);
    await store().put(k, Readable.from([Buffer.from('x')]));
    await store().delete(k);
    await store().delete(k);
    assert.equal(await store().get(k), undefined);
  });

  it('sweeps released content after its grace period and abandoned puts, never a current blob', async () => {
    const kept = key('kept');
    await store().put(kept, Readable.from([Buffer.from('v1')]));
    await store().put(kept, Readable.from([Buffer.from('v2')]));
    const gone = key('gone');
    await store().put(gone, Readable.from([Buffer.from('bye')]));
    await store().delete(gone);
    const db = server.database.db;
    await db
      .insertInto('blob_uploads')
      .values({ id: `crashed-${randomBase58(6)}` })
      .execute();
    const released = await db.selectFrom('blob_uploads').select('id').where('released_at', 'is not', null).execute();
    assert.ok(released.length >= 2);
    // Nothing is old enough yet.
    const early = await store().sweepLeftovers();
    assert.equal(await text((await store().get(kept)) as Readable), 'v2');
    await db.updateTable('blob_uploads').set({ released_at: sql<Date>`now() - interval '1 hour'` }).where('released_at', 'is not', null).execute();
    await db.updateTable('blob_uploads').set({ started_at: sql<Date>`now() - interval '2 days'` }).execute();
    assert.ok((await store().sweepLeftovers()) >= released.length + 1 - early);
    assert.equal(await text((await store().get(kept)) as Readable), 'v2', 'the current content stays');
    const left = await db
      .selectFrom('blob_uploads')
      .select('id')
      .where((eb) => eb.or([eb('released_at', 'is not', null), eb('id', 'like', 'crashed-%')]))
      .execute();
    assert.deepEqual(left, []);
  });

  it('refuses keys that are not blob keys', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a//b', '']) await assert.rejects(store().get(bad), /invalid blob key/, bad);
  });
});
