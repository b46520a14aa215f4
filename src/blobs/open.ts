import { join } from 'node:path';
import type { Config } from '../config.js';
import { FileBlobStore } from './fs-store.js';

/** The configured blob store: files under `<dataDir>/blobs`. */
export function openConfiguredBlobStore(config: Config): FileBlobStore {
  return new FileBlobStore(join(config.dataDir, 'blobs'));
}
