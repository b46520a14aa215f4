import { teamVisibleTo } from '../teams/visibility.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { sql } from 'kysely';
import type {
  ProjectAccessLevel,
  ProjectPermissions,
  ProjectSettingsPermission,
  ProjectTeamsPermission,
  ProjectVariableSetsPermission,
  RunsPermission,
  SentinelMocksPermission,
  StateVersionsPermission,
  VariablesPermission,
} from '../auth/access-levels.js';
import type { Db } from '../db/database.js';
import { lookupsById, type RowOf } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

/** A team's access to one project (project-team-access.mdx). */
export interface TeamProject {
  id: string;
  teamId: string;
  projectId: string;
  organizationId: string;
  access: ProjectAccessLevel;
  /** For fixed levels, the permissions the level implies. */
  permissions: ProjectPermissions;
}

export const TEAM_PROJECT_CONSTRAINT = 'team_projects_team_project_key';

function selectAccess(db: Db) {
  return db.selectFrom('team_projects as tp').innerJoin('projects as p', 'p.id', 'tp.project_id').selectAll('tp').select('p.organization_id');
}

function toTeamProject(row: RowOf<typeof selectAccess>): TeamProject {
  return {
    id: row.id,
    teamId: row.team_id,
    projectId: row.project_id,
    organizationId: row.organization_id,
    access: row.access as ProjectAccessLevel,
    permissions: {
      settings: row.project_settings as ProjectSettingsPermission,
      teams: row.project_teams as ProjectTeamsPermission,
      variableSets: row.project_variable_sets as ProjectVariableSetsPermission,
      workspace: {
        runs: row.workspace_runs as RunsPermission,
        variables: row.workspace_variables as VariablesPermission,
        stateVersions: row.workspace_state_versions as StateVersionsPermission,
        sentinelMocks: row.workspace_sentinel_mocks as SentinelMocksPermission,
        workspaceLocking: row.workspace_locking,
        runTasks: row.workspace_run_tasks,
        create: row.workspace_create,
        move: row.workspace_move,
        delete: row.workspace_delete,
      },
    },
  };
}

function toColumns(access: ProjectAccessLevel, p: ProjectPermissions) {
  return {
    access,
    project_settings: p.settings,
    project_teams: p.teams,
    project_variable_sets: p.variableSets,
    workspace_runs: p.workspace.runs,
    workspace_variables: p.workspace.variables,
    workspace_state_versions: p.workspace.stateVersions,
    workspace_sentinel_mocks: p.workspace.sentinelMocks,
    workspace_create: p.workspace.create,
    workspace_move: p.workspace.move,
    workspace_locking: p.workspace.workspaceLocking,
    workspace_delete: p.workspace.delete,
    workspace_run_tasks: p.workspace.runTasks,
  };
}

export const { findById } = lookupsById(selectAccess, 'tp.id', toTeamProject);

/** The access these teams have to these projects, or to every project when `projectIds` is undefined. */
export async function findForTeams(db: Db, teamIds: readonly string[], projectIds?: readonly string[]): Promise<TeamProject[]> {
  if (teamIds.length === 0 || projectIds?.length === 0) return [];
  let query = selectAccess(db).where('tp.team_id', 'in', teamIds);
  if (projectIds !== undefined) query = query.where('tp.project_id', 'in', projectIds);
  return (await query.execute()).map(toTeamProject);
}

/** The organization's Default Project. */
export async function findDefaultProjectId(db: Db, organizationId: string): Promise<string | undefined> {
  const row = await db.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('is_default', '=', true).executeTakeFirst();
  return row?.id;
}

/** The projects (of `projectIds`, or all) holding a workspace that one of the teams has access to. */
export async function projectIdsReachedByWorkspaceAccess(db: Db, teamIds: readonly string[], projectIds?: readonly string[]): Promise<string[]> {
  if (teamIds.length === 0 || projectIds?.length === 0) return [];
  let query = db
    .selectFrom('team_workspaces as tw')
    .innerJoin('workspaces as w', 'w.id', 'tw.workspace_id')
    .select('w.project_id')
    .distinct()
    .where('tw.team_id', 'in', teamIds);
  if (projectIds !== undefined) query = query.where('w.project_id', 'in', projectIds);
  return (await query.execute()).map((r) => r.project_id);
}

export interface TeamProjectFilter {
  projectId: string;
  /** Only rows of teams visible to a caller without access to secret teams: visible ones and these. */
  visibleWithSecret?: readonly string[] | undefined;
  /** Only the rows of these teams. */
  onlyTeams?: readonly string[] | undefined;
}

function filtered(db: Db, filter: TeamProjectFilter) {
  let query = selectAccess(db).innerJoin('teams as t', 't.id', 'tp.team_id').where('tp.project_id', '=', filter.projectId);
  if (filter.onlyTeams !== undefined)
    query = filter.onlyTeams.length === 0 ? query.where(sql<boolean>`false`) : query.where('tp.team_id', 'in', filter.onlyTeams);
  if (filter.visibleWithSecret !== undefined) query = query.where(teamVisibleTo('t', filter.visibleWithSecret));
  return query;
}

export async function selectPage(db: Db, filter: TeamProjectFilter, window: PageWindow): Promise<Paged<TeamProject>> {
  const { rows, total } = await pageAndTotal(filtered(db, filter).orderBy('t.name').orderBy('tp.id'), window);
  return { items: rows.map(toTeamProject), total };
}

export async function insert(
  db: Db,
  row: { id: string; teamId: string; projectId: string; access: ProjectAccessLevel; permissions: ProjectPermissions },
): Promise<void> {
  await db
    .insertInto('team_projects')
    .values({ id: row.id, team_id: row.teamId, project_id: row.projectId, ...toColumns(row.access, row.permissions) })
    .execute();
}

export async function update(db: Db, id: string, access: ProjectAccessLevel, permissions: ProjectPermissions): Promise<boolean> {
  const result = await db.updateTable('team_projects').set(toColumns(access, permissions)).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteById(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('team_projects').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
