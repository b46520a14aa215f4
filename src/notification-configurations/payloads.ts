import type { Mail } from '../mail.js';
import { escapeHtml } from '../oauth/pages.js';
import type { DestinationType } from './store.js';

/**
 * What each destination type receives (notification-configurations.mdx "Notification payload",
 * workspaces/settings/notifications.mdx "Notification Payloads"): the generic JSON exactly as
 * documented, Slack's incoming-webhook message with an attachment, a Microsoft Teams workflow message
 * with an Adaptive Card, and an email. Pure: the delivery job gathers the facts.
 */

/** One run event as a notification tells it; every run field is null in a verification ("Send a test" payload). */
export interface RunEvent {
  configurationId: string;
  configurationName: string;
  trigger: string;
  message: string;
  run: {
    id: string;
    url: string;
    message: string;
    createdAt: string;
    createdBy: string | null;
    status: string;
    updatedAt: string;
    updatedBy: string | null;
  } | null;
  workspace: { id: string; name: string; url: string } | null;
  organizationName: string | null;
}

/** notification-configurations.mdx "Notification triggers": the workspace values, then the team ones. */
export const WORKSPACE_TRIGGERS = [
  'run:created',
  'run:planning',
  'run:needs_attention',
  'run:applying',
  'run:completed',
  'run:errored',
  'assessment:drifted',
  'assessment:check_failure',
  'assessment:failed',
  'workspace:auto_destroy_reminder',
  'workspace:auto_destroy_run_results',
] as const;
/** The table says `team:change_request`; the page's samples and go-tfe send `change_request:created`. Both are taken. */
export const TEAM_TRIGGERS = ['team:change_request', 'change_request:created'] as const;

export type RunTrigger = 'run:created' | 'run:planning' | 'run:needs_attention' | 'run:applying' | 'run:completed' | 'run:errored';

/** The human-readable reason (`notifications[].message`): by trigger, and for the two end triggers by how the run ended. */
export function messageFor(trigger: RunTrigger, runStatus: string): string {
  switch (trigger) {
    case 'run:created':
      return 'Run Created';
    case 'run:planning':
      return 'Run Planning';
    case 'run:needs_attention':
      return 'Run Needs Attention';
    case 'run:applying':
      return 'Run Applying';
    case 'run:completed':
      return runStatus === 'applied' ? 'Run Applied' : 'Run Planned and Finished';
    case 'run:errored':
      if (runStatus === 'canceled' || runStatus === 'force_canceled') return 'Run Canceled';
      return runStatus === 'discarded' ? 'Run Discarded' : 'Run Errored';
  }
}

/** The generic payload (notification-configurations.mdx "Run notification payload"). */
export function genericPayload(event: RunEvent): Record<string, unknown> {
  const { run, workspace } = event;
  return {
    payload_version: 1,
    notification_configuration_id: event.configurationId,
    run_url: run?.url ?? null,
    run_id: run?.id ?? null,
    run_message: run?.message ?? null,
    run_created_at: run?.createdAt ?? null,
    run_created_by: run?.createdBy ?? null,
    workspace_id: workspace?.id ?? null,
    workspace_name: workspace?.name ?? null,
    organization_name: event.organizationName,
    notifications: [
      {
        message: event.message,
        trigger: event.trigger,
        run_status: run?.status ?? null,
        run_updated_at: run?.updatedAt ?? null,
        run_updated_by: run?.updatedBy ?? null,
      },
    ],
  };
}

/** Slack's attachment colours: green done, red failed, amber waiting for someone, grey in progress. */
function colorOf(trigger: string): string {
  if (trigger === 'run:completed') return '#2eb886';
  if (trigger === 'run:errored') return '#d50200';
  if (trigger === 'run:needs_attention') return '#f2c744';
  return '#8f96a1';
}

function workspaceLabel(event: RunEvent): string {
  return event.workspace ? `${event.organizationName}/${event.workspace.name}` : '';
}

