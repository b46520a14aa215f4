import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PayloadTooLargeError } from '../errors.js';
import { assertBlobKey, type BlobStore, type StoredBlob } from './blob-store.js';
import { countedReadPieces, countStreamedBytes } from './streamed-garbage.js';

/**
 * Counts and hashes the bytes passing through, and fails past `maxBytes`, so a size limit holds
 * without buffering.
 */
export class MeasuringStream extends Transform {
  size = 0;
  private readonly hash = createHash('md5');

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new PayloadTooLargeError(`the upload is larger than the limit of ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    countStreamedBytes(chunk.length);
    callback(null, chunk);
  }

  md5(): string {
    return this.hash.digest('hex');
  }
}

/**
 * A put's file buffer. With the default 16 KiB, every chunk of a TLS upload paused the socket until
 * its write finished; 1 MiB keeps reading while the writes batch up: a 100 MB state uploads about
 * 1.5× faster, with no more server memory (`npm run bench -- state`). Reads keep the default 64 KiB:
 * larger ones sped downloads up but added about 10 MB to the server's peak RSS.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * Blobs as files under one root directory; a put writes a temporary file in `.tmp` and renames it
 * into place. A put that a crash interrupted leaves its temporary file: `sweepLeftovers` removes
 * them when the server starts.
 */
export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private get temporaryDir(): string {
    return join(this.root, '.tmp');
  }

  /**
   * Removes every temporary file; returns how many. Only at start, by the data directory's one
   * server (docs/design.md "Blobs"): any put in progress would lose its file.
   */
  readonly sweepsWhileServing = false;

  async sweepLeftovers(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.temporaryDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    for (const name of names) await rm(join(this.temporaryDir, name), { recursive: true, force: true });
    return names.length;
  }

  private path(key: string): string {
    assertBlobKey(key);
    return join(this.root, key);
  }

  async put(key: string, source: Readable, options: { maxBytes?: number } = {}): Promise<StoredBlob> {
    const target = this.path(key);
    await mkdir(this.temporaryDir, { recursive: true });
    const temporary = join(this.temporaryDir, randomBytes(12).toString('hex'));
    const measuring = new MeasuringStream(options.maxBytes);
    const file = createWriteStream(temporary, { mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES });
    try {
      await pipeline(source, measuring, file);
      await mkdir(dirname(target), { recursive: true });
      await rename(temporary, target);
    } catch (err) {
      // A source that fails at once can beat the file's opening: the destroyed stream still creates
      // the file before it closes, so the removal waits for the close.
      if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      await rm(temporary, { force: true });
      throw err;
    }
    return { size: measuring.size, md5: measuring.md5() };
  }

  async get(key: string, options: { start?: number } = {}): Promise<Readable | undefined> {
    try {
      const handle = await open(this.path(key), 'r');
      const file = handle.createReadStream({ start: options.start ?? 0, autoClose: true });
      return Readable.from(countedReadPieces(file), { objectMode: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      return { size: (await stat(this.path(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
