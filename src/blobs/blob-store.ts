import type { Readable } from 'node:stream';

/**
 * Where large content lives (state files, configuration tarballs, logs, registry artifacts): streams
 * only, never a whole blob in memory. Keys are `/`-separated paths of `[A-Za-z0-9._-]` segments.
 *
 * @example
 * const { size, md5 } = await ctx.blobs.put(`state-versions/${id}/state`, request.raw, { maxBytes });
 * const body = await ctx.blobs.get(`state-versions/${id}/state`); // Readable | undefined
 */
export interface BlobStore {
  /**
   * Streams `source` into `key`, replacing earlier content only once the whole stream has arrived:
   * on any error (PayloadTooLargeError past `maxBytes` included) the key keeps its earlier content.
   */
  put(key: string, source: Readable, options?: { maxBytes?: number }): Promise<StoredBlob>;
  /** The content from byte `start` (default 0), or undefined when the key does not exist. */
  get(key: string, options?: { start?: number }): Promise<Readable | undefined>;
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Removes the key; absent keys are fine. */
  delete(key: string): Promise<void>;
  /** Removes what interrupted puts and replaced content left behind; returns how many. */
  sweepLeftovers(): Promise<number>;
  /** Whether `sweepLeftovers` is safe while puts are in progress (then the server sweeps periodically), or only at start. */
  readonly sweepsWhileServing: boolean;
}

export interface StoredBlob {
  size: number;
  /** Hex MD5 of the content, computed while streaming. */
  md5: string;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Refuses keys that could leave the store's root (`..`, absolute paths, empty segments). */
export function assertBlobKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  }
}
