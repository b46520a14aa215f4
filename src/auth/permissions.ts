/**
 * The permission model as data (concepts/users-teams-organizations/permissions.mdx): roles, team
 * organization access, workspace and project access levels, each mapped to the actions it allows.
 * The resolution (which of these apply to a caller) is in access.ts.
 */

export const ORGANIZATION_ACTIONS = [
  'organization:read',
  'organization:update',
  'organization:delete',
  'organization:read-entitlements',
  'organization:manage-token',
  'organization:read-memberships',
  'organization:manage-membership',
] as const;

export const TEAM_ACTIONS = [
  // Visible teams, and secret teams the caller is in (teams.mdx).
  'team:read',
  // "Include secret teams": every other team action reaches secret teams too (permissions.mdx).
  'team:access-secret',
  'team:create',
  'team:update',
  'team:delete',
  'team:manage-membership',
  'team:manage-organization-access',
  'team:manage-tokens',
  // The owners team's members and tokens: only owners, or what acts as one (teams.mdx).
  'team:manage-owners',
] as const;

/** TFE's workspace permission list (the workspace `permissions` attribute, permissions.mdx "General Workspace Permissions"). */
export const WORKSPACE_ACTIONS = [
  'workspace:read',
  'workspace:create',
  'workspace:update',
  'workspace:delete',
  // Delete without the safe-delete checks: owners only, unless the organization's allow-force-delete-workspaces lets workspace admins (workspaces.mdx).
  'workspace:force-delete',
  'workspace:lock',
  'workspace:unlock',
  'workspace:force-unlock',
  'workspace:read-runs',
  'workspace:queue-run',
  'workspace:apply-run',
  'workspace:cancel-run',
  'workspace:discard-run',
  // Admin-level: force-cancel needs admin access to the workspace (run.mdx "Forcefully cancel a run").
  'workspace:force-cancel-run',
  'workspace:force-execute-run',
  'workspace:read-variables',
  'workspace:manage-variables',
  'workspace:read-state-outputs',
  'workspace:read-state',
  'workspace:write-state',
  'workspace:read-sentinel-mocks',
  'workspace:manage-run-tasks',
  'workspace:manage-team-access',
  // Override failed mandatory run tasks (and, later, policies): "Manage Policy Overrides" on the organization only.
  'workspace:manage-policy-overrides',
] as const;

export const PROJECT_ACTIONS = [
  'project:read',
  'project:create',
  'project:update',
  'project:delete',
  'project:read-teams',
  'project:manage-teams',
  // Needed on both the source and the destination project (permissions.mdx "Move Workspaces").
  'project:move-workspaces',
] as const;

export const ORGANIZATION_RESOURCE_ACTIONS = [
  'variable-set:read',
  'variable-set:manage',
  'tag:read',
  'tag:manage',
  // Pools, their agents (agents.mdx): a pool names the workspaces that use it, so who reads every workspace reads pools.
  'agent-pool:read',
  // Create, update and delete pools, and their agent tokens (permissions.mdx "Manage Agent Pools").
  'agent-pool:manage',
  // The organization's run tasks (run-tasks.mdx "Required Permissions": "Manage Run Tasks").
  'run-task:read',
  'run-task:manage',
  // The organization's policy sets (permissions.mdx "Manage Policies": create, edit, read, list and delete).
  'policy-set:read',
  'policy-set:manage',
  // The private registry (modules.mdx, providers.mdx): every member reads it (it is the organization's);
  // "Manage Modules" publishes modules, "Manage Providers" providers and their GPG keys.
  'registry:read',
  'registry-module:manage',
  'registry-provider:manage',
] as const;

/**
 * The organization's SSH keys (ssh-keys.mdx): managed with "Manage VCS settings"; read by those and by
 * workspace admins (service.ts checks that). Organization tokens have neither (api-tokens.mdx "Manage SSH keys").
 */
export const SSH_KEY_ACTIONS = ['ssh-key:read', 'ssh-key:manage'] as const;

