import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { keyId, keyWithId, SealError, type SealingKeys } from '../crypto/sealing.js';
import type { BlobStore } from './blob-store.js';

/**
 * Blobs sealed at rest with the key of the database's sealed columns (crypto/sealing.ts), as a stream
 * (docs/design.md "Sealed blobs"): a 33-byte header, `TRSB`, version 1, the 8-byte id of the key,
 * the chunk size (4 bytes, big-endian) and a random 16-byte salt; then the content in chunks of that
 * size (the last one shorter, possibly empty), each AES-256-GCM ciphertext + 16-byte tag. Each blob
 * has its own key, HKDF-SHA256(key, salt); chunk i's nonce is i (96 bits, big-endian) and its
 * additional data the header plus a final-chunk flag, so chunks cannot be reordered, dropped,
 * truncated away or appended to, and the header cannot be altered. A blob names the key that sealed
 * it, so blobs sealed before a key rotation open as long as that key is a previous key.
 *
 * Sealed blobs have keys ending in `.sealed`, so a reader knows how to open a key recorded before
 * sealing existed. Neither direction holds more than one chunk in memory.
 */

export const SEALED_SUFFIX = '.sealed';

const MAGIC = Buffer.from('TRSB');
const VERSION = 1;
const KEY_ID_BYTES = 8;
const SALT_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES + 4 + SALT_BYTES;
const TAG_BYTES = 16;
const CHUNK_BYTES = 64 * 1024;
const HKDF_INFO = Buffer.from('terrace sealed blob v1');

function blobKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, HKDF_INFO, 32));
}

function nonce(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(index), 4);
  return iv;
}

function additionalData(header: Buffer, isFinal: boolean): Buffer {
  return Buffer.concat([header, Buffer.from([isFinal ? 1 : 0])]);
}

/** Seals what passes through under the current key. */
export class SealingStream extends Transform {
  private readonly header: Buffer;
  private readonly key: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    keys: SealingKeys,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    super();
    const salt = randomBytes(SALT_BYTES);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(chunkBytes);
    this.header = Buffer.concat([MAGIC, Buffer.from([VERSION]), Buffer.from(keyId(keys.encryptionKey), 'base64url'), size, salt]);
    this.key = blobKey(keys.encryptionKey, salt);
    this.push(this.header);
  }

  private sealChunk(plaintext: Buffer, isFinal: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(this.index++));
    cipher.setAAD(additionalData(this.header, isFinal));
    this.push(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.chunkBytes) {
      let all = Buffer.concat(this.pending);
      // Full chunks are never the last one: the last is always shorter, so a reader can tell them apart.
      while (all.length >= this.chunkBytes) {
        this.sealChunk(all.subarray(0, this.chunkBytes), false);
        all = all.subarray(this.chunkBytes);
      }
      this.pending = [all];
      this.pendingBytes = all.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.sealChunk(Buffer.concat(this.pending), true);
    callback();
  }
}

/** Opens a sealed stream with whichever configured key sealed it; fails with a SealError on anything else. */
export class OpeningStream extends Transform {
  private header: Buffer | undefined;
  private key: Buffer | undefined;
  private recordBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(private readonly keys: SealingKeys) {
    super();
  }

  private shift(bytes: number): Buffer {
    const all = Buffer.concat(this.pending);
    this.pending = [all.subarray(bytes)];
    this.pendingBytes = all.length - bytes;
    return all.subarray(0, bytes);
  }

  private readHeader(): void {
    const header = this.shift(HEADER_BYTES);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== VERSION) throw new SealError('not a sealed blob');
    const id = header.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES).toString('base64url');
    const chunkBytes = header.readUInt32BE(MAGIC.length + 1 + KEY_ID_BYTES);
    if (chunkBytes === 0 || chunkBytes > 16 * CHUNK_BYTES) throw new SealError('not a sealed blob');
    this.key = blobKey(keyWithId(this.keys, id), header.subarray(HEADER_BYTES - SALT_BYTES));
    this.recordBytes = chunkBytes + TAG_BYTES;
    this.header = header;
  }

  private openChunk(record: Buffer, isFinal: boolean): void {
    const decipher = createDecipheriv('aes-256-gcm', this.key as Buffer, nonce(this.index++));
    decipher.setAAD(additionalData(this.header as Buffer, isFinal));
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    try {
      this.push(Buffer.concat([decipher.update(record.subarray(0, record.length - TAG_BYTES)), decipher.final()]));
    } catch {
      throw new SealError('sealed blob failed authentication');
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      if (!this.header && this.pendingBytes >= HEADER_BYTES) this.readHeader();
      // A whole record is never the final one (the final one is shorter).
      while (this.header && this.pendingBytes >= this.recordBytes) this.openChunk(this.shift(this.recordBytes), false);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.header || this.pendingBytes < TAG_BYTES) {
      callback(new SealError('sealed blob is truncated'));
      return;
    }
    try {
      this.openChunk(this.shift(this.pendingBytes), true);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}

/** The id of the key the sealed blob `key` was sealed under, or undefined when it does not exist. */
export async function sealedBlobKeyId(blobs: BlobStore, key: string): Promise<string | undefined> {
  const stored = await blobs.get(key);
  if (!stored) return undefined;
  const header: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of stored) {
      header.push(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (bytes >= HEADER_BYTES) break;
    }
  } finally {
    stored.destroy();
  }
  const start = Buffer.concat(header);
  if (start.length < HEADER_BYTES || !start.subarray(0, MAGIC.length).equals(MAGIC)) throw new SealError(`${key} is not a sealed blob`);
  return start.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES).toString('base64url');
}

/** Seals the blob `key` again under the current key, unless it already is (or does not exist). */
export async function resealBlob(blobs: BlobStore, keys: SealingKeys, key: string): Promise<'resealed' | 'unchanged' | 'absent'> {
  const id = await sealedBlobKeyId(blobs, key);
  if (id === undefined) return 'absent';
  if (id === keyId(keys.encryptionKey)) return 'unchanged';
  // Read and written at once: the new content replaces the old only once it is complete.
  await putSealed(blobs, keys, key, (await getBlob(blobs, keys, key)) as Readable);
  return 'resealed';
}

export function isSealedKey(key: string): boolean {
  return key.endsWith(SEALED_SUFFIX);
}

/** Streams `source` into `key` (which must end in `.sealed`), sealed under the current key. */
export async function putSealed(blobs: BlobStore, keys: SealingKeys, key: string, source: Readable): Promise<void> {
  if (!isSealedKey(key)) throw new Error(`sealed blob key ${key} must end in ${SEALED_SUFFIX}`);
  // The callback form: an error on either side destroys both, and reaches put through the sealing stream.
  await blobs.put(
    key,
    pipeline(source, new SealingStream(keys), () => {}),
  );
}

/**
 * The content of `key`, opened when its name says it is sealed, or undefined when it does not exist.
 * A sealed blob that does not open makes the stream fail with a SealError.
 */
export async function getBlob(blobs: BlobStore, keys: SealingKeys, key: string): Promise<Readable | undefined> {
  const stored = await blobs.get(key);
  if (!stored || !isSealedKey(key)) return stored;
  return pipeline(stored, new OpeningStream(keys), () => {});
}
