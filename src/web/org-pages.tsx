import type { PropsWithChildren } from '@kitajs/html';
import type { Token } from '../auth/token-store.js';
import type { OrganizationView } from '../organizations/service.js';
import { formatTime, Layout, type PageUser, TableHead, PostForm } from './components.js';
import { choicesOf, FormError, InputField, SelectField } from './form-fields.js';
import { orgSettingsPath, projectsPath, workspacesPath } from './paths.js';

/**
 * The organization pages' frame and the parts the member, team and account pages share; the
 * organization's settings and API token pages. Members: org-member-pages.tsx; teams: org-team-pages.tsx.
 */

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
export function OrgLayout({
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

/** A one-button form posting to `action`. */
export function ActionButton({ user, action, label, confirm }: { user: PageUser; action: string; label: string; confirm?: string }): JSX.Element {
  return (
    <PostForm csrfToken={user.csrfToken} action={action} class="inline" hx-confirm={confirm}>
      <button type="submit" safe>
        {label}
      </button>
    </PostForm>
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
      <FormError message={error} />
      {view.allowed.has('organization:update') ? (
        <PostForm csrfToken={user.csrfToken} action={orgSettingsPath(organization.name, 'general')} class="stacked narrow">
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
        </PostForm>
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
      <FormError message={error} />
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
      <PostForm
        csrfToken={user.csrfToken}
        action={action}
        class="stacked narrow"
        hx-confirm={token ? 'Regenerating revokes the current token. Go on?' : undefined}
      >
        <ExpiryField />
        <button type="submit" class="primary">
          {token ? 'Regenerate token' : 'Create token'}
        </button>
      </PostForm>
    </OrgLayout>
  );
}
