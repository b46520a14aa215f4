import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../config.js';
import { ConfigError } from '../settings.js';
import { keyId, open, reseal, SealError, type SealingKeys, seal, sealedKeyId } from './sealing.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const before: SealingKeys = { encryptionKey: oldKey, previousEncryptionKeys: [] };
const rotated: SealingKeys = { encryptionKey: newKey, previousEncryptionKeys: [oldKey] };

/** `sealed` with one byte of part `index` (0 header … 4 ciphertext) flipped. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] as string, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('sealing', () => {
  it('seals to a self-describing string that opens to the plaintext', () => {
    for (const plaintext of ['s3cr3t', '', 'ünïcödé ✓\nline two', 'x'.repeat(256 * 1024)]) {
      const sealed = seal(before, plaintext);
      assert.match(sealed, /^v1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/);
      assert.equal(sealedKeyId(sealed), keyId(oldKey));
      assert.ok(plaintext === '' || !sealed.includes(plaintext));
      assert.equal(open(before, sealed), plaintext);
    }
  });

  it('uses a fresh IV each time', () => {
    assert.notEqual(seal(before, 'same'), seal(before, 'same'));
  });

  it('refuses a tampered IV, tag or ciphertext (the GCM tag fails)', () => {
    const sealed = seal(before, 'tamper me');
    for (const index of [2, 3, 4]) assert.throws(() => open(before, flip(sealed, index)), /failed authentication/);
  });

  it('refuses a value sealed under a key it does not have, naming the key id only', () => {
    const sealed = seal(before, 'other key');
    assert.throws(
      () => open({ encryptionKey: newKey, previousEncryptionKeys: [] }, sealed),
      (err: unknown) => err instanceof SealError && err.message.includes(keyId(oldKey)) && !err.message.includes('other key'),
    );
    // A forged key id that matches the wrong key still fails authentication.
    const parts = sealed.split('.');
    parts[1] = keyId(newKey);
    assert.throws(() => open({ encryptionKey: newKey, previousEncryptionKeys: [] }, parts.join('.')), /failed authentication/);
  });

  it('refuses malformed values', () => {
    for (const bad of ['', 'plain text', 'v2.a.b.c.d', 'v1.a.b.c', 'v1..AAAA.AAAA.AAAA', `v1.${keyId(oldKey)}.AAAA.AAAA.AAAA`]) {
      assert.throws(() => open(before, bad), SealError);
    }
  });

  it('rotates: old values open with the previous key and reseal under the current one', () => {
    const sealed = seal(before, 'rotate me');
    assert.equal(open(rotated, sealed), 'rotate me');
    const resealed = reseal(rotated, sealed);
    assert.ok(resealed);
    assert.equal(sealedKeyId(resealed), keyId(newKey));
    assert.equal(open({ encryptionKey: newKey, previousEncryptionKeys: [] }, resealed), 'rotate me');
    assert.equal(reseal(rotated, resealed), undefined);
    assert.throws(() => open(before, resealed), SealError);
  });

  it('gives different keys different ids', () => {
    assert.notEqual(keyId(oldKey), keyId(newKey));
    assert.equal(keyId(Buffer.from(oldKey)), keyId(oldKey));
  });
});

describe('TERRACE_PREVIOUS_ENCRYPTION_KEYS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'terrace-sealing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads comma-separated keys in hex or base64', () => {
    const config = loadConfig({
      TERRACE_DATA_DIR: dir,
      TERRACE_ENCRYPTION_KEY: newKey.toString('base64'),
      TERRACE_PREVIOUS_ENCRYPTION_KEYS: ` ${oldKey.toString('hex')}, ${newKey.toString('base64')} ,`,
    });
    assert.deepEqual(config.previousEncryptionKeys, [oldKey, newKey]);
    assert.equal(open(config, seal(before, 'via config')), 'via config');
    assert.deepEqual(loadConfig({ TERRACE_DATA_DIR: dir }).previousEncryptionKeys, []);
  });

  it('refuses a key of the wrong size, naming the setting', () => {
    assert.throws(
      () => loadConfig({ TERRACE_DATA_DIR: dir, TERRACE_PREVIOUS_ENCRYPTION_KEYS: `${oldKey.toString('hex')},abcd` }),
      (err: unknown) => err instanceof ConfigError && err.message.includes('TERRACE_PREVIOUS_ENCRYPTION_KEYS'),
    );
  });
});
