import type { FastifyInstance } from 'fastify';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import { NotFoundError } from '../errors.js';
import { SignInError, userWithPassword } from '../oauth/service.js';
import { errorPage, isCrossSite, sendPage } from '../oauth/pages.js';
import * as membershipService from '../organization-memberships/service.js';
import { formField } from '../web/session-hook.js';
import { invitationAnsweredPage, invitationsSignInPage, pendingInvitationsPage } from './pages.js';

/**
 * Where an invited user accepts or declines (organization-memberships.mdx: "Once accepted, they
 * become members"). Without sessions (the web UI brings them), the user signs in with a password on
 * each visit; the page then lists their invitations, each with forms posting to a signed path that
 * names the membership and the user and expires (the same capability signatures as blob and log URLs),
 * so the password is never put into a page. Posts from another site are refused (oauth/pages.ts).
 */

/** How long the answer forms of one sign-in stay valid. */
const ANSWER_TTL_SECONDS = 15 * 60;

const answerPath = (membershipId: string, userId: string) => `/app/invitations/${membershipId}/as/${userId}`;

export async function invitationRoutes(app: FastifyInstance): Promise<void> {
  // Every form here posts back to this server.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && isCrossSite(request)) return sendPage(reply, 403, errorPage('Forbidden', 'The form was posted from another site.'));
  });

  app.get('/app/invitations', { config: { auth: 'none' } }, async (_request, reply) => sendPage(reply, 200, invitationsSignInPage()));

  app.post('/app/invitations', { config: { auth: 'none' } }, async (request, reply) => {
    const username = formField(request, 'username') ?? '';
    try {
      const user = await userWithPassword(request.ctx, username, formField(request, 'password') ?? '');
      const invitations = await membershipService.pendingInvitations(request.ctx, user.id);
      const pending = invitations.map((invitation) => ({
        organizationName: invitation.organizationName,
        // Relative, so that the form stays on this origin (the pages' CSP allows form-action 'self').
        answerPath: new URL(signedUrl(request.ctx, answerPath(invitation.id, user.id), ANSWER_TTL_SECONDS)).pathname,
      }));
      return sendPage(reply, 200, pendingInvitationsPage(user.username, pending));
    } catch (err) {
      if (!(err instanceof SignInError)) throw err;
      return sendPage(reply, 401, invitationsSignInPage({ username, error: 'Invalid username or password.' }));
    }
  });

  app.post<{ Params: { membership_id: string; user_id: string; expiry: string; signature: string } }>(
    '/app/invitations/:membership_id/as/:user_id/:expiry/:signature',
    { config: { auth: 'none' } },
    async (request, reply) => {
      const { membership_id: membershipId, user_id: userId, expiry, signature } = request.params;
      const answer = formField(request, 'answer') ?? '';
      const notFound = () =>
        sendPage(reply, 404, errorPage('Invitation not found', 'This invitation link is not valid (any more): sign in again on /app/invitations.'));
      if (!verifySignature(request.ctx.config, answerPath(membershipId, userId), expiry, signature, request.ctx.now())) return notFound();
      if (answer !== 'accept' && answer !== 'decline') return sendPage(reply, 400, errorPage('Bad request', 'answer must be accept or decline'));
      try {
        const membership = await membershipService.answerInvitation(request.ctx, userId, membershipId, answer === 'accept');
        return sendPage(reply, 200, invitationAnsweredPage(membership.organizationName, answer === 'accept'));
      } catch (err) {
        if (err instanceof NotFoundError) return notFound();
        throw err;
      }
    },
  );
}
