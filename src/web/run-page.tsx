import type { RunView } from '../runs/service.js';
import { CsrfField, formatTime, Layout, type PageUser, StatusBadge } from './components.js';
import { PlanCounts, workspaceCrumbs } from './list-pages.js';
import { runPath, workspacePath } from './paths.js';

export interface RunPageInput {
  user: PageUser;
  org: string;
  workspace: string;
  view: RunView;
}

/** The run actions the page offers: those the run's status allows and the user may do. */
export function pageActions({
  actions,
  allowed,
}: Pick<RunView, 'actions' | 'allowed'>): { name: 'apply' | 'discard' | 'cancel'; label: string; confirm?: string }[] {
  return [
    ...(actions.isConfirmable && allowed.has('workspace:apply-run') ? [{ name: 'apply' as const, label: 'Confirm & apply' }] : []),
    ...(actions.isDiscardable && allowed.has('workspace:discard-run')
      ? [{ name: 'discard' as const, label: 'Discard run', confirm: 'Discard this run?' }]
      : []),
    ...(actions.isCancelable && allowed.has('workspace:cancel-run') ? [{ name: 'cancel' as const, label: 'Cancel run', confirm: 'Cancel this run?' }] : []),
  ];
}

/** Status, plan summary and actions: drawn with the page, and again by the event stream when they change. */
export function RunSummary({ user, org, workspace, view }: RunPageInput): JSX.Element {
  const { run, plan, apply } = view;
  const path = runPath(org, workspace, run.id);
  return (
    <>
      <dl class="facts">
        <dt>Status</dt>
        <dd id="run-status">
          <StatusBadge status={run.status} />
        </dd>
        <dt>Message</dt>
        <dd safe>{run.message}</dd>
        <dt>Created</dt>
        <dd safe>{formatTime(run.createdAt)}</dd>
        <dt>Plan</dt>
        <dd id="plan-summary">
          <StatusBadge status={plan.status} /> <PlanCounts counts={plan.counts} />
        </dd>
        <dt>Apply</dt>
        <dd>
          <StatusBadge status={apply.status} />
        </dd>
      </dl>
      <div class="actions">
        {pageActions(view).map((action) => (
          <form method="post" action={`${path}/actions/${action.name}`} hx-confirm={action.confirm}>
            <CsrfField token={user.csrfToken} />
            <button type="submit" class={action.name === 'apply' ? 'primary' : ''} safe>
              {action.label}
            </button>
          </form>
        ))}
      </div>
    </>
  );
}

/**
 * The run page. Its logs and summary arrive through Server-Sent Events (htmx's sse extension): each
 * `plan-log` / `apply-log` event appends lines to its log, `summary` redraws the summary, `done` closes.
 */
export function RunPage(input: RunPageInput): JSX.Element {
  const path = runPath(input.org, input.workspace, input.view.run.id);
  return (
    <Layout
      title={`Run ${input.view.run.id}`}
      user={input.user}
      crumbs={[...workspaceCrumbs(input.org, input.workspace), { label: 'Runs', href: `${workspacePath(input.org, input.workspace)}/runs` }]}
    >
      <div hx-ext="sse" sse-connect={`${path}/events`} sse-close="done">
        <section id="run-summary" sse-swap="summary" aria-live="polite">
          <RunSummary {...input} />
        </section>
        <h2>Plan log</h2>
        <pre class="log" id="plan-log" sse-swap="plan-log" hx-swap="beforeend"></pre>
        <h2>Apply log</h2>
        <pre class="log" id="apply-log" sse-swap="apply-log" hx-swap="beforeend"></pre>
      </div>
    </Layout>
  );
}
