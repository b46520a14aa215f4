import { readOnlyAttribute, teamAlreadyTaken } from '../teams/access-errors.js';
import { authorizeWorkspace } from '../auth/authorize.js';
import { callerTeamIds, can, forgetAccess } from '../auth/authorize.js';
import { type WorkspaceAccessLevel, WORKSPACE_LEVEL_PERMISSIONS, type WorkspacePermissions } from '../auth/access-levels.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as teamService from '../teams/service.js';
import * as teamWorkspaceStore from './store.js';

export type { TeamWorkspace } from './store.js';

/**
 * Team access to workspaces (team-access.mdx). Anyone who reads a workspace sees the access of the
 * teams they see; owners and workspace admins change it (workspace:manage-team-access).
 */

const ATTRIBUTES = '/data/attributes';

function notFound(id: string): NotFoundError {
  return new NotFoundError(`team access ${id} not found`);
}

/** The fine-grained attributes of a request; undefined leaves one as it is. */
export type PermissionsInput = Partial<WorkspacePermissions>;

const WIRE_NAMES: Record<keyof WorkspacePermissions, string> = {
  runs: 'runs',
  variables: 'variables',
  stateVersions: 'state-versions',
  sentinelMocks: 'sentinel-mocks',
  workspaceLocking: 'workspace-locking',
  runTasks: 'run-tasks',
};

/**
 * The permissions to store for `level`: those a fixed level implies, or for `custom` the request's over
 * `current` (the defaults of team-access.mdx on create). The fine-grained attributes "can only be used
 * when access is custom"; restating what a fixed level implies is accepted.
 */
function resolvePermissions(level: WorkspaceAccessLevel, input: PermissionsInput, current: WorkspacePermissions | undefined): WorkspacePermissions {
  const base = level === 'custom' ? (current ?? WORKSPACE_LEVEL_PERMISSIONS.custom) : WORKSPACE_LEVEL_PERMISSIONS[level];
  for (const [key, value] of Object.entries(input) as [keyof WorkspacePermissions, unknown][]) {
    if (value !== undefined && level !== 'custom' && value !== base[key]) {
      throw readOnlyAttribute(WIRE_NAMES[key], level, `${ATTRIBUTES}/${WIRE_NAMES[key]}`);
    }
  }
  return level === 'custom' ? { ...base, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } : base;
}

export interface ListFilter {
  workspaceId?: string | undefined;
  teamId?: string | undefined;
}

/**
 * The access rows of a workspace (team-access.mdx "List Team Access to a Workspace"), or of a team
 * (OpenAPI `filter[team][id]`), limited to the teams and workspaces the caller sees. Without `page`,
 * all of them ("If neither pagination query parameters are provided, … will return all results").
 */
export async function list(ctx: Ctx, filter: ListFilter, page: Page | undefined): Promise<{ rows: teamWorkspaceStore.TeamWorkspace[]; total: number }> {
  const window = page && { limit: page.size, offset: pageOffset(page) };
  if (filter.workspaceId !== undefined) {
    const workspace = await authorizeWorkspace(ctx, { id: filter.workspaceId }, 'workspace:read');
    const visibleWithSecret = await teamService.secretTeamsSeen(ctx, workspace.organizationId);
    return teamWorkspaceStore.selectPage(ctx.db, { workspaceId: workspace.id, teamId: filter.teamId, visibleWithSecret }, window);
  }
  if (filter.teamId === undefined) throw new InvalidError('filter[workspace][id] is required', { parameter: 'filter[workspace][id]' });
  const team = await teamService.findVisible(ctx, filter.teamId);
  // A team's access across workspaces: for its members, and for whoever reads every workspace.
  const member = (await callerTeamIds(ctx, team.organizationId)).includes(team.id);
  if (!member && !(await can(ctx, 'workspace:read', { organizationId: team.organizationId }))) return { rows: [], total: 0 };
  return teamWorkspaceStore.selectPage(ctx.db, { teamId: team.id }, window);
}

/** An access row whose workspace the caller reads and whose team the caller sees. */
async function findVisible(ctx: Ctx, id: string, action: 'workspace:read' | 'workspace:manage-team-access'): Promise<teamWorkspaceStore.TeamWorkspace> {
  const row = await teamWorkspaceStore.findById(ctx.db, id);
  if (!row) throw notFound(id);
  try {
    await authorizeWorkspace(ctx, { id: row.workspaceId }, action);
    await teamService.findVisible(ctx, row.teamId);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(id);
    throw err;
  }
  return row;
}

export async function show(ctx: Ctx, id: string): Promise<teamWorkspaceStore.TeamWorkspace> {
  return findVisible(ctx, id, 'workspace:read');
}

export interface CreateInput {
  workspaceId: string;
  teamId: string;
  access: WorkspaceAccessLevel;
  permissions: PermissionsInput;
}

export async function create(ctx: Ctx, input: CreateInput): Promise<teamWorkspaceStore.TeamWorkspace> {
  const workspace = await authorizeWorkspace(ctx, { id: input.workspaceId }, 'workspace:manage-team-access');
  const team = await teamService.findVisible(ctx, input.teamId);
  if (team.organizationId !== workspace.organizationId) throw new NotFoundError(`team ${input.teamId} not found`);
  const permissions = resolvePermissions(input.access, input.permissions, undefined);
  const id = newId('tws');
  try {
    await teamWorkspaceStore.insert(ctx.db, { id, teamId: team.id, workspaceId: workspace.id, access: input.access, permissions });
  } catch (err) {
    if (isUniqueViolation(err, teamWorkspaceStore.TEAM_WORKSPACE_CONSTRAINT)) {
      throw teamAlreadyTaken();
    }
    throw err;
  }
  forgetAccess(ctx);
  return findVisible(ctx, id, 'workspace:read');
}

export async function update(
  ctx: Ctx,
  id: string,
  access: WorkspaceAccessLevel | undefined,
  input: PermissionsInput,
): Promise<teamWorkspaceStore.TeamWorkspace> {
  const row = await findVisible(ctx, id, 'workspace:manage-team-access');
  const level = access ?? row.access;
  const permissions = resolvePermissions(level, input, row.permissions);
  if (!(await teamWorkspaceStore.update(ctx.db, row.id, level, permissions))) throw notFound(id);
  forgetAccess(ctx);
  return { ...row, access: level, permissions };
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const row = await findVisible(ctx, id, 'workspace:manage-team-access');
  if (!(await teamWorkspaceStore.deleteById(ctx.db, row.id))) throw notFound(id);
  forgetAccess(ctx);
}
