import { open } from '../crypto/sealing.js';
import { sendMail } from '../mail.js';
import { httpUrl } from '../outbound.js';
import type { Job, JobContext } from '../queue/queue.js';
import * as runStore from '../runs/store.js';
import * as userStore from '../users/store.js';
import * as workspaceStore from '../workspaces/store.js';
import type { DeliveryPayload } from './lifecycle.js';
import { isAllowedDestination, sendWebhook } from './outbound.js';
import { emailFor, messageFor, type RunEvent, webhookBody } from './payloads.js';
import { emailRecipients } from './service.js';
import * as configurationStore from './store.js';

/**
 * Delivers one run notification to one configuration's destination, as a job of the queue: at least
 * once (a job whose worker died is run again), retried with backoff while the destination cannot be
 * reached or answers 5xx (or 429), given up after the last try. A 4xx answer is the destination's
 * final word: recorded, not retried. Each answer is recorded in `delivery-responses`.
 */

async function usernameOf(ctx: JobContext, id: string | null): Promise<string | null> {
  return id ? ((await userStore.findById(ctx.db, id))?.username ?? null) : null;
}

/** The event as the payloads tell it; undefined when the run or its workspace is gone. */
async function eventFor(ctx: JobContext, configuration: configurationStore.NotificationConfiguration, payload: DeliveryPayload): Promise<RunEvent | undefined> {
  const run = await runStore.findById(ctx.db, payload.runId);
  const workspace = run && (await workspaceStore.findById(ctx.db, run.workspaceId));
  if (!run || !workspace) return undefined;
  const workspaceUrl = `https://${ctx.config.hostname}/app/${encodeURIComponent(workspace.organizationName)}/${encodeURIComponent(workspace.name)}`;
  return {
    configurationId: configuration.id,
    configurationName: configuration.name,
    trigger: payload.trigger,
    message: messageFor(payload.trigger, payload.runStatus),
    run: {
      id: run.id,
      url: `${workspaceUrl}/runs/${run.id}`,
      message: run.message,
      createdAt: run.createdAt.toISOString(),
      createdBy: await usernameOf(ctx, run.createdById),
      status: payload.runStatus,
      updatedAt: payload.runUpdatedAt,
      updatedBy: await usernameOf(ctx, payload.actorId),
    },
    workspace: { id: workspace.id, name: workspace.name, url: workspaceUrl },
    organizationName: workspace.organizationName,
  };
}

/** Throws to have the queue try again, unless this was the last try: then the notification is given up (logged). */
function retryOrGiveUp(ctx: JobContext, job: Job, configurationId: string, reason: string): void {
  if (job.attempts < job.maxAttempts) throw new Error(`notification ${configurationId}: ${reason}`);
  ctx.log.warn({ notificationConfigurationId: configurationId, attempts: job.attempts, reason }, 'notification given up');
}

export async function deliverNotification(ctx: JobContext, payload: DeliveryPayload, job: Job): Promise<void> {
  const configuration = await configurationStore.findById(ctx.db, payload.configurationId);
  // Deleted, disabled or unsubscribed since the event: nothing to send.
  if (!configuration?.enabled || !configuration.triggers.includes(payload.trigger)) return;
  const event = await eventFor(ctx, configuration, payload);
  if (!event) return;
  if (configuration.destinationType === 'email') {
    const to = await emailRecipients(ctx, configuration);
    if (to.length === 0) return;
    try {
      await sendMail(ctx.config, emailFor(event, to));
    } catch (err) {
      retryOrGiveUp(ctx, job, configuration.id, `mail: ${err instanceof Error ? err.message : String(err)}`);
    }
    return;
  }
  const url = httpUrl(configuration.url ?? '');
  // The allow-list may have changed since the configuration was saved.
  if (!url || !isAllowedDestination(ctx.config, url)) {
    ctx.log.warn({ notificationConfigurationId: configuration.id }, 'notification destination not allowed (TERRACE_NOTIFICATION_ALLOWED_HOSTS)');
    return;
  }
  const sealed = configuration.destinationType === 'generic' ? await configurationStore.findSealedToken(ctx.db, configuration.id) : null;
  let response: configurationStore.DeliveryResponseRecord;
  try {
    response = await sendWebhook(
      ctx.config,
      configuration.url as string,
      webhookBody(configuration.destinationType, event),
      sealed ? open(ctx.config, sealed) : null,
      ctx.now(),
    );
  } catch (err) {
    retryOrGiveUp(ctx, job, configuration.id, err instanceof Error ? err.message : String(err));
    return;
  }
  await configurationStore.recordDeliveryResponse(ctx.db, configuration.id, response);
  const code = Number(response.code);
  if (code >= 500 || code === 429) retryOrGiveUp(ctx, job, configuration.id, `the destination answered ${code}`);
}
