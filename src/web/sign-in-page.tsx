import { Layout, PostForm } from './components.js';
import { InputField } from './form-fields.js';

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
      <PostForm csrfToken={csrfToken} class="stacked narrow" action="/app/sign-in" hx-boost="false">
        <input type="hidden" name="next" value={next} />
        <InputField label="Username" id="username" name="username" autocomplete="username" required autofocus value={username} />
        <InputField label="Password" type="password" id="password" name="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </PostForm>
    </Layout>
  );
}
