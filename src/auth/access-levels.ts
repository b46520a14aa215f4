import type { Action, ProjectAction, WorkspaceAction } from './permissions.js';

/**
 * Team access to workspaces and projects as data: each access level, and each fine-grained permission
 * of a `custom` one, mapped to the actions it allows.
 */

// ---- Workspace permissions (permissions.mdx "General Workspace Permissions", team-access.mdx) ----

export type RunsPermission = 'read' | 'plan' | 'apply';
export type VariablesPermission = 'none' | 'read' | 'write';
export type StateVersionsPermission = 'none' | 'read-outputs' | 'read' | 'write';
export type SentinelMocksPermission = 'none' | 'read';

/** The fine-grained permissions of a team on a workspace: a `team-workspaces` resource's attributes. */
export interface WorkspacePermissions {
  runs: RunsPermission;
  variables: VariablesPermission;
  stateVersions: StateVersionsPermission;
  sentinelMocks: SentinelMocksPermission;
  workspaceLocking: boolean;
  runTasks: boolean;
}

/** Each tier implies the ones below it ("Implied Permissions"). */
const RUNS_ACTIONS: Record<RunsPermission, readonly WorkspaceAction[]> = {
  read: ['workspace:read', 'workspace:read-runs'],
  plan: ['workspace:read', 'workspace:read-runs', 'workspace:queue-run'],
  // Discard, cancel and force-execute need "permission to apply runs" (run.mdx).
  apply: [
    'workspace:read',
    'workspace:read-runs',
    'workspace:queue-run',
    'workspace:apply-run',
    'workspace:discard-run',
    'workspace:cancel-run',
    'workspace:force-execute-run',
  ],
};
const VARIABLES_ACTIONS: Record<VariablesPermission, readonly WorkspaceAction[]> = {
  none: [],
  read: ['workspace:read-variables'],
  write: ['workspace:read-variables', 'workspace:manage-variables'],
};
const STATE_VERSIONS_ACTIONS: Record<StateVersionsPermission, readonly WorkspaceAction[]> = {
  none: [],
  'read-outputs': ['workspace:read-state-outputs'],
  read: ['workspace:read-state-outputs', 'workspace:read-state'],
  write: ['workspace:read-state-outputs', 'workspace:read-state', 'workspace:write-state'],
};
const SENTINEL_MOCKS_ACTIONS: Record<SentinelMocksPermission, readonly WorkspaceAction[]> = { none: [], read: ['workspace:read-sentinel-mocks'] };
const LOCKING_ACTIONS: readonly WorkspaceAction[] = ['workspace:lock', 'workspace:unlock'];
const RUN_TASKS_ACTIONS: readonly WorkspaceAction[] = ['workspace:manage-run-tasks'];

export type WorkspaceAccessLevel = 'read' | 'plan' | 'write' | 'admin' | 'custom';
export const WORKSPACE_ACCESS_LEVELS: readonly WorkspaceAccessLevel[] = ['read', 'plan', 'write', 'admin', 'custom'];

/** The permissions each fixed level implies (permissions.mdx "Fixed Permission Sets"); `custom` holds the defaults of team-access.mdx. */
export const WORKSPACE_LEVEL_PERMISSIONS: Record<WorkspaceAccessLevel, WorkspacePermissions> = {
  read: { runs: 'read', variables: 'read', stateVersions: 'read', sentinelMocks: 'none', workspaceLocking: false, runTasks: false },
  plan: { runs: 'plan', variables: 'read', stateVersions: 'read', sentinelMocks: 'none', workspaceLocking: false, runTasks: false },
  write: { runs: 'apply', variables: 'write', stateVersions: 'write', sentinelMocks: 'read', workspaceLocking: true, runTasks: false },
  admin: { runs: 'apply', variables: 'write', stateVersions: 'write', sentinelMocks: 'read', workspaceLocking: true, runTasks: true },
  custom: { runs: 'read', variables: 'none', stateVersions: 'none', sentinelMocks: 'none', workspaceLocking: false, runTasks: false },
};

/** Only workspace admins change settings, delete, force-unlock and set other teams' access ("Workspace Admins"). */
const WORKSPACE_ADMIN_ONLY_ACTIONS: readonly WorkspaceAction[] = [
  'workspace:update',
  'workspace:delete',
  'workspace:force-unlock',
  'workspace:force-cancel-run',
  'workspace:manage-team-access',
];

export function workspacePermissionActions(p: WorkspacePermissions): WorkspaceAction[] {
  return [
    ...RUNS_ACTIONS[p.runs],
    ...VARIABLES_ACTIONS[p.variables],
    ...STATE_VERSIONS_ACTIONS[p.stateVersions],
    ...SENTINEL_MOCKS_ACTIONS[p.sentinelMocks],
    ...(p.workspaceLocking ? LOCKING_ACTIONS : []),
    ...(p.runTasks ? RUN_TASKS_ACTIONS : []),
  ];
}

