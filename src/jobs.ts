import type { JobHandler } from './queue/queue.js';

/** Every background job kind and its handler, listed explicitly as routes are in app.ts. */
export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {};
