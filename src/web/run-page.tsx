import type { RunEvent } from '../runs/event-store.js';
import type { RunView } from '../runs/service.js';
import { formatTime, Layout, type PageUser, StatusBadge, PostForm } from './components.js';
import { InputField } from './form-fields.js';
import { PlanCounts, workspaceCrumbs } from './list-pages.js';
import { type PlanChanges, PlanChangeList } from './plan-changes.js';
import { runPath, workspacePath } from './paths.js';
import { type StageCheck, StageChecks } from './run-checks.js';
import { RunTimeline } from './run-timeline.js';

/** Everything the run page draws of a run, loaded by run-routes.tsx for the page and for each change the stream sends. */
export interface RunDetails {
  view: RunView;
  events: RunEvent[];
  checks: StageCheck[];
  /** Undefined while the plan has no JSON. */
  changes: PlanChanges | undefined;
}

export interface RunPageInput {
  user: PageUser;
  org: string;
  workspace: string;
  details: RunDetails;
}

export type PageActionName = 'apply' | 'discard' | 'cancel' | 'force-cancel';

/**
 * The run actions the page offers: those the run's status allows and the user may do. Force-cancel
 * leads to a page that asks again (`confirmPage`) rather than posting at once.
 */
export function pageActions({
  actions,
  allowed,
}: Pick<RunView, 'actions' | 'allowed'>): { name: PageActionName; label: string; confirm?: string; confirmPage?: boolean }[] {
  return [
    ...(actions.isConfirmable && allowed.has('workspace:apply-run') ? [{ name: 'apply' as const, label: 'Confirm & apply' }] : []),
    ...(actions.isDiscardable && allowed.has('workspace:discard-run')
      ? [{ name: 'discard' as const, label: 'Discard run', confirm: 'Discard this run?' }]
      : []),
    ...(actions.isCancelable && allowed.has('workspace:cancel-run') ? [{ name: 'cancel' as const, label: 'Cancel run', confirm: 'Cancel this run?' }] : []),
    ...(actions.isForceCancelable && allowed.has('workspace:force-cancel-run')
      ? [{ name: 'force-cancel' as const, label: 'Force cancel…', confirmPage: true }]
      : []),
  ];
}

/**
 * Status, plan summary, actions, timeline, resource changes and checks: drawn with the page, and again
 * by the event stream when any of it changes.
 */
export function RunSummary({ user, org, workspace, details }: RunPageInput): JSX.Element {
  const { view } = details;
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
        {pageActions(view).map((action) =>
          action.confirmPage ? (
            <a class="button danger" href={`${path}/${action.name}`} safe>
              {action.label}
            </a>
          ) : (
            <PostForm csrfToken={user.csrfToken} action={`${path}/actions/${action.name}`} hx-confirm={action.confirm}>
              <button type="submit" class={action.name === 'apply' ? 'primary' : ''} safe>
                {action.label}
              </button>
            </PostForm>
          ),
        )}
      </div>
      <RunTimeline events={details.events} />
      <section aria-labelledby="changes-heading">
        <h2 id="changes-heading">Resource changes</h2>
        <PlanChangeList changes={details.changes} />
      </section>
      <StageChecks user={user} checks={details.checks} view={view} path={path} />
    </>
  );
}

function runCrumbs(org: string, workspace: string) {
  return [...workspaceCrumbs(org, workspace), { label: 'Runs', href: `${workspacePath(org, workspace)}/runs` }];
}

/**
 * The run page. Its logs and summary arrive through Server-Sent Events (htmx's sse extension): each
 * `plan-log` / `apply-log` event appends lines to its log, `summary` redraws the summary, `done` closes.
 */
export function RunPage(input: RunPageInput): JSX.Element {
  const path = runPath(input.org, input.workspace, input.details.view.run.id);
  return (
    <Layout title={`Run ${input.details.view.run.id}`} user={input.user} crumbs={runCrumbs(input.org, input.workspace)}>
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

/** The step between the force-cancel button and the action: what it does, and the one form that does it. */
export function ForceCancelPage({ user, org, workspace, view }: { user: PageUser; org: string; workspace: string; view: RunView }): JSX.Element {
  const path = runPath(org, workspace, view.run.id);
  return (
    <Layout title={`Force-cancel run ${view.run.id}?`} user={user} crumbs={[...runCrumbs(org, workspace), { label: view.run.id, href: path }]}>
      <p>
        The run is <StatusBadge status={view.run.status} />. Force-cancelling ends it at once, without waiting for Terraform to stop, and unlocks the workspace.
        Terraform may leave the state incomplete.
      </p>
      <PostForm csrfToken={user.csrfToken} action={`${path}/actions/force-cancel`}>
        <input type="hidden" name="confirmed" value="yes" />
        <InputField label="Reason (optional)" id="comment" name="comment" />
        <div class="actions">
          <button type="submit" class="danger">
            Force cancel the run
          </button>
          <a class="button" href={path}>
            Keep it running
          </a>
        </div>
      </PostForm>
    </Layout>
  );
}
