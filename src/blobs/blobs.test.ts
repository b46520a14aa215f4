import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../config.js';
import { PayloadTooLargeError } from '../errors.js';
import { FileBlobStore } from './fs-store.js';
import { signedUrl, verifySignature, withoutSignature } from './signed-url.js';
import { streamedBytes } from './streamed-garbage.js';

describe('file blob store', () => {
  const root = mkdtempSync(join(tmpdir(), 'terrace-blobs-'));
  const store = new FileBlobStore(root);
  after(() => rmSync(root, { recursive: true, force: true }));

  test('stores a stream with its size and md5, reads it whole or from an offset', async () => {
    const stored = await store.put('a/b/state', Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    assert.deepEqual(stored, { size: 11, md5: '5eb63bbbe01eeed093cb22bb8f5acdc3' });
    assert.equal(await text((await store.get('a/b/state')) as Readable), 'hello world');
    assert.equal(await text((await store.get('a/b/state', { start: 6 })) as Readable), 'world');
    assert.deepEqual(await store.stat('a/b/state'), { size: 11 });
  });

  test('streams content larger than its 1 MiB write buffer intact', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    const stored = await store.put('big', Readable.from([content.subarray(0, 100), content.subarray(100)]));
    assert.deepEqual(stored, { size: content.length, md5: createHash('md5').update(content).digest('hex') });
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.get('big')) as Readable) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(content));
  });

  test('counts the bytes a put and a read stream', async () => {
    const content = randomBytes(300_000);
    const beforePut = streamedBytes();
    await store.put('counted', Readable.from([content]));
    assert.equal(streamedBytes() - beforePut, content.length);
    for (const start of [0, 70_000]) {
      const before = streamedBytes();
      const read = await buffer((await store.get('counted', { start })) as Readable);
      assert.ok(read.equals(content.subarray(start)));
      assert.equal(streamedBytes() - before, content.length - start, `from ${start}`);
    }
  });

  test('an upload past the limit fails and leaves the earlier content and no temporary file', async () => {
    await store.put('limited', Readable.from([Buffer.from('old')]));
    await assert.rejects(store.put('limited', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), { maxBytes: 15 }), PayloadTooLargeError);
    assert.equal(await text((await store.get('limited')) as Readable), 'old');
    assert.deepEqual(readdirSync(join(root, '.tmp')), []);
  });

  test('absent keys read as undefined; delete is idempotent', async () => {
    assert.equal(await store.get('missing'), undefined);
    assert.equal(await store.stat('missing'), undefined);
    await store.put('gone', Readable.from([Buffer.from('x')]));
    await store.delete('gone');
    await store.delete('gone');
    assert.equal(await store.get('gone'), undefined);
  });

  test('sweeping removes the temporary files a crash left, and only those', async () => {
    const freshRoot = mkdtempSync(join(tmpdir(), 'terrace-blobs-sweep-'));
    const fresh = new FileBlobStore(freshRoot);
    assert.equal(await fresh.sweepLeftovers(), 0, 'no .tmp yet');
    await fresh.put('kept', Readable.from([Buffer.from('kept')]));
    const temporaryDir = join(freshRoot, '.tmp');
    mkdirSync(join(temporaryDir, 'odd-directory'), { recursive: true });
    for (const name of ['a1', 'b2']) writeFileSync(join(temporaryDir, name), 'half a blob');
    assert.equal(await fresh.sweepLeftovers(), 3);
    assert.deepEqual(readdirSync(temporaryDir), []);
    assert.equal(await text((await fresh.get('kept')) as Readable), 'kept');
    rmSync(freshRoot, { recursive: true, force: true });
  });

  test('keys that could leave the root are refused', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.', 'a/./b', '']) {
      await assert.rejects(store.get(key), /invalid blob key/, key);
    }
  });
});

describe('signed URLs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'terrace-sign-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ TERRACE_DATA_DIR: dataDir });
  const now = new Date('2026-11-23T12:00:00Z');
  const ctx = { config, baseUrl: 'https://terrace.example', now: () => now };
  const path = '/_blobs/state-versions/sv-1/state';

  function parts(url: string): { expiry: string; signature: string } {
    const [expiry, signature] = url.slice(`https://terrace.example${path}/`.length).split('/') as [string, string];
    return { expiry, signature };
  }

  test('a URL verifies for its own path until it expires', () => {
    const url = signedUrl(ctx, path, 60);
    assert.ok(url.startsWith(`https://terrace.example${path}/`));
    const { expiry, signature } = parts(url);
    assert.equal(verifySignature(config, path, expiry, signature, now), true);
    assert.equal(verifySignature(config, path, expiry, signature, new Date(now.getTime() + 59_000)), true);
    assert.equal(verifySignature(config, path, expiry, signature, new Date(now.getTime() + 60_000)), false);
  });

  test('another path, a changed expiry, a forged signature or another key are refused', () => {
    const { expiry, signature } = parts(signedUrl(ctx, path, 60));
    assert.equal(verifySignature(config, '/_blobs/state-versions/sv-2/state', expiry, signature, now), false);
    assert.equal(verifySignature(config, path, String(Number(expiry) + 3600), signature, now), false);
    assert.equal(verifySignature(config, path, expiry, `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`, now), false);
    assert.equal(verifySignature(config, path, 'soon', signature, now), false);
    const otherDir = mkdtempSync(join(tmpdir(), 'terrace-sign-'));
    try {
      assert.equal(verifySignature(loadConfig({ TERRACE_DATA_DIR: otherDir }), path, expiry, signature, now), false);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test('log lines keep the path of a signed URL but not its signature', () => {
    const { expiry, signature } = parts(signedUrl(ctx, path, 60));
    assert.equal(withoutSignature(`${path}/${expiry}/${signature}`), `${path}/${expiry}/[signature]`);
    assert.equal(withoutSignature('/api/v2/workspaces/ws-1'), '/api/v2/workspaces/ws-1');
  });
});
