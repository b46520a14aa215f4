import { DELETE_BLOBS_JOB, deleteBlobs } from './blobs/delete-job.js';
import type { JobHandler } from './queue/queue.js';
import { processStateVersion } from './state-versions/process-job.js';
import { PROCESS_JOB as PROCESS_STATE_VERSION } from './state-versions/upload-service.js';

/** Every background job kind and its handler, listed explicitly as routes are in app.ts. */
export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  [PROCESS_STATE_VERSION]: processStateVersion,
  [DELETE_BLOBS_JOB]: deleteBlobs,
};
