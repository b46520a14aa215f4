import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './fs-store.js';
import { PostgresBlobStore } from './pg-store.js';

/** The configured blob store (TERRACE_BLOB_STORE): files under `<dataDir>/blobs`, or the database. */
export function openConfiguredBlobStore(config: Config, database: Database): BlobStore {
  return config.blobStore === 'postgres' ? new PostgresBlobStore(database) : new FileBlobStore(join(config.dataDir, 'blobs'));
}
