import { ORGANIZATION_ACCESS_FLAGS } from '../auth/organization-access.js';
import type { Token } from '../auth/token-store.js';
import type { OrganizationView } from '../organizations/service.js';
import type { TeamView } from '../teams/service.js';
import type { User } from '../users/store.js';
import { type PageUser, Pagination, TableHead, type ListPage, PostForm } from './components.js';
import { FormError, InputField, SelectField } from './form-fields.js';
import { ActionButton, ExpiryField, NewTokenSecret, OrgLayout, TokenTable } from './org-pages.js';
import { orgSettingsPath, teamPath } from './paths.js';

export function TeamsPage({ user, view, list, error }: { user: PageUser; view: OrganizationView; list: ListPage<TeamView>; error?: string }): JSX.Element {
  const org = view.organization.name;
  return (
    <OrgLayout user={user} view={view} title="Teams" current="teams">
      <FormError message={error} />
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
          <PostForm csrfToken={user.csrfToken} action={orgSettingsPath(org, 'teams')} class="stacked narrow">
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
          </PostForm>
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
      <FormError message={error} />
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
                <PostForm csrfToken={user.csrfToken} action={`${base}/members/remove`} class="inline">
                  <input type="hidden" name="username" value={member.username} />
                  <button type="submit" aria-label={`Remove ${member.username} from the team`}>
                    Remove
                  </button>
                </PostForm>
              ) : (
                ''
              )}
            </li>
          ))}
        </ul>
      )}
      {permissions.canUpdateMembership ? (
        <PostForm csrfToken={user.csrfToken} action={`${base}/members`} class="search">
          <InputField label="Add member (username)" id="member-username" name="username" required />
          <button type="submit">Add</button>
        </PostForm>
      ) : (
        ''
      )}
      <h2>Organization access</h2>
      <PostForm csrfToken={user.csrfToken} action={`${base}/access`}>
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
      </PostForm>
      {tokens ? (
        <>
          <h2>Team tokens</h2>
          <TokenTable user={user} tokens={tokens} revokeAction={(token) => `${base}/tokens/${encodeURIComponent(token.id)}/revoke`} />
          <PostForm csrfToken={user.csrfToken} action={`${base}/tokens`} class="stacked narrow">
            <InputField label="Description" id="token-description" name="description" required />
            <ExpiryField />
            <button type="submit">Create a team token</button>
          </PostForm>
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
