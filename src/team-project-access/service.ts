import { readOnlyAttribute, teamAlreadyTaken } from '../teams/access-errors.js';
import { authorize, callerTeamIds, can, forgetAccess, type Target } from '../auth/authorize.js';
import { PROJECT_LEVEL_PERMISSIONS, type ProjectAccessLevel, type ProjectPermissions } from '../auth/access-levels.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as teamService from '../teams/service.js';
import * as teamProjectStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { TeamProject } from './store.js';

/**
 * Team access to projects (project-team-access.mdx). Owners and project admins (project:manage-teams)
 * change it; project:read-teams shows every visible team's access, anyone else in the project only
 * their own teams' ("Any member of an organization can view team access relative to their own team memberships").
 */

const ATTRIBUTES = '/data/attributes';

function notFound(id: string): NotFoundError {
  return new NotFoundError(`team access ${id} not found`);
}

type ProjectAction = 'project:read' | 'project:manage-teams';

async function authorizedProject(ctx: Ctx, projectId: string, action: ProjectAction): Promise<Target> {
  const scope = await authStore.findProjectScope(ctx.db, projectId);
  if (!scope) throw new NotFoundError(`project ${projectId} not found`);
  const target = { organizationId: scope.organizationId, projectId: scope.id, description: `project ${projectId}` };
  await authorize(ctx, action, target);
  return target;
}

/** The fine-grained attributes of a request, by wire group; undefined leaves one as it is. */
export interface PermissionsInput {
  project?: Partial<Omit<ProjectPermissions, 'workspace'>> | undefined;
  workspace?: Partial<ProjectPermissions['workspace']> | undefined;
}

const WIRE_NAMES: Record<string, string> = {
  settings: 'settings',
  teams: 'teams',
  variableSets: 'variable-sets',
  runs: 'runs',
  variables: 'variables',
  stateVersions: 'state-versions',
  sentinelMocks: 'sentinel-mocks',
  workspaceLocking: 'locking',
  runTasks: 'run-tasks',
  create: 'create',
  move: 'move',
  delete: 'delete',
};

function defined<T extends object>(values: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The permissions to store for `level`: those a fixed level implies ("Implied Custom Permission
 * Levels"), or for `custom` the request's over `current` (the `custom` defaults on create). The
 * fine-grained attributes are for `custom` only; restating what a fixed level implies is accepted.
 */
function resolvePermissions(level: ProjectAccessLevel, input: PermissionsInput, current: ProjectPermissions | undefined): ProjectPermissions {
  const base = level === 'custom' ? (current ?? PROJECT_LEVEL_PERMISSIONS.custom) : PROJECT_LEVEL_PERMISSIONS[level];
  const project = defined(input.project);
  const workspace = defined(input.workspace);
  if (level !== 'custom') {
    const groups: [string, Record<string, unknown>, Readonly<Record<string, unknown>>][] = [
      ['project-access', project, { ...base }],
      ['workspace-access', workspace, { ...base.workspace }],
    ];
    for (const [group, given, implied] of groups) {
      const differing = Object.keys(given).find((key) => given[key] !== implied[key]);
      if (differing) throw readOnlyAttribute(WIRE_NAMES[differing] as string, level, `${ATTRIBUTES}/${group}/${WIRE_NAMES[differing]}`);
    }
    return base;
  }
  return { ...base, ...project, workspace: { ...base.workspace, ...workspace } };
}

/** The access rows of a project the caller reads (project-team-access.mdx "List Team Access to a Project"). */
export async function list(ctx: Ctx, projectId: string | undefined, page: Page): Promise<Paged<teamProjectStore.TeamProject>> {
  if (projectId === undefined) throw new InvalidError('filter[project][id] is required', { parameter: 'filter[project][id]' });
  const target = await authorizedProject(ctx, projectId, 'project:read');
  const filter = (await can(ctx, 'project:read-teams', target))
    ? { projectId, visibleWithSecret: await teamService.secretTeamsSeen(ctx, target.organizationId) }
    : { projectId, onlyTeams: await callerTeamIds(ctx, target.organizationId) };
  return teamProjectStore.selectPage(ctx.db, filter, { limit: page.size, offset: pageOffset(page) });
}

/** An access row whose project the caller may act on and whose team the caller sees. */
async function findVisible(ctx: Ctx, id: string, action: ProjectAction): Promise<teamProjectStore.TeamProject> {
  const row = await teamProjectStore.findById(ctx.db, id);
  if (!row) throw notFound(id);
  try {
    const target = await authorizedProject(ctx, row.projectId, action);
    const own = (await callerTeamIds(ctx, row.organizationId)).includes(row.teamId);
    if (!own) await authorize(ctx, 'project:read-teams', target);
    await teamService.findVisible(ctx, row.teamId);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(id);
    throw err;
  }
  return row;
}

export async function show(ctx: Ctx, id: string): Promise<teamProjectStore.TeamProject> {
  return findVisible(ctx, id, 'project:read');
}

export interface CreateInput {
  projectId: string;
  teamId: string;
  access: ProjectAccessLevel;
  permissions: PermissionsInput;
}

export async function create(ctx: Ctx, input: CreateInput): Promise<teamProjectStore.TeamProject> {
  const target = await authorizedProject(ctx, input.projectId, 'project:manage-teams');
  const team = await teamService.findVisible(ctx, input.teamId);
  if (team.organizationId !== target.organizationId) throw new NotFoundError(`team ${input.teamId} not found`);
  const permissions = resolvePermissions(input.access, input.permissions, undefined);
  const id = newId('tprj');
  try {
    await teamProjectStore.insert(ctx.db, { id, teamId: team.id, projectId: input.projectId, access: input.access, permissions });
  } catch (err) {
    if (isUniqueViolation(err, teamProjectStore.TEAM_PROJECT_CONSTRAINT)) {
      throw teamAlreadyTaken();
    }
    throw err;
  }
  forgetAccess(ctx);
  return findVisible(ctx, id, 'project:read');
}

export async function update(ctx: Ctx, id: string, access: ProjectAccessLevel | undefined, input: PermissionsInput): Promise<teamProjectStore.TeamProject> {
  const row = await findVisible(ctx, id, 'project:manage-teams');
  const level = access ?? row.access;
  const permissions = resolvePermissions(level, input, row.permissions);
  if (!(await teamProjectStore.update(ctx.db, row.id, level, permissions))) throw notFound(id);
  forgetAccess(ctx);
  return { ...row, access: level, permissions };
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const row = await findVisible(ctx, id, 'project:manage-teams');
  if (!(await teamProjectStore.deleteById(ctx.db, row.id))) throw notFound(id);
  forgetAccess(ctx);
}
