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

export type OrganizationAction = (typeof ORGANIZATION_ACTIONS)[number];
export type Action = OrganizationAction;

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

const ALL: readonly Action[] = ORGANIZATION_ACTIONS;

export const ROLE_ACTIONS: Record<OrganizationRole, readonly Action[]> = {
  'site-admin': ALL,
  owner: ALL,
  // Organization tokens manage the organization's resources but not the organization itself.
  'organization-token': ['organization:read', 'organization:read-entitlements', 'organization:manage-token', 'organization:read-memberships', 'organization:manage-membership'],
  member: ['organization:read', 'organization:read-entitlements', 'organization:read-memberships'],
  team: ['organization:read', 'organization:read-entitlements'],
  none: [],
};

export function roleAllows(role: OrganizationRole, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}
