import { escapeHtml, layout } from '../oauth/pages.js';

/** The invitations pages (invitations/routes.ts): sign in, answer each invitation, the outcome. */

export function invitationsSignInPage(input: { username?: string; error?: string } = {}): string {
  return layout(
    'Invitations',
    `<h1>Invitations</h1>
<p>Sign in to see the organizations that invited you, and to accept or decline.</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="/app/invitations">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required value="${escapeHtml(input.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface PendingInvitation {
  organizationName: string;
  /** Where the answer is posted: a signed path that stands for the signed-in user for a while. */
  answerPath: string;
}

export function pendingInvitationsPage(username: string, invitations: readonly PendingInvitation[]): string {
  const items = invitations.map(
    (invitation) => `<li><p>Organization <strong>${escapeHtml(invitation.organizationName)}</strong></p>
<form method="post" action="${escapeHtml(invitation.answerPath)}"><input type="hidden" name="answer" value="accept"><button type="submit">Accept</button></form>
<form method="post" action="${escapeHtml(invitation.answerPath)}"><input type="hidden" name="answer" value="decline"><button type="submit">Decline</button></form></li>`,
  );
  return layout(
    'Invitations',
    `<h1>Invitations for ${escapeHtml(username)}</h1>
${items.length === 0 ? '<p>No invitation is waiting for you.</p>' : `<ul>\n${items.join('\n')}\n</ul>`}`,
  );
}

export function invitationAnsweredPage(organizationName: string, accepted: boolean): string {
  const title = accepted ? 'Invitation accepted' : 'Invitation declined';
  const text = accepted
    ? `You are now a member of <strong>${escapeHtml(organizationName)}</strong>.`
    : `You declined the invitation of <strong>${escapeHtml(organizationName)}</strong>.`;
  return layout(title, `<h1>${title}</h1>\n<p>${text}</p>\n<p><a href="/app/invitations">Other invitations</a></p>`);
}
