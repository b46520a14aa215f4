import type { PropsWithChildren } from '@kitajs/html';
import type { Membership } from '../organization-memberships/service.js';
import type { OrganizationView } from '../organizations/service.js';
import type { RunView } from '../runs/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { type Crumb, formatTime, Layout, type PageUser, Pagination, StatusBadge } from './components.js';
import { PendingInvitations } from './org-pages.js';
import { orgSettingsPath, runPath, workspacePath, workspacesPath } from './paths.js';

export interface ListPage<T> {
  items: T[];
  page: number;
  size: number;
  total: number;
}

export function OrganizationsPage({
  user,
  list,
  invitations,
}: {
  user: PageUser;
  list: ListPage<OrganizationView>;
  invitations: readonly Membership[];
}): JSX.Element {
  return (
    <Layout title="Organizations" user={user}>
      <PendingInvitations user={user} invitations={invitations} />
      {list.items.length === 0 ? (
        <p>You belong to no organization yet.</p>
      ) : (
        <ul class="cards">
          {list.items.map(({ organization }) => (
            <li>
              <a href={workspacesPath(organization.name)} safe>
                {organization.name}
              </a>
              <span class="muted" safe>
                {organization.email}
              </span>
              <a class="muted" href={orgSettingsPath(organization.name, 'general')} aria-label={`Settings of ${organization.name}`}>
                Settings
              </a>
            </li>
          ))}
        </ul>
      )}
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => `/app?page=${n}`} />
    </Layout>
  );
}

export function WorkspacesPage({
  user,
  org,
  search,
  list,
  children,
}: PropsWithChildren<{ user: PageUser; org: string; search: string; list: ListPage<WorkspaceView> }>): JSX.Element {
  const href = (n: number) => `${workspacesPath(org)}?${new URLSearchParams({ ...(search ? { search } : {}), page: String(n) })}`;
  return (
    <Layout title="Workspaces" user={user} crumbs={[{ label: org, href: workspacesPath(org) }]}>
      <form class="search" method="get" action={workspacesPath(org)} aria-label="Search workspaces">
        <label for="search">Name contains</label>
        <input type="search" id="search" name="search" value={search} />
        <button type="submit">Search</button>
      </form>
      {list.items.length === 0 ? (
        <p>No workspaces{search ? ' match this search' : ''}.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Resources</th>
              <th scope="col">Terraform</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map(({ workspace }) => (
              <tr>
                <td>
                  <a href={workspacePath(org, workspace.name)} safe>
                    {workspace.name}
                  </a>
                  {workspace.lockedBy ? <span class="badge badge-idle">locked</span> : ''}
                </td>
                <td>{workspace.resourceCount}</td>
                <td safe>{workspace.terraformVersion}</td>
                <td safe>{formatTime(workspace.latestChangeAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination page={list.page} size={list.size} total={list.total} href={href} />
      {children}
    </Layout>
  );
}

/** The crumbs of a workspace's pages: its organization, then the workspace. */
export function workspaceCrumbs(org: string, name: string): Crumb[] {
  return [
    { label: org, href: workspacesPath(org) },
    { label: name, href: workspacePath(org, name) },
  ];
}

/** A table of runs, newest first: status, message, what the plan changes, when. */
export function RunTable({ org, workspace, runs }: { org: string; workspace: string; runs: RunView[] }): JSX.Element {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Message</th>
          <th scope="col">Changes</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {runs.map(({ run, plan }) => (
          <tr>
            <td>
              <a href={runPath(org, workspace, run.id)} safe>
                {run.id}
              </a>
            </td>
            <td>
              <StatusBadge status={run.status} />
            </td>
            <td safe>{run.message}</td>
            <td>
              <PlanCounts counts={plan.counts} />
            </td>
            <td safe>{formatTime(run.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PlanCounts({ counts }: { counts: { additions: number; changes: number; destructions: number } }): JSX.Element {
  return (
    <span class="counts">
      <span class="add">+{counts.additions}</span> <span class="change">~{counts.changes}</span> <span class="destroy">-{counts.destructions}</span>
    </span>
  );
}

export function RunsPage({ user, org, workspace, list }: { user: PageUser; org: string; workspace: string; list: ListPage<RunView> }): JSX.Element {
  return (
    <Layout title="Runs" user={user} crumbs={workspaceCrumbs(org, workspace)}>
      {list.items.length === 0 ? <p>No runs yet.</p> : <RunTable org={org} workspace={workspace} runs={list.items} />}
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => `${workspacePath(org, workspace)}/runs?page=${n}`} />
    </Layout>
  );
}
