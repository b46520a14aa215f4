import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/authorize.js';
import { ORGANIZATION_ACCESS_FLAGS, ORGANIZATION_ACCESS_IMPLIES, type OrganizationAccessFlag } from '../auth/organization-access.js';
import type { Token } from '../auth/token-store.js';
import { NotFoundError } from '../errors.js';
import * as membershipService from '../organization-memberships/service.js';
import * as organizationTokenService from '../organization-tokens/service.js';
import * as organizationService from '../organizations/service.js';
import * as teamTokenService from '../team-tokens/service.js';
import * as teamMemberService from '../teams/member-service.js';
import * as teamService from '../teams/service.js';
import * as userService from '../users/service.js';
import { QueryText, querySchema, withQuery } from '../jsonapi/query.js';
import { expiryDate, submitForm } from './forms.js';
import { type MemberRow, MembersPage } from './org-member-pages.js';
import { OrgSettingsPage, OrgTokenPage } from './org-pages.js';
import { TeamPage, TeamsPage } from './org-team-pages.js';
import { pageNumber } from './page-routes.js';
import { orgSettingsPath, teamPath, workspacesPath } from './paths.js';
import { formField, requireSignIn, userOf } from './session-hook.js';
import { seeOther, sendPage } from './send.js';

type OrgParams = { org: string };
type TeamParams = OrgParams & { teamId: string };

/** Rows per list page, as the API's default page size. */
const PAGE_SIZE = 20;
/** The teams offered in the invitation form: the API's largest page. */
const TEAM_CHOICES = { number: 1, size: 100 };
const PageQuery = querySchema({ page: QueryText });

type Page = { status?: number; error?: string };

/** The team the address names, in the organization it names: a team of another organization is a 404 here. */
async function teamInPath(request: FastifyRequest<{ Params: TeamParams }>): Promise<teamService.TeamView> {
  const view = await teamService.show(request.ctx, request.params.teamId);
  if (view.team.organizationName !== request.params.org) throw new NotFoundError(`team ${request.params.teamId} not found`);
  return view;
}

/**
 * The organization access a form's checkboxes ask for: ticked flags and what they imply on, the others
 * off, so that ticking "manage teams" also gives "manage membership" instead of a refusal.
 */
function requestedAccess(ticked: (flag: OrganizationAccessFlag) => boolean): Record<OrganizationAccessFlag, boolean> {
  const on = new Set(ORGANIZATION_ACCESS_FLAGS.filter(ticked));
  // Implications chain (manage organization access → manage teams → manage membership): repeat until stable.
  for (let size = -1; size !== on.size; ) {
    size = on.size;
    for (const flag of [...on]) for (const implied of ORGANIZATION_ACCESS_IMPLIES[flag] ?? []) on.add(implied);
  }
  return Object.fromEntries(ORGANIZATION_ACCESS_FLAGS.map((flag) => [flag, on.has(flag)])) as Record<OrganizationAccessFlag, boolean>;
}

/**
 * The organization's settings, members and invitations, teams and tokens (issue 21), through the same
 * services as the API with the session's user: what the API hides is a 404 page, what it refuses is
 * drawn again on the form with the reason.
 */
