import type { PropsWithChildren } from '@kitajs/html';
import type { Token } from '../auth/token-store.js';
import { ORGANIZATION_ACCESS_FLAGS } from '../auth/organization-access.js';
import type { Membership } from '../organization-memberships/service.js';
import type { OrganizationView } from '../organizations/service.js';
import type { TeamView } from '../teams/service.js';
import type { User } from '../users/store.js';
import { CsrfField, formatTime, Layout, type PageUser, Pagination, TableHead } from './components.js';
import { choicesOf, InputField, SelectField } from './form-fields.js';
import type { ListPage } from './list-pages.js';
import { orgSettingsPath, projectsPath, teamPath, workspacesPath } from './paths.js';

/** The organization's sections, each shown to those who may open it (the same checks as the API's). */
function sections(view: OrganizationView): { key: string; label: string; href: string }[] {
  const org = view.organization.name;
  const all = [
    { key: 'workspaces', label: 'Workspaces', href: workspacesPath(org), shown: true },
    { key: 'projects', label: 'Projects', href: projectsPath(org), shown: true },
    { key: 'general', label: 'Settings', href: orgSettingsPath(org, 'general'), shown: true },
    { key: 'members', label: 'Members', href: orgSettingsPath(org, 'members'), shown: view.allowed.has('organization:read-memberships') },
    { key: 'teams', label: 'Teams', href: orgSettingsPath(org, 'teams'), shown: view.allowed.has('team:read') },
    { key: 'tokens', label: 'API token', href: orgSettingsPath(org, 'tokens'), shown: view.allowed.has('organization:manage-token') },
  ];
  return all.filter((section) => section.shown);
}

