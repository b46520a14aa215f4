/**
 * The permission model as data (concepts/users-teams-organizations/permissions.mdx): the actions, and
 * what each role grants. What team access adds is in access-levels.ts (workspace and project access
 * levels) and organization-access.ts (team organization access); the resolution (which of these apply
 * to a caller) is in access.ts.
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