export type OrganizationAction = (typeof ORGANIZATION_ACTIONS)[number];
export type TeamAction = (typeof TEAM_ACTIONS)[number];
export type WorkspaceAction = (typeof WORKSPACE_ACTIONS)[number];
export type ProjectAction = (typeof PROJECT_ACTIONS)[number];
export type Action =
  | OrganizationAction
  | TeamAction
  | WorkspaceAction
  | ProjectAction
  | (typeof ORGANIZATION_RESOURCE_ACTIONS)[number]
  | (typeof SSH_KEY_ACTIONS)[number];

/** How a subject relates to one organization. */
export type OrganizationRole =
  /** site admin user (or TERRACE_ADMIN_TOKEN) */
  | 'site-admin'
  /** member of the owners team, or a token of the owners team */
  | 'owner'
  /** the organization's own token (organization-tokens.mdx, api-tokens.mdx "Access Levels") */
  | 'organization-token'
  /** a user in the organization who is not an owner: the union of their teams' access */
  | 'member'
  /** a token of a team that is not the owners team: that team's access */
  | 'team'
  /** no relation: the organization is invisible (404) */
  | 'none';

export const ALL_ACTIONS: readonly Action[] = [
  ...ORGANIZATION_ACTIONS,
  ...TEAM_ACTIONS,
  ...WORKSPACE_ACTIONS,
  ...PROJECT_ACTIONS,
  ...ORGANIZATION_RESOURCE_ACTIONS,
  ...SSH_KEY_ACTIONS,
];

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

// ---- Team organization access (teams.mdx, permissions.mdx "Organization Permissions") ----

export const ORGANIZATION_ACCESS_FLAGS = [
  'manage-policies',
  'manage-policy-overrides',
  'manage-run-tasks',
  'manage-workspaces',
  'manage-vcs-settings',
  'manage-agent-pools',
  'manage-providers',
  'manage-modules',
  'manage-projects',
  'read-projects',
  'read-workspaces',
  'manage-membership',
  'manage-teams',
  'manage-organization-access',
  'access-secret-teams',
] as const;

export type OrganizationAccessFlag = (typeof ORGANIZATION_ACCESS_FLAGS)[number];
export type OrganizationAccess = Record<OrganizationAccessFlag, boolean>;

/**
 * What setting a flag also sets (teams.mdx "Create a Team" note, permissions.mdx "Team Management
 * Permissions"): managing projects includes managing workspaces, manage organization access includes
 * manage teams, which includes manage membership.
 */
export const ORGANIZATION_ACCESS_IMPLIES: Readonly<Partial<Record<OrganizationAccessFlag, readonly OrganizationAccessFlag[]>>> = {
  'manage-projects': ['manage-workspaces', 'read-projects'],
  'manage-workspaces': ['read-workspaces'],
  'read-projects': ['read-workspaces'],
  'manage-organization-access': ['manage-teams'],
  'manage-teams': ['manage-membership'],
};

const READ_ALL_WORKSPACES: readonly Action[] = [...workspacePermissionActions(WORKSPACE_LEVEL_PERMISSIONS.read), 'tag:read', 'agent-pool:read'];
const READ_ALL_RUNS: readonly Action[] = ['workspace:read', 'workspace:read-runs'];

/**
 * Each flag's actions, on the organization and on every project and workspace in it. Flags of
 * features Terrace does not have yet (VCS, registry, run tasks, policies) grant only the
 * workspace reads the page says they imply; those features add their own actions here.
 */
