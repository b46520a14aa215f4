import type { PropsWithChildren } from '@kitajs/html';
import { accountPath } from './paths.js';

/** The signed-in user as every page shows them: their name and the session's CSRF token for the forms. */
export interface PageUser {
  username: string;
  csrfToken: string;
}

/** One step of the breadcrumb trail above a page's title. */
export interface Crumb {
  label: string;
  href: string;
}

/** The name of the hidden field every form posts the session's CSRF token in. */
export const CSRF_FIELD = '_csrf';

/**
 * A form that posts back to this server, with the session's CSRF token in it: every POST under /app
 * without the token is refused (session-hook.ts), so no form writes the field itself.
 */
export function PostForm({ csrfToken, children, ...attributes }: PropsWithChildren<{ csrfToken: string } & Omit<JSX.HtmlFormTag, 'method'>>): JSX.Element {
  return (
    <form method="post" {...attributes}>
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
      {children}
    </form>
  );
}

/** The document every page is drawn in: the header with the user's name and sign-out, the trail, the page. */
export function Layout({ title, user, crumbs = [], children }: PropsWithChildren<{ title: string; user: PageUser | null; crumbs?: Crumb[] }>): JSX.Element {
  return (
    <>
      {'<!DOCTYPE html>'}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          {/* htmx's indicator styles would be an inline style, which the CSP refuses. A 4xx is a page too (a form
          shown again with its error, a 404 page): htmx swaps it in rather than leaving the old page. */}
          <meta
            name="htmx-config"
            content='{"includeIndicatorStyles":false,"responseHandling":[{"code":"204","swap":false},{"code":"[234]..","swap":true},{"code":"...","swap":false,"error":true}]}'
          />
          <title safe>{`${title} · Terrace`}</title>
          <link rel="stylesheet" href="/_assets/terrace.css" />
          <script src="/_assets/htmx.min.js" defer></script>
          <script src="/_assets/htmx-sse.js" defer></script>
        </head>
        <body hx-boost="true">
          <header class="top">
            <a class="brand" href="/app">
              Terrace
            </a>
            {user ? (
              <PostForm csrfToken={user.csrfToken} class="sign-out" action="/app/sign-out" hx-boost="false">
                <a href={accountPath('profile')} class="account" safe>
                  {user.username}
                </a>
                <button type="submit">Sign out</button>
              </PostForm>
            ) : (
              ''
            )}
          </header>
          <main>
            {crumbs.length > 0 && (
              <nav aria-label="Breadcrumb" class="crumbs">
                {crumbs.map((crumb) => (
                  <a href={crumb.href} safe>
                    {crumb.label}
                  </a>
                ))}
              </nav>
            )}
            <h1 safe>{title}</h1>
            {children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A page that says what went wrong, e.g. the 404 of something the user may not see. */
export function ErrorPage({ title, message, user }: { title: string; message: string; user: PageUser | null }): JSX.Element {
  return (
    <Layout title={title} user={user}>
      <p class="error" role="alert" safe>
        {message}
      </p>
      <p>
        <a href="/app">Organizations</a>
      </p>
    </Layout>
  );
}

/** A run or phase status as a coloured label; the class is the status's family, the text the status itself. */
export function StatusBadge({ status }: { status: string }): JSX.Element {
  return (
    <span class={`badge badge-${statusFamily(status)}`} safe>
      {status}
    </span>
  );
}

function statusFamily(status: string): string {
  // Run and phase statuses, and those of task stages, task results and policies on the run page.
  if (['applied', 'planned_and_finished', 'planned_and_saved', 'finished', 'passed'].includes(status)) return 'done';
  if (['errored', 'force_canceled', 'canceled', 'policy_soft_failed', 'failed', 'cancel_requested'].includes(status)) return 'failed';
  if (['discarded', 'unreachable', 'pending'].includes(status)) return 'idle';
  if (['planned', 'policy_override', 'cost_estimated', 'policy_checked', 'post_plan_awaiting_decision', 'awaiting_override', 'overridden'].includes(status)) {
    return 'waiting';
  }
  return 'busy';
}

/** A table's column headings; an absent one (false, undefined) is left out: the actions of who may not act. */
export function TableHead({ columns }: { columns: readonly (string | false | undefined)[] }): JSX.Element {
  return (
    <thead>
      <tr>
        {columns.map((column) =>
          column === false || column === undefined ? (
            ''
          ) : (
            <th scope="col" safe>
              {column}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** One page of a list, as the list pages draw it with `Pagination`. */
export interface ListPage<T> {
  items: T[];
  page: number;
  size: number;
  total: number;
}

/** Previous / next links for a list page; `href(n)` is page n's address. */
export function Pagination({ page, total, size, href }: { page: number; total: number; size: number; href: (n: number) => string }): JSX.Element {
  const pages = Math.max(1, Math.ceil(total / size));
  if (pages === 1) return '';
  return (
    <nav class="pagination" aria-label="Pages">
      {page > 1 ? <a href={href(page - 1)}>Previous</a> : <span>Previous</span>}
      <span>
        Page {page} of {pages}
      </span>
      {page < pages ? <a href={href(page + 1)}>Next</a> : <span>Next</span>}
    </nav>
  );
}

/** A time as text for a reader, in UTC: the same on every machine. */
export function formatTime(time: Date | string | undefined): string {
  if (!time) return '';
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
