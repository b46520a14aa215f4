import type { PropsWithChildren } from '@kitajs/html';
import type { Membership } from '../organization-memberships/service.js';
import type { OrganizationView } from '../organizations/service.js';
import type { ProjectView } from '../projects/service.js';
import type { RunView } from '../runs/service.js';
import type { WorkspaceView } from '../workspaces/service.js';
import { type Crumb, formatTime, Layout, type PageUser, Pagination, StatusBadge, TableHead, type ListPage } from './components.js';
import { InputField } from './form-fields.js';
import { PendingInvitations } from './org-member-pages.js';
import { orgSettingsPath, projectsPath, runPath, workspacePath, workspacesPath } from './paths.js';

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

/** What the workspace list is narrowed to: a name search, tags it must all carry, a project. */
export interface WorkspaceFilters {
  search: string;
  tags: readonly string[];
  project: { id: string; name: string } | undefined;
}

/** The workspace list's address with these filters (and page). */
export function workspaceListHref(org: string, filters: WorkspaceFilters, page?: number): string {
  const query = new URLSearchParams({
    ...(filters.search ? { search: filters.search } : {}),
    ...(filters.tags.length > 0 ? { tag: filters.tags.join(',') } : {}),
    ...(filters.project ? { project: filters.project.id } : {}),
    ...(page === undefined ? {} : { page: String(page) }),
  }).toString();
  return query ? `${workspacesPath(org)}?${query}` : workspacesPath(org);
}

/** The organization's lists and its settings, as the organization pages' tabs; `current` is marked. */
export function OrganizationNav({ org, current }: { org: string; current: 'workspaces' | 'projects' }): JSX.Element {
  const links = [
    { key: 'workspaces', label: 'Workspaces', href: workspacesPath(org) },
    { key: 'projects', label: 'Projects', href: projectsPath(org) },
    { key: 'settings', label: 'Settings', href: orgSettingsPath(org, 'general') },
  ];
  return (
    <nav aria-label="Organization" class="tabs">
      {links.map((link) => (
        <a href={link.href} aria-current={link.key === current ? 'page' : undefined} safe>
          {link.label}
        </a>
      ))}
    </nav>
  );
}

export function WorkspacesPage({
  user,
  org,
  filters,
  list,
  latestRunStatuses,
  children,
}: PropsWithChildren<{
  user: PageUser;
  org: string;
  filters: WorkspaceFilters;
  list: ListPage<WorkspaceView>;
  /** By workspace id; absent where there is no run or the user may not read runs. */
  latestRunStatuses: ReadonlyMap<string, string>;
}>): JSX.Element {
  const { search, tags, project } = filters;
  const narrowed = search !== '' || tags.length > 0 || project !== undefined;
  return (
    <Layout title="Workspaces" user={user} crumbs={[{ label: org, href: workspacesPath(org) }]}>
      <OrganizationNav org={org} current="workspaces" />
      <form class="search" method="get" action={workspacesPath(org)} aria-label="Search workspaces">
        <InputField label="Name contains" type="search" id="search" name="search" value={search} />
        <InputField label="Tags" type="search" id="tag" name="tag" value={tags.join(',')} placeholder="tag,another" />
        {project ? <input type="hidden" name="project" value={project.id} /> : ''}
        <button type="submit">Search</button>
      </form>
      {project || tags.length > 0 ? (
        <p class="filters">
          {project ? <span safe>{`In project ${project.name}`}</span> : ''}
          {tags.length > 0 ? <span safe>{`Tagged ${tags.join(', ')}`}</span> : ''}
          <a href={workspacesPath(org)}>Show all workspaces</a>
        </p>
      ) : (
        ''
      )}
      {list.items.length === 0 ? (
        <p>No workspaces{narrowed ? ' match this search' : ''}.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Latest run', 'Tags', 'Resources', 'Terraform', 'Changed']} />
          <tbody>
            {list.items.map(({ workspace }) => {
              const status = latestRunStatuses.get(workspace.id);
              return (
                <tr>
                  <td>
                    <a href={workspacePath(org, workspace.name)} safe>
                      {workspace.name}
                    </a>
                    {workspace.lockedBy ? <span class="badge badge-idle">locked</span> : ''}
                  </td>
                  <td class="latest-run">
                    {status && workspace.latestRunId ? (
                      <a href={runPath(org, workspace.name, workspace.latestRunId)}>
                        <StatusBadge status={status} />
                      </a>
                    ) : (
                      ''
                    )}
                  </td>
                  <td class="tags">
                    {workspace.tagNames.map((tag) => (
                      <a class="tag" href={workspaceListHref(org, { search: '', tags: [tag], project: undefined })} safe>
                        {tag}
                      </a>
                    ))}
                  </td>
                  <td>{workspace.resourceCount}</td>
                  <td safe>{workspace.terraformVersion}</td>
                  <td safe>{formatTime(workspace.latestChangeAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pagination page={list.page} size={list.size} total={list.total} href={(n) => workspaceListHref(org, filters, n)} />
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
      <TableHead columns={['Run', 'Status', 'Message', 'Changes', 'Created']} />
      <tbody>
        {runs.map(({ run, plan }) => (
          <tr>
            <td>
              <a href={runPath(org, workspace, run.id)}>{run.id}</a>
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

/** The organization's projects, each with its workspaces' count and a link to them (the workspace list filtered by project). */
export function ProjectsPage({ user, org, search, list }: { user: PageUser; org: string; search: string; list: ListPage<ProjectView> }): JSX.Element {
  const href = (n: number) => `${projectsPath(org)}?${new URLSearchParams({ ...(search ? { search } : {}), page: String(n) })}`;
  return (
    <Layout title="Projects" user={user} crumbs={[{ label: org, href: workspacesPath(org) }]}>
      <OrganizationNav org={org} current="projects" />
      <form class="search" method="get" action={projectsPath(org)} aria-label="Search projects">
        <InputField label="Name contains" type="search" id="search" name="search" value={search} />
        <button type="submit">Search</button>
      </form>
      {list.items.length === 0 ? (
        <p>No projects{search ? ' match this search' : ''}.</p>
      ) : (
        <table>
          <TableHead columns={['Name', 'Description', 'Workspaces']} />
          <tbody>
            {list.items.map(({ project }) => (
              <tr>
                <td safe>{project.name}</td>
                <td safe>{project.description}</td>
                <td>
                  <a href={workspaceListHref(org, { search: '', tags: [], project: { id: project.id, name: project.name } })} safe>
                    {`${project.workspaceCount} workspace${project.workspaceCount === 1 ? '' : 's'}`}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination page={list.page} size={list.size} total={list.total} href={href} />
    </Layout>
  );
}
