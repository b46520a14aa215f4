import type { Membership } from '../organization-memberships/service.js';
import type { OrganizationView } from '../organizations/service.js';
import type { TeamView } from '../teams/service.js';
import { type PageUser, Pagination, TableHead, type ListPage, PostForm } from './components.js';
import { FormError, InputField, SelectField } from './form-fields.js';
import { ActionButton, OrgLayout } from './org-pages.js';
import { orgSettingsPath } from './paths.js';

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
      <FormError message={error} />
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
          <PostForm csrfToken={user.csrfToken} action={orgSettingsPath(org, 'members')} class="stacked narrow">
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
          </PostForm>
        </>
      ) : (
        ''
      )}
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