export const WORKSPACE_ADMIN_ACTIONS: readonly WorkspaceAction[] = [
  ...workspacePermissionActions(WORKSPACE_LEVEL_PERMISSIONS.admin),
  ...WORKSPACE_ADMIN_ONLY_ACTIONS,
];

/** The actions of a team's access level on one workspace; `custom` reads its fine-grained permissions. */
export function workspaceLevelActions(level: WorkspaceAccessLevel, custom: WorkspacePermissions): readonly WorkspaceAction[] {
  if (level === 'admin') return WORKSPACE_ADMIN_ACTIONS;
  return workspacePermissionActions(level === 'custom' ? custom : WORKSPACE_LEVEL_PERMISSIONS[level]);
}

// ---- Project permissions (permissions.mdx "Project Permissions", project-team-access.mdx) ----

export type ProjectSettingsPermission = 'read' | 'update' | 'delete';
export type ProjectTeamsPermission = 'none' | 'read' | 'manage';
/** `write` is what the tfe provider sends (and reads back) for `manage`; HCP Terraform accepts both. */
export type ProjectVariableSetsPermission = 'none' | 'read' | 'write' | 'manage';

/** A `team-projects` resource's `project-access` and `workspace-access`. */
export interface ProjectPermissions {
  settings: ProjectSettingsPermission;
  teams: ProjectTeamsPermission;
  variableSets: ProjectVariableSetsPermission;
  workspace: WorkspacePermissions & { create: boolean; move: boolean; delete: boolean };
}

export type ProjectAccessLevel = 'read' | 'write' | 'maintain' | 'admin' | 'custom';
export const PROJECT_ACCESS_LEVELS: readonly ProjectAccessLevel[] = ['read', 'write', 'maintain', 'admin', 'custom'];

function projectLevel(
  settings: ProjectSettingsPermission,
  teams: ProjectTeamsPermission,
  variableSets: ProjectVariableSetsPermission,
  workspace: WorkspacePermissions,
  flags: { create: boolean; delete: boolean; move: boolean },
): ProjectPermissions {
  return { settings, teams, variableSets, workspace: { ...workspace, ...flags } };
}

const NONE: WorkspacePermissions = WORKSPACE_LEVEL_PERMISSIONS.custom;
const MAINTAINED: WorkspacePermissions = { ...WORKSPACE_LEVEL_PERMISSIONS.write, runTasks: true };

/**
 * project-team-access.mdx "Implied Custom Permission Levels". The variable-sets permission is not in
 * that table: only project admins manage the project's variable sets (permissions.mdx "Variable sets").
 */
export const PROJECT_LEVEL_PERMISSIONS: Record<ProjectAccessLevel, ProjectPermissions> = {
  read: projectLevel('read', 'none', 'none', WORKSPACE_LEVEL_PERMISSIONS.read, { create: false, delete: false, move: false }),
  write: projectLevel('read', 'none', 'none', WORKSPACE_LEVEL_PERMISSIONS.write, { create: false, delete: false, move: false }),
  maintain: projectLevel('read', 'none', 'none', MAINTAINED, { create: true, delete: true, move: false }),
  admin: projectLevel('delete', 'manage', 'manage', MAINTAINED, { create: true, delete: true, move: true }),
  custom: projectLevel('read', 'none', 'none', NONE, { create: false, delete: false, move: false }),
};

const PROJECT_SETTINGS_ACTIONS: Record<ProjectSettingsPermission, readonly ProjectAction[]> = {
  read: ['project:read'],
  update: ['project:read', 'project:update'],
  delete: ['project:read', 'project:update', 'project:delete'],
};
const PROJECT_TEAMS_ACTIONS: Record<ProjectTeamsPermission, readonly ProjectAction[]> = {
  none: [],
  read: ['project:read-teams'],
  manage: ['project:read-teams', 'project:manage-teams'],
};
const PROJECT_VARIABLE_SETS_ACTIONS: Record<ProjectVariableSetsPermission, readonly Action[]> = {
  none: [],
  read: ['variable-set:read'],
  write: ['variable-set:read', 'variable-set:manage'],
  manage: ['variable-set:read', 'variable-set:manage'],
};

/**
 * The actions of a team's access level on a project: on the project itself and on every workspace in
 * it. Maintain and admin are workspace admins of the project's workspaces ("Maintain", "Project Admin").
 */
export function projectLevelActions(level: ProjectAccessLevel, custom: ProjectPermissions): Action[] {
  const p = level === 'custom' ? custom : PROJECT_LEVEL_PERMISSIONS[level];
  return [
    ...PROJECT_SETTINGS_ACTIONS[p.settings],
    ...PROJECT_TEAMS_ACTIONS[p.teams],
    ...PROJECT_VARIABLE_SETS_ACTIONS[p.variableSets],
    ...workspacePermissionActions(p.workspace),
    ...(p.workspace.create ? (['workspace:create'] as const) : []),
    ...(p.workspace.delete ? (['workspace:delete'] as const) : []),
    ...(p.workspace.move ? (['project:move-workspaces'] as const) : []),
    ...(level === 'maintain' || level === 'admin' ? WORKSPACE_ADMIN_ACTIONS : []),
  ];
}
