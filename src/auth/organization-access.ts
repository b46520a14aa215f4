import { WORKSPACE_ADMIN_ACTIONS, WORKSPACE_LEVEL_PERMISSIONS, workspacePermissionActions } from './access-levels.js';
import { type Action, PROJECT_ACTIONS, SSH_KEY_ACTIONS } from './permissions.js';

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

/** The actions of one organization-access setting, on everything in the organization. */
export function organizationAccessActions(access: OrganizationAccess): Action[] {
  return ORGANIZATION_ACCESS_FLAGS.flatMap((flag) => (access[flag] ? ORGANIZATION_ACCESS_ACTIONS[flag] : []));
}

/** The extra actions of one organization-access setting in the Default Project. */
export function defaultProjectActions(access: OrganizationAccess): Action[] {
  return ORGANIZATION_ACCESS_FLAGS.flatMap((flag) => (access[flag] ? (DEFAULT_PROJECT_ACCESS_ACTIONS[flag] ?? []) : []));
}