/** An organization page: the trail, the sections' navigation with the current one marked, the page. */
function OrgLayout({
  user,
  view,
  title,
  current,
  children,
}: PropsWithChildren<{ user: PageUser; view: OrganizationView; title: string; current: string }>): JSX.Element {
  const org = view.organization.name;
  return (
    <Layout title={title} user={user} crumbs={[{ label: org, href: workspacesPath(org) }]}>
      <nav aria-label="Organization" class="tabs">
        {sections(view).map((section) => (
          <a href={section.href} aria-current={section.key === current ? 'page' : undefined} safe>
            {section.label}
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
}

/** Why the last form was refused, read out by screen readers. */
export function FormError({ error }: { error: string | undefined }): JSX.Element {
  return error ? (
    <p class="error" role="alert" safe>
      {error}
    </p>
  ) : (
    ''
  );
}

/** A one-button form posting to `action`. */
export function ActionButton({ user, action, label, confirm }: { user: PageUser; action: string; label: string; confirm?: string }): JSX.Element {
  return (
    <form method="post" action={action} class="inline" hx-confirm={confirm}>
      <CsrfField token={user.csrfToken} />
      <button type="submit" safe>
        {label}
      </button>
    </form>
  );
}

/** A new token's secret, shown this once: it is stored only as a hash. */
export function NewTokenSecret({ secret }: { secret: string | undefined }): JSX.Element {
  if (!secret) return '';
  return (
    <div class="new-token" role="status">
      <InputField label="New token: copy it now, it will not be shown again" id="new-token" readonly value={secret} />
    </div>
  );
}

/** The optional expiry of a new token, a date (UTC). */
export function ExpiryField(): JSX.Element {
  return <InputField label="Expires on (UTC, optional)" type="date" id="expires-on" name="expires-on" />;
}

/** Tokens as a table: description, created, last used, expiry, and a revoke button when `revokeAction` is given. */
export function TokenTable({ user, tokens, revokeAction }: { user: PageUser; tokens: readonly Token[]; revokeAction?: (token: Token) => string }): JSX.Element {
  if (tokens.length === 0) return <p>No tokens.</p>;
  return (
    <table>
      <TableHead columns={['Description', 'Created', 'Last used', 'Expires', revokeAction && 'Actions']} />
      <tbody>
        {tokens.map((token) => (
          <tr>
            <td safe>{token.description ?? '(legacy team token)'}</td>
            <td safe>{formatTime(token.createdAt)}</td>
            <td>{token.lastUsedAt ? formatTime(token.lastUsedAt) : 'never'}</td>
            <td>{token.expiredAt ? formatTime(token.expiredAt) : 'never'}</td>
            {revokeAction ? (
              <td>
                <ActionButton user={user} action={revokeAction(token)} label="Revoke" confirm="Revoke this token? Whatever uses it stops working." />
              </td>
            ) : (
              ''
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const EXECUTION_MODES = ['remote', 'local', 'agent'] as const;

export function OrgSettingsPage({ user, view, error }: { user: PageUser; view: OrganizationView; error?: string }): JSX.Element {
  const { organization, settings } = view;
  const mode = settings['default-execution-mode'];
  return (
    <OrgLayout user={user} view={view} title="Organization settings" current="general">
      <FormError error={error} />
      {view.allowed.has('organization:update') ? (
        <form method="post" action={orgSettingsPath(organization.name, 'general')} class="stacked narrow">
          <CsrfField token={user.csrfToken} />
          <InputField label="Name" id="name" name="name" value={organization.name} required />
          <InputField label="Notification email" type="email" id="email" name="email" value={organization.email} required />
          <SelectField
            label="Default execution mode"
            id="default-execution-mode"
            name="default-execution-mode"
            choices={choicesOf(EXECUTION_MODES)}
            selected={mode}
          />
          <button type="submit" class="primary">
            Save settings
          </button>
        </form>
      ) : (
        <dl class="facts">
          <dt>Name</dt>
          <dd safe>{organization.name}</dd>
          <dt>Notification email</dt>
          <dd safe>{organization.email}</dd>
          <dt>Default execution mode</dt>
          <dd>{mode}</dd>
        </dl>
      )}
    </OrgLayout>
  );
}

export interface MemberRow {
  membership: Membership;
  /** The member's username, when the caller sees the user. */
  username: string | undefined;
  teamCount: number;
}

export function MembersPage({
  user,
  view,
  list,
  teams,
  error,
}: {
  user: PageUser;
  view: OrganizationView;
  list: ListPage<MemberRow>;
  teams: readonly TeamView[];
  error?: string;
}): JSX.Element {
  const org = view.organization.name;
  const mayManage = view.allowed.has('organization:manage-membership');
  return (
    <OrgLayout user={user} view={view} title="Members" current="members">
      <FormError error={error} />
      <table>
        <TableHead columns={['User', 'Email', 'Status', 'Teams', mayManage && 'Actions']} />
        <tbody>
          {list.items.map(({ membership, username, teamCount }) => (
            <tr>
              <td safe>{membership.status === 'invited' ? '(invited)' : (username ?? '')}</td>
              <td safe>{membership.email}</td>
              <td>
                <span class={`badge badge-${membership.status === 'active' ? 'done' : 'waiting'}`}>{membership.status}</span>
              </td>
              <td>{teamCount}</td>
              {mayManage ? (
                <td>
                  <ActionButton
                    user={user}
                    action={`${orgSettingsPath(org, 'members')}/${encodeURIComponent(membership.id)}/remove`}
                    label={membership.status === 'invited' ? 'Cancel invitation' : 'Remove'}
                    confirm={`Remove ${membership.email} from ${org}?`}
                  />
                </td>
              ) : (
                ''
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => `${orgSettingsPath(org, 'members')}?page=${n}`} />
      {mayManage ? (
        <>
          <h2>Invite a user</h2>
          <form method="post" action={orgSettingsPath(org, 'members')} class="stacked narrow">
            <CsrfField token={user.csrfToken} />
            <InputField label="Email" type="email" id="invite-email" name="email" required />
            <SelectField
              label="Into team"
              id="invite-team"
              name="team"
              choices={[{ value: '', label: '(no team)' }, ...teams.map(({ team }) => ({ value: team.id, label: team.name }))]}
            />
            <button type="submit" class="primary">
              Invite
            </button>
          </form>
        </>
      ) : (
        ''
      )}
    </OrgLayout>
  );
}

export function TeamsPage({ user, view, list, error }: { user: PageUser; view: OrganizationView; list: ListPage<TeamView>; error?: string }): JSX.Element {
  const org = view.organization.name;
  return (
    <OrgLayout user={user} view={view} title="Teams" current="teams">
      <FormError error={error} />
      <table>
        <TableHead columns={['Team', 'Visibility', 'Members']} />
        <tbody>
          {list.items.map(({ team, userIds }) => (
            <tr>
              <td>
                <a href={teamPath(org, team.id)} safe>
                  {team.name}
                </a>
              </td>
              <td>{team.visibility}</td>
              <td>{userIds.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => `${orgSettingsPath(org, 'teams')}?page=${n}`} />
      {view.allowed.has('team:create') ? (
        <>
          <h2>Create a team</h2>
          <form method="post" action={orgSettingsPath(org, 'teams')} class="stacked narrow">
            <CsrfField token={user.csrfToken} />
            <InputField label="Name" id="team-name" name="name" required />
            <SelectField
              label="Visibility"
              id="team-visibility"
              name="visibility"
              choices={[
                { value: 'organization', label: 'visible to the organization' },
                { value: 'secret', label: 'secret' },
              ]}
            />
            <button type="submit" class="primary">
              Create team
            </button>
          </form>
        </>
      ) : (
        ''
      )}
    </OrgLayout>
  );
}

export function TeamPage({
  user,
  view,
  team,
  members,
  tokens,
  newSecret,
  error,
}: {
  user: PageUser;
  view: OrganizationView;
  team: TeamView;
  members: readonly User[];
  /** The team tokens the caller manages; undefined when they manage none. */
  tokens: readonly Token[] | undefined;
  newSecret?: string;
  error?: string;
}): JSX.Element {
  const org = view.organization.name;
  const base = teamPath(org, team.team.id);
  const { permissions } = team;
  return (
    <OrgLayout user={user} view={view} title={`Team ${team.team.name}`} current="teams">
      <FormError error={error} />
      <NewTokenSecret secret={newSecret} />
      <h2>Members</h2>
      {members.length === 0 ? (
        <p>No members yet.</p>
      ) : (
        <ul class="cards">
          {members.map((member) => (
            <li>
              <span safe>{member.username}</span>
              {permissions.canUpdateMembership ? (
                <form method="post" action={`${base}/members/remove`} class="inline">
                  <CsrfField token={user.csrfToken} />
                  <input type="hidden" name="username" value={member.username} />
                  <button type="submit" aria-label={`Remove ${member.username} from the team`}>
                    Remove
                  </button>
                </form>
              ) : (
                ''
              )}
            </li>
          ))}
        </ul>
      )}
      {permissions.canUpdateMembership ? (
        <form method="post" action={`${base}/members`} class="search">
          <CsrfField token={user.csrfToken} />
          <InputField label="Add member (username)" id="member-username" name="username" required />
          <button type="submit">Add</button>
        </form>
      ) : (
        ''
      )}
      <h2>Organization access</h2>
      <form method="post" action={`${base}/access`}>
        <CsrfField token={user.csrfToken} />
        <fieldset disabled={!permissions.canUpdateOrganizationAccess}>
          <legend class="visually-hidden">Organization access</legend>
          {ORGANIZATION_ACCESS_FLAGS.map((flag) => (
            <div class="check">
              <input type="checkbox" id={`access-${flag}`} name={flag} checked={team.organizationAccess[flag]} />
              <label for={`access-${flag}`} safe>
                {flag.replaceAll('-', ' ')}
              </label>
            </div>
          ))}
        </fieldset>
        {permissions.canUpdateOrganizationAccess ? (
          <button type="submit" class="primary">
            Save access
          </button>
        ) : (
          ''
        )}
      </form>
      {tokens ? (
        <>
          <h2>Team tokens</h2>
          <TokenTable user={user} tokens={tokens} revokeAction={(token) => `${base}/tokens/${encodeURIComponent(token.id)}/revoke`} />
          <form method="post" action={`${base}/tokens`} class="stacked narrow">
            <CsrfField token={user.csrfToken} />
            <InputField label="Description" id="token-description" name="description" required />
            <ExpiryField />
            <button type="submit">Create a team token</button>
          </form>
        </>
      ) : (
        ''
      )}
      {permissions.canDestroy ? (
        <>
          <h2>Delete</h2>
          <ActionButton user={user} action={`${base}/delete`} label="Delete team" confirm={`Delete team ${team.team.name}?`} />
        </>
      ) : (
        ''
      )}
    </OrgLayout>
  );
}

export function OrgTokenPage({
  user,
  view,
  token,
  newSecret,
  error,
}: {
  user: PageUser;
  view: OrganizationView;
  token: Token | undefined;
  newSecret?: string;
  error?: string;
}): JSX.Element {
  const org = view.organization.name;
  const action = orgSettingsPath(org, 'tokens');
  return (
    <OrgLayout user={user} view={view} title="Organization API token" current="tokens">
      <FormError error={error} />
      <NewTokenSecret secret={newSecret} />
      {token ? (
        <>
          <dl class="facts">
            <dt>Created</dt>
            <dd safe>{formatTime(token.createdAt)}</dd>
            <dt>Last used</dt>
            <dd>{token.lastUsedAt ? formatTime(token.lastUsedAt) : 'never'}</dd>
            <dt>Expires</dt>
            <dd>{token.expiredAt ? formatTime(token.expiredAt) : 'never'}</dd>
          </dl>
          <ActionButton user={user} action={`${action}/revoke`} label="Revoke token" confirm="Revoke the organization token? Whatever uses it stops working." />
        </>
      ) : (
        <p>The organization has no token.</p>
      )}
      <form method="post" action={action} class="stacked narrow" hx-confirm={token ? 'Regenerating revokes the current token. Go on?' : undefined}>
        <CsrfField token={user.csrfToken} />
        <ExpiryField />
        <button type="submit" class="primary">
          {token ? 'Regenerate token' : 'Create token'}
        </button>
      </form>
    </OrgLayout>
  );
}

/** On the organizations list: the invitations waiting for the user's answer. */
export function PendingInvitations({ user, invitations }: { user: PageUser; invitations: readonly Membership[] }): JSX.Element {
  if (invitations.length === 0) return '';
  return (
    <section aria-labelledby="invitations">
      <h2 id="invitations">Invitations</h2>
      <ul class="cards">
        {invitations.map((invitation) => (
          <li>
            <span safe>{`You are invited to join ${invitation.organizationName}.`}</span>
            <ActionButton user={user} action={`/app/invitations/${encodeURIComponent(invitation.id)}/accept`} label="Accept" />
            <ActionButton user={user} action={`/app/invitations/${encodeURIComponent(invitation.id)}/decline`} label="Decline" />
          </li>
        ))}
      </ul>
    </section>
  );
}
