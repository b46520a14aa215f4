/**
 * Roles as data. Each role a subject can hold in an organization maps to the actions it allows.
 * The teams issue adds team organization-access and workspace/project access levels as more roles.
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
  'workspace:read-variables',
  'workspace:manage-variables',
  'workspace:queue-run',
  'workspace:apply-run',
  'workspace:read-state',
  'workspace:write-state',
] as const;

export const PROJECT_ACTIONS = ['project:read', 'project:create', 'project:update', 'project:delete'] as const;

export const ORGANIZATION_RESOURCE_ACTIONS = ['variable-set:read', 'variable-set:manage', 'tag:read', 'tag:manage'] as const;

export type OrganizationAction = (typeof ORGANIZATION_ACTIONS)[number];
export type WorkspaceAction = (typeof WORKSPACE_ACTIONS)[number];
export type ProjectAction = (typeof PROJECT_ACTIONS)[number];
export type Action = OrganizationAction | WorkspaceAction | ProjectAction | (typeof ORGANIZATION_RESOURCE_ACTIONS)[number];

/** How a subject relates to one organization. */
export type OrganizationRole =
  /** site admin user (or TERRACE_ADMIN_TOKEN) */
  | 'site-admin'
  /** member of the owners team, or a token of the owners team */
  | 'owner'
  /** the organization's own token (organization-tokens.mdx, api-tokens.mdx "Access Levels") */
  | 'organization-token'
  /** a user in the organization who is not an owner */
  | 'member'
  /** a token of a team that is not the owners team */
  | 'team'
  /** no relation: the organization is invisible (404) */
  | 'none';

const ALL: readonly Action[] = [...ORGANIZATION_ACTIONS, ...WORKSPACE_ACTIONS, ...PROJECT_ACTIONS, ...ORGANIZATION_RESOURCE_ACTIONS];

/**
 * Organization tokens create and configure workspaces, variables, projects and teams, but cannot
 * plan, apply or upload state (api-tokens.mdx "Access Levels").
 */
const ORGANIZATION_TOKEN_WORKSPACE_ACTIONS: readonly Action[] = [
  'workspace:read',
  'workspace:create',
  'workspace:update',
  'workspace:delete',
  'workspace:read-variables',
  'workspace:manage-variables',
  'workspace:read-state',
  ...PROJECT_ACTIONS,
  ...ORGANIZATION_RESOURCE_ACTIONS,
];

export const ROLE_ACTIONS: Record<OrganizationRole, readonly Action[]> = {
  'site-admin': ALL,
  owner: ALL,
  // Organization tokens manage the organization's resources but not the organization itself.
  'organization-token': [
    'organization:read',
    'organization:read-entitlements',
    'organization:manage-token',
    'organization:read-memberships',
    'organization:manage-membership',
    ...ORGANIZATION_TOKEN_WORKSPACE_ACTIONS,
  ],
  // Workspace and project access for members and team tokens comes from team access (the teams issue).
  member: ['organization:read', 'organization:read-entitlements', 'organization:read-memberships'],
  team: ['organization:read', 'organization:read-entitlements'],
  none: [],
};

export function roleAllows(role: OrganizationRole, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}
