import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { SealError, type SealingKeys } from '../crypto/sealing.js';
import { FileBlobStore } from './fs-store.js';
import { getBlob, OpeningStream, putSealed, SealingStream } from './sealed-blobs.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const before: SealingKeys = { encryptionKey: oldKey, previousEncryptionKeys: [] };
const rotated: SealingKeys = { encryptionKey: newKey, previousEncryptionKeys: [oldKey] };
const HEADER = 33;
const TAG = 16;

async function sealed(keys: SealingKeys, content: Buffer, chunkBytes?: number): Promise<Buffer> {
  return buffer(Readable.from([content]).pipe(new SealingStream(keys, chunkBytes)));
}

/** Opens `bytes` fed in pieces of `pieceBytes`. */
async function opened(keys: SealingKeys, bytes: Buffer, pieceBytes = 7): Promise<Buffer> {
  const pieces = Array.from({ length: Math.ceil(bytes.length / pieceBytes) }, (_, i) => bytes.subarray(i * pieceBytes, (i + 1) * pieceBytes));
  const chunks: Buffer[] = [];
  await pipeline(Readable.from(pieces), new OpeningStream(keys), async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return Buffer.concat(chunks);
}

describe('sealed blobs', () => {
  const root = mkdtempSync(join(tmpdir(), 'terrace-sealed-'));
  const store = new FileBlobStore(root);
  after(() => rmSync(root, { recursive: true, force: true }));

  it('round-trips any length, across chunk boundaries, fed in any pieces', async () => {
    for (const length of [0, 1, 15, 16, 17, 47, 48, 1000]) {
      const content = randomBytes(length);
      const bytes = await sealed(before, content, 16);
      assert.equal(bytes.length, HEADER + length + (Math.floor(length / 16) + 1) * TAG, `${length} bytes: one tag per chunk, the last one shorter`);
      for (const piece of [1, 7, 100_000]) assert.deepEqual(await opened(before, bytes, piece), content, `${length} bytes in pieces of ${piece}`);
    }
  });

  it('opens blobs sealed under a previous key, and names the key it lacks', async () => {
    const content = Buffer.from('sealed before the rotation');
    const bytes = await sealed(before, content);
    assert.deepEqual(await opened(rotated, bytes), content);
    await assert.rejects(
      opened({ encryptionKey: newKey, previousEncryptionKeys: [] }, bytes),
      (err) => err instanceof SealError && /not configured/.test(err.message),
    );
    const resealed = await sealed(rotated, content);
    assert.deepEqual(await opened(rotated, resealed), content);
    await assert.rejects(opened(before, resealed), SealError);
  });

  it('refuses any change: a flipped byte, the header, dropped, swapped, truncated or appended chunks', async () => {
    const content = randomBytes(16 * 3 + 5);
    const bytes = await sealed(before, content, 16);
    const record = 16 + TAG;
    const records = (from: Buffer) => Array.from({ length: 4 }, (_, i) => from.subarray(HEADER + i * record, HEADER + (i + 1) * record));
    const [r0, r1, r2, r3] = records(bytes) as [Buffer, Buffer, Buffer, Buffer];
    const header = bytes.subarray(0, HEADER);
    const flipped = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ 1;
      return copy;
    };
    const tampered: [string, Buffer][] = [
      ['a ciphertext byte', flipped(HEADER + record + 3)],
      ['a tag byte', flipped(bytes.length - 1)],
      ['the salt', flipped(HEADER - 1)],
      ['the magic', flipped(0)],
      ['a dropped chunk', Buffer.concat([header, r0, r2, r3])],
      ['swapped chunks', Buffer.concat([header, r1, r0, r2, r3])],
      ['the final chunk cut off', Buffer.concat([header, r0, r1, r2])],
      ['the final chunk cut short', bytes.subarray(0, bytes.length - 1)],
      ['a chunk appended', Buffer.concat([bytes, r1])],
      ['only a header', header],
      ['nothing', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of tampered) await assert.rejects(opened(before, bytes), SealError, what);
  });

  it('stores artifacts sealed under keys ending in .sealed, and reads plain blobs of other keys as they are', async () => {
    const secret = `S3NSITIVE-${randomBytes(8).toString('hex')}`;
    await putSealed(store, before, 'plans/p1/plan.json.sealed', Readable.from([`{"variables":{"v":"${secret}"}}`]));
    const onDisk = readFileSync(join(root, 'plans/p1/plan.json.sealed'));
    assert.equal(onDisk.includes(secret), false, 'no plaintext at rest');
    assert.equal(String(await buffer((await getBlob(store, before, 'plans/p1/plan.json.sealed')) as Readable)), `{"variables":{"v":"${secret}"}}`);
    assert.equal(String(await buffer((await getBlob(store, rotated, 'plans/p1/plan.json.sealed')) as Readable)), `{"variables":{"v":"${secret}"}}`);
    await store.put('plans/p0/plan.json', Readable.from(['{"legacy":true}']));
    assert.equal(String(await buffer((await getBlob(store, before, 'plans/p0/plan.json')) as Readable)), '{"legacy":true}');
    assert.equal(await getBlob(store, before, 'plans/none/plan.json.sealed'), undefined);
    await assert.rejects(putSealed(store, before, 'plans/p1/plain.json', Readable.from(['x'])), /must end in \.sealed/);

    // A failing source leaves nothing behind.
    const failing = new Readable({
      read() {
        this.destroy(new Error('source failed'));
      },
    });
    await assert.rejects(putSealed(store, before, 'plans/p2/plan.json.sealed', failing), /source failed/);
    assert.equal(await store.stat('plans/p2/plan.json.sealed'), undefined);
    assert.deepEqual(readdirSync(join(root, '.tmp')), []);
  });
});
