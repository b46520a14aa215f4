import type { PropsWithChildren } from '@kitajs/html';
import type { Token } from '../auth/token-store.js';
import { MIN_PASSWORD_LENGTH, type UserView } from '../users/service.js';
import { Layout, type PageUser, Pagination, type ListPage, PostForm } from './components.js';
import { FormError, InputField } from './form-fields.js';
import { ExpiryField, NewTokenSecret, TokenTable } from './org-pages.js';
import { accountPath } from './paths.js';

const SECTIONS = [
  { key: 'profile', label: 'Profile' },
  { key: 'password', label: 'Password' },
  { key: 'tokens', label: 'Tokens' },
] as const;

type Section = (typeof SECTIONS)[number]['key'];

function AccountLayout({ user, title, current, children }: PropsWithChildren<{ user: PageUser; title: string; current: Section }>): JSX.Element {
  return (
    <Layout title={title} user={user} crumbs={[{ label: 'Account', href: accountPath('profile') }]}>
      <nav aria-label="Account" class="tabs">
        {SECTIONS.map((section) => (
          <a href={accountPath(section.key)} aria-current={section.key === current ? 'page' : undefined}>
            {section.label}
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
}

export function ProfilePage({ user, view, error }: { user: PageUser; view: UserView; error?: string }): JSX.Element {
  const { permissions } = view;
  return (
    <AccountLayout user={user} title="Profile" current="profile">
      <FormError message={error} />
      <PostForm csrfToken={user.csrfToken} action={accountPath('profile')} class="stacked narrow">
        <InputField label="Username" id="username" name="username" value={view.user.username} required readonly={!permissions.canChangeUsername} />
        <InputField label="Email" type="email" id="email" name="email" value={view.user.email} required />
        <button type="submit" class="primary">
          Save profile
        </button>
      </PostForm>
    </AccountLayout>
  );
}

export function PasswordPage({ user, error }: { user: PageUser; error?: string }): JSX.Element {
  return (
    <AccountLayout user={user} title="Change password" current="password">
      <FormError message={error} />
      <p>Changing the password signs you out everywhere, this browser too: sign in again with the new one.</p>
      <PostForm csrfToken={user.csrfToken} action={accountPath('password')} class="stacked narrow">
        <InputField label="Current password" type="password" id="current-password" name="current-password" autocomplete="current-password" required />
        <InputField
          label="New password"
          type="password"
          id="new-password"
          name="password"
          autocomplete="new-password"
          required
          minlength={String(MIN_PASSWORD_LENGTH)}
        />
        <InputField
          label="New password again"
          type="password"
          id="password-confirmation"
          name="password-confirmation"
          autocomplete="new-password"
          required
          minlength={String(MIN_PASSWORD_LENGTH)}
        />
        <button type="submit" class="primary">
          Change password
        </button>
      </PostForm>
    </AccountLayout>
  );
}

export function UserTokensPage({ user, list, newSecret, error }: { user: PageUser; list: ListPage<Token>; newSecret?: string; error?: string }): JSX.Element {
  return (
    <AccountLayout user={user} title="User tokens" current="tokens">
      <FormError message={error} />
      <NewTokenSecret secret={newSecret} />
      <TokenTable user={user} tokens={list.items} revokeAction={(token) => `${accountPath('tokens')}/${encodeURIComponent(token.id)}/revoke`} />
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => `${accountPath('tokens')}?page=${n}`} />
      <h2>Create a token</h2>
      <PostForm csrfToken={user.csrfToken} action={accountPath('tokens')} class="stacked narrow">
        <InputField label="Description" id="token-description" name="description" />
        <ExpiryField />
        <button type="submit" class="primary">
          Create token
        </button>
      </PostForm>
    </AccountLayout>
  );
}
