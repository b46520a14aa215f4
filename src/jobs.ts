import { DELETE_BLOBS_JOB, deleteBlobs } from './blobs/delete-job.js';
import { SWEEP_JOB as SWEEP_DATA_RETENTION, sweepRetention } from './data-retention-policies/sweep-job.js';
import { deliverNotification } from './notification-configurations/delivery-jobs.js';
import { DELIVER_JOB as DELIVER_NOTIFICATION } from './notification-configurations/lifecycle.js';
import { INVITATION_MAIL_JOB, sendInvitationMail } from './organization-memberships/invitation-mail.js';
import { evaluatePolicies } from './policy-evaluations/evaluate-job.js';
import type { JobHandler } from './queue/queue.js';
import { fireRunTriggers } from './run-triggers/fire-job.js';
import { FIRE_JOB as FIRE_RUN_TRIGGERS } from './run-triggers/lifecycle.js';
import { processStateVersion } from './state-versions/process-job.js';
import { PROCESS_JOB as PROCESS_STATE_VERSION } from './state-versions/upload-service.js';
import { deliverTaskResult, timeOutTaskResult } from './task-stages/delivery-jobs.js';
import { DELIVER_JOB as DELIVER_TASK_RESULT, EVALUATE_POLICIES_JOB, TIMEOUT_JOB as TIME_OUT_TASK_RESULT } from './task-stages/lifecycle.js';

/** Every background job kind and its handler, listed explicitly as routes are in app.ts. */
export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = {
  [PROCESS_STATE_VERSION]: processStateVersion,
  [DELETE_BLOBS_JOB]: deleteBlobs,
  [DELIVER_TASK_RESULT]: deliverTaskResult,
  [TIME_OUT_TASK_RESULT]: timeOutTaskResult,
  [FIRE_RUN_TRIGGERS]: fireRunTriggers,
  [DELIVER_NOTIFICATION]: deliverNotification,
  [INVITATION_MAIL_JOB]: sendInvitationMail,
  [SWEEP_DATA_RETENTION]: sweepRetention,
  [EVALUATE_POLICIES_JOB]: evaluatePolicies,
};