export const ORGANIZATION_ACCESS_ACTIONS: Record<OrganizationAccessFlag, readonly Action[]> = {
  // "implicitly gives permission to read runs on all workspaces"
  'manage-policies': [...READ_ALL_RUNS, 'policy-set:read', 'policy-set:manage'],
  'manage-policy-overrides': [...READ_ALL_RUNS, 'workspace:manage-policy-overrides'],
  'manage-run-tasks': ['run-task:read', 'run-task:manage'],
  // "equivalent to admin permissions on every workspace"; variable sets too ("Manage all workspaces").
  'manage-workspaces': [...WORKSPACE_ADMIN_ACTIONS, 'variable-set:read', 'variable-set:manage', 'tag:read', 'tag:manage', 'agent-pool:read'],
  'manage-vcs-settings': SSH_KEY_ACTIONS,
  // "create, edit, and delete agent pools"; "implicitly grants access to read all workspaces"
  'manage-agent-pools': ['workspace:read', 'agent-pool:read', 'agent-pool:manage'],
  'manage-providers': ['registry:read', 'registry-provider:manage'],
  'manage-modules': ['registry:read', 'registry-module:manage'],
  'manage-projects': [...PROJECT_ACTIONS, 'workspace:create'],
  'read-projects': ['project:read'],
  'read-workspaces': READ_ALL_WORKSPACES,
  'manage-membership': ['organization:read-memberships', 'organization:manage-membership', 'team:manage-membership'],
  'manage-teams': ['team:create', 'team:update', 'team:delete', 'team:manage-tokens'],
  'manage-organization-access': ['team:manage-organization-access'],
  'access-secret-teams': ['team:access-secret'],
};

/** Granted in the organization's Default Project only: "Create new workspaces within the organization's Default Project". */
export const DEFAULT_PROJECT_ACCESS_ACTIONS: Readonly<Partial<Record<OrganizationAccessFlag, readonly Action[]>>> = {
  'manage-workspaces': ['workspace:create'],
};

/** The owners team's organization access: every flag (permissions.mdx "Organization Owners"). */
export const OWNERS_ORGANIZATION_ACCESS: OrganizationAccess = Object.fromEntries(ORGANIZATION_ACCESS_FLAGS.map((f) => [f, true])) as OrganizationAccess;

/** A team's effective organization access from its stored flags: known flags only, and every flag for the owners team. */
export function normalizeOrganizationAccess(stored: Readonly<Record<string, unknown>>, isOwners: boolean): OrganizationAccess {
  if (isOwners) return OWNERS_ORGANIZATION_ACCESS;
  return Object.fromEntries(ORGANIZATION_ACCESS_FLAGS.map((flag) => [flag, stored[flag] === true])) as OrganizationAccess;
}

// ---- Roles ----

/**
 * Organization tokens create and configure workspaces, variables, projects and teams, but cannot
 * plan, apply, lock or upload state (api-tokens.mdx "Access Levels"). They act as an owner on the
 * teams, team access and membership endpoints (teams.mdx, team-access.mdx).
 */
const ORGANIZATION_TOKEN_ACTIONS: readonly Action[] = [
  'organization:read',
  'organization:read-entitlements',
  'organization:manage-token',
  'organization:read-memberships',
  'organization:manage-membership',
  ...TEAM_ACTIONS,
  'workspace:read',
  'workspace:create',
  'workspace:update',
  'workspace:delete',
  'workspace:read-runs',
  'workspace:read-variables',
  'workspace:manage-variables',
  'workspace:read-state-outputs',
  'workspace:read-state',
  'workspace:manage-run-tasks',
  'workspace:manage-team-access',
  ...PROJECT_ACTIONS,
  ...ORGANIZATION_RESOURCE_ACTIONS,
];

/** What a role grants before team access is added: members and team tokens start from seeing the organization and its visible teams. */
export const ROLE_ACTIONS: Record<OrganizationRole, readonly Action[]> = {
  'site-admin': ALL_ACTIONS,
  owner: ALL_ACTIONS,
  'organization-token': ORGANIZATION_TOKEN_ACTIONS,
  member: ['organization:read', 'organization:read-entitlements', 'team:read', 'registry:read'],
  team: ['organization:read', 'organization:read-entitlements', 'team:read', 'registry:read'],
  none: [],
};

/** The actions of one organization-access setting, on everything in the organization. */
export function organizationAccessActions(access: OrganizationAccess): Action[] {
  return ORGANIZATION_ACCESS_FLAGS.flatMap((flag) => (access[flag] ? ORGANIZATION_ACCESS_ACTIONS[flag] : []));
}

/** The extra actions of one organization-access setting in the Default Project. */
export function defaultProjectActions(access: OrganizationAccess): Action[] {
  return ORGANIZATION_ACCESS_FLAGS.flatMap((flag) => (access[flag] ? (DEFAULT_PROJECT_ACCESS_ACTIONS[flag] ?? []) : []));
}
