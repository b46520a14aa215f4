import { escapeHtml } from '../oauth/pages.js';
import { sendMail } from '../mail.js';
import type { JobContext } from '../queue/queue.js';
import * as membershipStore from './store.js';

/**
 * The invitation mail (organization-memberships.mdx: the user "will receive an email invitation"):
 * queued with the invitation when the server has an SMTP server (TERRACE_SMTP_*), sent after the
 * commit by the job queue, retried with backoff while the SMTP server refuses it.
 */

export const INVITATION_MAIL_JOB = 'organization-membership.invitation-mail';

export async function sendInvitationMail(ctx: JobContext, payload: { membershipId: string }): Promise<void> {
  const membership = await membershipStore.findById(ctx.db, payload.membershipId);
  // Answered or withdrawn since: nothing to tell.
  if (membership?.status !== 'invited') return;
  const link = `https://${ctx.config.hostname}/app/invitations`;
  const organization = membership.organizationName;
  await sendMail(ctx.config, {
    to: [membership.email],
    subject: `You are invited to join ${organization} on Terrace`,
    text: `You have been invited to join the organization ${organization} on Terrace.\n\nSign in at ${link} to accept or decline the invitation.\n`,
    html: `<p>You have been invited to join the organization <strong>${escapeHtml(organization)}</strong> on Terrace.</p>\n<p><a href="${escapeHtml(link)}">Sign in to accept or decline the invitation</a>.</p>`,
  });
}