export async function orgPageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);
  const settings = '/app/:org/settings';

  // General settings.
  const showSettings = async (request: FastifyRequest<{ Params: OrgParams }>, reply: FastifyReply, page: Page = {}) => {
    const view = await organizationService.show(request.ctx, request.params.org);
    return sendPage(reply, page.status ?? 200, <OrgSettingsPage user={userOf(request)} view={view} error={page.error} />);
  };
  app.get<{ Params: OrgParams }>(`${settings}/general`, (request, reply) => showSettings(request, reply));
  app.post<{ Params: OrgParams }>(`${settings}/general`, (request, reply) =>
    submitForm(
      async () => {
        const mode = formField(request, 'default-execution-mode');
        const { organization } = await organizationService.update(request.ctx, request.params.org, {
          name: formField(request, 'name')?.trim(),
          email: formField(request, 'email')?.trim(),
          settings: mode === undefined ? {} : { 'default-execution-mode': mode },
        });
        // A new name is a new address.
        return seeOther(reply, orgSettingsPath(organization.name, 'general'));
      },
      (status, error) => showSettings(request, reply, { status, error }),
    ),
  );

  // Members and invitations.
  const showMembers = async (request: FastifyRequest<{ Params: OrgParams }>, reply: FastifyReply, number: number, page: Page = {}) => {
    const { org } = request.params;
    const { items: views, total } = await membershipService.listForOrganization(request.ctx, org, { page: { number, size: PAGE_SIZE } });
    const [view, teams, users] = await Promise.all([
      organizationService.show(request.ctx, org),
      teamService.list(request.ctx, org, { page: TEAM_CHOICES }),
      userService.visibleViews(
        request.ctx,
        views.map((v) => v.membership.userId),
      ),
    ]);
    const usernames = new Map(users.map(({ user }) => [user.id, user.username]));
    const members: MemberRow[] = views.map(({ membership, teamIds }) => ({
      membership,
      username: usernames.get(membership.userId),
      teamCount: teamIds.length,
    }));
    return sendPage(
      reply,
      page.status ?? 200,
      <MembersPage user={userOf(request)} view={view} list={{ items: members, page: number, size: PAGE_SIZE, total }} teams={teams.items} error={page.error} />,
    );
  };
  app.get<{ Params: OrgParams; Querystring: { page?: string } }>(`${settings}/members`, withQuery(PageQuery), (request, reply) =>
    showMembers(request, reply, pageNumber(request.query.page)),
  );
  app.post<{ Params: OrgParams }>(`${settings}/members`, (request, reply) =>
    submitForm(
      async () => {
        const team = formField(request, 'team');
        await membershipService.invite(request.ctx, request.params.org, { email: (formField(request, 'email') ?? '').trim(), teamIds: team ? [team] : [] });
        return seeOther(reply, orgSettingsPath(request.params.org, 'members'));
      },
      (status, error) => showMembers(request, reply, 1, { status, error }),
    ),
  );
  app.post<{ Params: OrgParams & { membershipId: string } }>(`${settings}/members/:membershipId/remove`, (request, reply) =>
    submitForm(
      async () => {
        const { membership } = await membershipService.show(request.ctx, request.params.membershipId);
        if (membership.organizationName !== request.params.org) throw new NotFoundError(`organization membership ${membership.id} not found`);
        await membershipService.destroy(request.ctx, membership.id);
        return seeOther(reply, orgSettingsPath(request.params.org, 'members'));
      },
      (status, error) => showMembers(request, reply, 1, { status, error }),
    ),
  );

  // Teams.
  const showTeams = async (request: FastifyRequest<{ Params: OrgParams }>, reply: FastifyReply, number: number, page: Page = {}) => {
    const { org } = request.params;
    const [view, teams] = await Promise.all([
      organizationService.show(request.ctx, org),
      teamService.list(request.ctx, org, { page: { number, size: PAGE_SIZE } }),
    ]);
    return sendPage(
      reply,
      page.status ?? 200,
      <TeamsPage user={userOf(request)} view={view} list={{ items: teams.items, page: number, size: PAGE_SIZE, total: teams.total }} error={page.error} />,
    );
  };
  app.get<{ Params: OrgParams; Querystring: { page?: string } }>(`${settings}/teams`, withQuery(PageQuery), (request, reply) =>
    showTeams(request, reply, pageNumber(request.query.page)),
  );
  app.post<{ Params: OrgParams }>(`${settings}/teams`, (request, reply) =>
    submitForm(
      async () => {
        const visibility = formField(request, 'visibility') === 'secret' ? 'secret' : 'organization';
        const { team } = await teamService.create(request.ctx, request.params.org, { name: (formField(request, 'name') ?? '').trim(), visibility });
        return seeOther(reply, teamPath(request.params.org, team.id));
      },
      (status, error) => showTeams(request, reply, 1, { status, error }),
    ),
  );

  const team = `${settings}/teams/:teamId`;
  const showTeam = async (request: FastifyRequest<{ Params: TeamParams }>, reply: FastifyReply, page: Page & { newSecret?: string } = {}) => {
    const teamView = await teamInPath(request);
    const [view, members, tokens] = await Promise.all([
      organizationService.show(request.ctx, request.params.org),
      userService.visibleViews(request.ctx, teamView.userIds),
      teamView.permissions.canViewApiToken ? teamTokenService.listForTeam(request.ctx, teamView.team.id) : undefined,
    ]);
    return sendPage(
      reply,
      page.status ?? 200,
      <TeamPage
        user={userOf(request)}
        view={view}
        team={teamView}
        members={members.map((m) => m.user)}
        tokens={tokens}
        newSecret={page.newSecret}
        error={page.error}
      />,
    );
  };
  /** A team form's action, then back to the team's page (or the form drawn again with the refusal). */
  const teamForm = (action: (request: FastifyRequest<{ Params: TeamParams }>, teamId: string) => Promise<unknown>) => {
    return (request: FastifyRequest<{ Params: TeamParams }>, reply: FastifyReply) =>
      submitForm(
        async () => {
          const { team: found } = await teamInPath(request);
          await action(request, found.id);
          return seeOther(reply, teamPath(request.params.org, found.id));
        },
        (status, error) => showTeam(request, reply, { status, error }),
      );
  };
  app.get<{ Params: TeamParams }>(team, (request, reply) => showTeam(request, reply));
  app.post<{ Params: TeamParams }>(
    `${team}/members`,
    teamForm((request, teamId) => teamMemberService.add(request.ctx, teamId, 'users', [(formField(request, 'username') ?? '').trim()])),
  );
  app.post<{ Params: TeamParams }>(
    `${team}/members/remove`,
    teamForm((request, teamId) => teamMemberService.remove(request.ctx, teamId, 'users', [formField(request, 'username') ?? ''])),
  );
  app.post<{ Params: TeamParams }>(
    `${team}/access`,
    teamForm((request, teamId) =>
      teamService.update(request.ctx, teamId, { organizationAccess: requestedAccess((flag) => formField(request, flag) !== undefined) }),
    ),
  );
  app.post<{ Params: TeamParams }>(`${team}/delete`, (request, reply) =>
    submitForm(
      async () => {
        const { team: found } = await teamInPath(request);
        await teamService.destroy(request.ctx, found.id);
        return seeOther(reply, orgSettingsPath(request.params.org, 'teams'));
      },
      (status, error) => showTeam(request, reply, { status, error }),
    ),
  );
  app.post<{ Params: TeamParams }>(`${team}/tokens`, (request, reply) =>
    submitForm(
      async () => {
        const { team: found } = await teamInPath(request);
        const description = teamTokenService.requireDescription((formField(request, 'description') ?? '').trim());
        const { secret } = await teamTokenService.generate(request.ctx, found.id, { description, expiredAt: expiryDate(formField(request, 'expires-on')) });
        return showTeam(request, reply, { newSecret: secret });
      },
      (status, error) => showTeam(request, reply, { status, error }),
    ),
  );
  app.post<{ Params: TeamParams & { tokenId: string } }>(`${team}/tokens/:tokenId/revoke`, (request, reply) =>
    submitForm(
      async () => {
        const { team: found } = await teamInPath(request);
        const token = await teamTokenService.showAny(request.ctx, request.params.tokenId);
        if (token.kind !== 'team' || token.teamId !== found.id) throw new NotFoundError(`authentication token ${request.params.tokenId} not found`);
        await teamTokenService.destroyAny(request.ctx, token.id);
        return seeOther(reply, teamPath(request.params.org, found.id));
      },
      (status, error) => showTeam(request, reply, { status, error }),
    ),
  );

  // The organization token.
  const showToken = async (request: FastifyRequest<{ Params: OrgParams }>, reply: FastifyReply, page: Page & { newSecret?: string } = {}) => {
    const { org } = request.params;
    const view = await organizationService.show(request.ctx, org);
    let token: Token | undefined;
    try {
      token = await organizationTokenService.show(request.ctx, org);
    } catch (err) {
      // No token yet, or not the caller's to see: only the second is a 404 page.
      if (!(err instanceof NotFoundError) || !view.allowed.has('organization:manage-token')) throw err;
    }
    return sendPage(reply, page.status ?? 200, <OrgTokenPage user={userOf(request)} view={view} token={token} newSecret={page.newSecret} error={page.error} />);
  };
  app.get<{ Params: OrgParams }>(`${settings}/tokens`, (request, reply) => showToken(request, reply));
  app.post<{ Params: OrgParams }>(`${settings}/tokens`, (request, reply) =>
    submitForm(
      async () => {
        const { secret } = await organizationTokenService.generate(request.ctx, request.params.org, {
          expiredAt: expiryDate(formField(request, 'expires-on')),
        });
        return showToken(request, reply, { newSecret: secret });
      },
      (status, error) => showToken(request, reply, { status, error }),
    ),
  );
  app.post<{ Params: OrgParams }>(`${settings}/tokens/revoke`, (request, reply) =>
    submitForm(
      async () => {
        await organizationTokenService.destroy(request.ctx, request.params.org);
        return seeOther(reply, orgSettingsPath(request.params.org, 'tokens'));
      },
      (status, error) => showToken(request, reply, { status, error }),
    ),
  );

  // An invitation's answer, by the invited user on the organizations page.
  app.post<{ Params: { membership_id: string; answer: string } }>('/app/invitations/:membership_id/:answer', async (request, reply) => {
    const { membership_id: membershipId, answer } = request.params;
    if (answer !== 'accept' && answer !== 'decline') throw new NotFoundError(`no invitation answer ${answer}`);
    const membership = await membershipService.answerInvitation(request.ctx, requireUser(request.ctx).userId, membershipId, answer === 'accept');
    return seeOther(reply, answer === 'accept' ? workspacesPath(membership.organizationName) : '/app');
  });
}