/** A Slack incoming-webhook message: the run's workspace and id as links, who created it, its message, when, and the event. */
export function slackPayload(event: RunEvent): Record<string, unknown> {
  const { run, workspace } = event;
  if (!run || !workspace) return { text: `${event.message} (Terrace notification ${event.configurationName})` };
  return {
    text: `${event.message}: <${workspace.url}|${workspaceLabel(event)}>`,
    attachments: [
      {
        fallback: `${event.message}: ${workspaceLabel(event)} run ${run.id}`,
        color: colorOf(event.trigger),
        author_name: run.createdBy ?? 'Terrace',
        title: run.id,
        title_link: run.url,
        text: run.message,
        fields: [
          { title: 'Workspace', value: `<${workspace.url}|${workspaceLabel(event)}>`, short: true },
          { title: 'Run created', value: run.createdAt, short: true },
          { title: 'Event', value: event.message, short: true },
          { title: 'Event time', value: run.updatedAt, short: true },
        ],
        footer: 'Terrace',
        ts: Math.floor(Date.parse(run.updatedAt) / 1000),
      },
    ],
  };
}

/** A Microsoft Teams workflow message (the "When a Teams webhook request is received" trigger) carrying an Adaptive Card. */
export function microsoftTeamsPayload(event: RunEvent): Record<string, unknown> {
  const { run, workspace } = event;
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', size: 'Medium', weight: 'Bolder', text: event.message, wrap: true }];
  if (run && workspace) {
    body.push(
      { type: 'TextBlock', text: `Workspace [${workspaceLabel(event)}](${workspace.url})`, wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'Run', value: run.id },
          { title: 'Created by', value: run.createdBy ?? 'Terrace' },
          { title: 'Message', value: run.message },
          { title: 'Run created', value: run.createdAt },
          { title: 'Event', value: `${event.message} at ${run.updatedAt}` },
        ],
      },
    );
  } else {
    body.push({ type: 'TextBlock', text: `Terrace notification ${event.configurationName}`, wrap: true });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(run ? { actions: [{ type: 'Action.OpenUrl', title: 'View run', url: run.url }] } : {}),
        },
      },
    ],
  };
}

/** The JSON body a webhook destination receives. */
export function webhookBody(destinationType: Exclude<DestinationType, 'email'>, event: RunEvent): string {
  const payload =
    destinationType === 'slack' ? slackPayload(event) : destinationType === 'microsoft-teams' ? microsoftTeamsPayload(event) : genericPayload(event);
  return JSON.stringify(payload);
}

/** The email (workspaces/settings/notifications.mdx "Email"): the workspace and run as links, the event, and whether someone must act. */
export function emailFor(event: RunEvent, to: readonly string[]): Mail {
  const { run, workspace } = event;
  if (!run || !workspace) {
    const text = `This is a test of the Terrace notification configuration "${event.configurationName}".`;
    return { to, subject: `Terrace: ${event.message}`, text, html: `<p>${escapeHtml(text)}</p>` };
  }
  const label = workspaceLabel(event);
  const action = event.trigger === 'run:needs_attention' ? 'The run needs your attention: confirm or discard it.' : 'No action is needed.';
  const lines = [
    `${event.message} in workspace ${label}.`,
    '',
    `Workspace: ${workspace.url}`,
    `Run: ${run.id} ${run.url}`,
    `Status: ${run.status}`,
    '',
    action,
  ];
  return {
    to,
    subject: `Terrace: ${event.message} in ${label}`,
    text: `${lines.join('\n')}\n`,
    html: [
      `<p>${escapeHtml(event.message)} in workspace <a href="${escapeHtml(workspace.url)}">${escapeHtml(label)}</a>.</p>`,
      `<p>Run <a href="${escapeHtml(run.url)}">${escapeHtml(run.id)}</a> is ${escapeHtml(run.status)}.</p>`,
      `<p>${escapeHtml(action)}</p>`,
    ].join('\n'),
  };
}
