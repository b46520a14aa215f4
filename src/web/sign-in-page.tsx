import { CsrfField, Layout } from './components.js';

export interface SignInPageInput {
  /** Where to go once signed in: an /app path. */
  next: string;
  csrfToken: string;
  username?: string;
  error?: string;
}

export function SignInPage({ next, csrfToken, username = '', error }: SignInPageInput): JSX.Element {
  return (
    <Layout title="Sign in" user={null}>
      {error ? (
        <p class="error" role="alert" safe>
          {error}
        </p>
      ) : (
        ''
      )}
      <form class="stacked narrow" method="post" action="/app/sign-in" hx-boost="false">
        <CsrfField token={csrfToken} />
        <input type="hidden" name="next" value={next} />
        <label for="username">Username</label>
        <input type="text" id="username" name="username" autocomplete="username" required autofocus value={username} />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
