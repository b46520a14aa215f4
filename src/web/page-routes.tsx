import type { FastifyInstance } from 'fastify';
import { requireUser } from '../auth/authorize.js';
import { NotFoundError } from '../errors.js';
import { QueryText, querySchema, splitList, withQuery } from '../jsonapi/query.js';
import * as membershipService from '../organization-memberships/service.js';
import * as organizationService from '../organizations/service.js';
import * as projectService from '../projects/service.js';
import * as runService from '../runs/service.js';
import * as workspaceService from '../workspaces/service.js';
import { OrganizationsPage, ProjectsPage, RunsPage, WorkspacesPage } from './list-pages.js';
import { requireSignIn, userOf } from './session-hook.js';
import { sendPage } from './send.js';
import { WorkspacePage } from './workspace-page.js';
import { CreateWorkspaceForm } from './workspace-settings-pages.js';
import { creatableProjects } from './workspace-settings-routes.js';

/** Rows per list page, as the API's default page size. */
const PAGE_SIZE = 20;

/** `?page=` as a page number; anything else is the first page. */
export function pageNumber(value: string | undefined): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/** `?page=` on every list; free text, so a bad value is the first page rather than an error page. */
const PageQuery = querySchema({ page: QueryText });
/** `tag`: comma-separated tag names a workspace carries all of (the API's `search[tags]`); `project`: a project id. */
const WorkspaceListQuery = querySchema({ page: QueryText, search: QueryText, tag: QueryText, project: QueryText });
const ProjectListQuery = querySchema({ page: QueryText, search: QueryText });

type OrgParams = { org: string };
type WorkspaceParams = OrgParams & { name: string };

/** Organizations, their workspaces and a workspace's runs, for the signed-in user. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);

  app.get<{ Querystring: { page?: string } }>('/app', withQuery(PageQuery), async (request, reply) => {
    const page = { number: pageNumber(request.query.page), size: PAGE_SIZE };
    const [{ items: views, total }, invitations] = await Promise.all([
      organizationService.list(request.ctx, { page }),
      membershipService.pendingInvitations(request.ctx, requireUser(request.ctx).userId),
    ]);
    const list = { items: views, page: page.number, size: page.size, total };
    return sendPage(reply, 200, <OrganizationsPage user={userOf(request)} list={list} invitations={invitations} />);
  });

  app.get<{ Params: OrgParams; Querystring: { page?: string; search?: string; tag?: string; project?: string } }>(
    '/app/:org/workspaces',
    withQuery(WorkspaceListQuery),
    async (request, reply) => {
      const { org } = request.params;
      const search = (request.query.search ?? '').trim();
      const tags = splitList(request.query.tag) ?? [];
      const projectId = (request.query.project ?? '').trim();
      // A project the user may not see is a 404 page, as its API address is.
      const project = projectId ? (await projectService.show(request.ctx, projectId, { withBindings: false })).project : undefined;
      if (project && project.organizationName !== org) throw new NotFoundError(`project ${projectId} not found`);
      const page = { number: pageNumber(request.query.page), size: PAGE_SIZE };
      const { items: views, total } = await workspaceService.list(request.ctx, org, {
        filter: { ...(search ? { search } : {}), ...(tags.length > 0 ? { tags } : {}), ...(project ? { projectId: project.id } : {}) },
        sort: { field: 'name', descending: false },
        page,
      });
      const list = { items: views, page: page.number, size: page.size, total };
      const filters = { search, tags, project: project && { id: project.id, name: project.name } };
      const user = userOf(request);
      const [statuses, projects] = await Promise.all([runService.latestRunStatuses(request.ctx, views), creatableProjects(request, org)]);
      return sendPage(
        reply,
        200,
        <WorkspacesPage user={user} org={org} filters={filters} list={list} latestRunStatuses={statuses}>
          {projects.length > 0 ? <CreateWorkspaceForm user={user} org={org} projects={projects} /> : ''}
        </WorkspacesPage>,
      );
    },
  );

  app.get<{ Params: OrgParams; Querystring: { page?: string; search?: string } }>('/app/:org/projects', withQuery(ProjectListQuery), async (request, reply) => {
    const { org } = request.params;
    const search = (request.query.search ?? '').trim();
    const page = { number: pageNumber(request.query.page), size: PAGE_SIZE };
    const { items: views, total } = await projectService.list(request.ctx, org, {
      filter: search ? { search } : {},
      descending: false,
      requiredActions: [],
      withBindings: false,
      page,
    });
    const list = { items: views, page: page.number, size: page.size, total };
    return sendPage(reply, 200, <ProjectsPage user={userOf(request)} org={org} search={search} list={list} />);
  });

  app.get<{ Params: WorkspaceParams }>('/app/:org/workspaces/:name', async (request, reply) => {
    const view = await workspaceService.show(request.ctx, { organizationName: request.params.org, name: request.params.name });
    const { latestRunId } = view.workspace;
    const latestRun = latestRunId && view.allowed.has('workspace:read-runs') ? await runService.show(request.ctx, latestRunId) : undefined;
    const { lockedBy } = view.workspace;
    const lockedByViewer = lockedBy?.kind === 'users' && lockedBy.id === request.webSession?.userId;
    return sendPage(reply, 200, <WorkspacePage user={userOf(request)} view={view} latestRun={latestRun} lockedByViewer={lockedByViewer} />);
  });

  app.get<{ Params: WorkspaceParams; Querystring: { page?: string } }>('/app/:org/workspaces/:name/runs', withQuery(PageQuery), async (request, reply) => {
    const { org, name } = request.params;
    const workspace = await workspaceService.findAuthorized(request.ctx, { organizationName: org, name }, 'workspace:read-runs');
    const page = { number: pageNumber(request.query.page), size: PAGE_SIZE };
    const { views, total, hasMore } = await runService.list(request.ctx, workspace.id, { filter: {}, page });
    const list = { items: views, page: page.number, size: page.size, total: total ?? (page.number + (hasMore ? 1 : 0)) * page.size };
    return sendPage(reply, 200, <RunsPage user={userOf(request)} org={org} workspace={workspace.name} list={list} />);
  });
}
