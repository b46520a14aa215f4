/** The job queue, installation facts and blobs in the database. */
import type { ColumnType, Generated } from 'kysely';
import type { NullableTimestamp } from './common.js';

export interface JobTable {
  id: Generated<number>;
  kind: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: Generated<number>;
  max_attempts: number;
  locked_until: NullableTimestamp;
  last_error: string | null;
  failed_at: NullableTimestamp;
  created_at: Generated<Date>;
}

/** Facts about the installation that every replica reads (migration 0015). */
export interface InstallationFactTable {
  name: string;
  value: string;
}

/** The PostgreSQL blob store's tables (migration 0015). */
export interface BlobUploadTable {
  id: string;
  started_at: Generated<Date>;
  released_at: Date | null;
}

export interface BlobChunkTable {
  upload_id: string;
  seq: number;
  byte_offset: number;
  data: Buffer;
}

export interface BlobTable {
  key: string;
  upload_id: string;
  size: number;
  md5: string;
}
