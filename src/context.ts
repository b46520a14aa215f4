import type { Subject } from './auth/subject.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';

/** The logger methods services use (pino's, through Fastify's request logger). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a service call needs: the database handle (or transaction), the caller, and the environment. */
export interface Ctx {
  readonly db: Db;
  readonly subject: Subject;
  readonly log: Log;
  readonly config: Config;
  /** Large content: state files, configuration tarballs, logs. */
  readonly blobs: BlobStore;
  /** `https://<hostname>`: the base of every absolute URL returned. */
  readonly baseUrl: string;
  readonly now: () => Date;
  /** Per-request memo for authorization lookups (organization roles). */
  readonly memo: Map<string, unknown>;
}
