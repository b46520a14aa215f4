import { teamVisibleTo } from '../teams/visibility.js';
import type {
  RunsPermission,
  SentinelMocksPermission,
  StateVersionsPermission,
  VariablesPermission,
  WorkspaceAccessLevel,
  WorkspacePermissions,
} from '../auth/access-levels.js';
import type { Db } from '../db/database.js';
import { lookupsById, type RowOf } from '../db/rows.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';

/** A team's access to one workspace (team-access.mdx). */
export interface TeamWorkspace {
  id: string;
  teamId: string;
  workspaceId: string;
  workspaceName: string;
  organizationId: string;
  organizationName: string;
  projectId: string;
  access: WorkspaceAccessLevel;
  /** For fixed levels, the permissions the level implies. */
  permissions: WorkspacePermissions;
}

export const TEAM_WORKSPACE_CONSTRAINT = 'team_workspaces_team_workspace_key';

function selectAccess(db: Db) {
  return db
    .selectFrom('team_workspaces as tw')
    .innerJoin('workspaces as w', 'w.id', 'tw.workspace_id')
    .innerJoin('organizations as o', 'o.id', 'w.organization_id')
    .selectAll('tw')
    .select(['w.name as workspace_name', 'w.organization_id', 'o.name as organization_name', 'w.project_id']);
}

function toTeamWorkspace(row: RowOf<typeof selectAccess>): TeamWorkspace {
  return {
    id: row.id,
    teamId: row.team_id,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    projectId: row.project_id,
    access: row.access as WorkspaceAccessLevel,
    permissions: {
      runs: row.runs as RunsPermission,
      variables: row.variables as VariablesPermission,
      stateVersions: row.state_versions as StateVersionsPermission,
      sentinelMocks: row.sentinel_mocks as SentinelMocksPermission,
      workspaceLocking: row.workspace_locking,
      runTasks: row.run_tasks,
    },
  };
}

function toColumns(access: WorkspaceAccessLevel, p: WorkspacePermissions) {
  return {
    access,
    runs: p.runs,
    variables: p.variables,
    state_versions: p.stateVersions,
    sentinel_mocks: p.sentinelMocks,
    workspace_locking: p.workspaceLocking,
    run_tasks: p.runTasks,
  };
}

export const { findById } = lookupsById(selectAccess, 'tw.id', toTeamWorkspace);

/** The access these teams have to these workspaces: what authorization reads. */
export async function findForTeams(db: Db, teamIds: readonly string[], workspaceIds: readonly string[]): Promise<TeamWorkspace[]> {
  if (teamIds.length === 0 || workspaceIds.length === 0) return [];
  const rows = await selectAccess(db).where('tw.team_id', 'in', teamIds).where('tw.workspace_id', 'in', workspaceIds).execute();
  return rows.map(toTeamWorkspace);
}

/** Whether any of these teams has admin access to a workspace. */
export async function anyAdminAccess(db: Db, teamIds: readonly string[]): Promise<boolean> {
  if (teamIds.length === 0) return false;
  const row = await db.selectFrom('team_workspaces').select('id').where('team_id', 'in', teamIds).where('access', '=', 'admin').limit(1).executeTakeFirst();
  return row !== undefined;
}

export interface TeamWorkspaceFilter {
  workspaceId?: string | undefined;
  teamId?: string | undefined;
  /** Only rows of teams visible to a caller without access to secret teams: visible ones and these. */
  visibleWithSecret?: readonly string[] | undefined;
}

function filtered(db: Db, filter: TeamWorkspaceFilter) {
  let query = selectAccess(db).innerJoin('teams as t', 't.id', 'tw.team_id');
  if (filter.workspaceId !== undefined) query = query.where('tw.workspace_id', '=', filter.workspaceId);
  if (filter.teamId !== undefined) query = query.where('tw.team_id', '=', filter.teamId);
  if (filter.visibleWithSecret !== undefined) query = query.where(teamVisibleTo('t', filter.visibleWithSecret));
  return query;
}

/** A page of access rows by team name; `window` undefined returns all of them. */
export async function selectPage(db: Db, filter: TeamWorkspaceFilter, window: PageWindow | undefined): Promise<{ rows: TeamWorkspace[]; total: number }> {
  const ordered = filtered(db, filter).orderBy('t.name').orderBy('tw.id');
  // All of them: their number is the total, no count needed.
  const { rows, total } = window ? await pageAndTotal(ordered, window) : await ordered.execute().then((all) => ({ rows: all, total: all.length }));
  return { rows: rows.map(toTeamWorkspace), total };
}

export async function insert(
  db: Db,
  row: { id: string; teamId: string; workspaceId: string; access: WorkspaceAccessLevel; permissions: WorkspacePermissions },
): Promise<void> {
  await db
    .insertInto('team_workspaces')
    .values({ id: row.id, team_id: row.teamId, workspace_id: row.workspaceId, ...toColumns(row.access, row.permissions) })
    .execute();
}

export async function update(db: Db, id: string, access: WorkspaceAccessLevel, permissions: WorkspacePermissions): Promise<boolean> {
  const result = await db.updateTable('team_workspaces').set(toColumns(access, permissions)).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('team_workspaces').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
