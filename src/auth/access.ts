import type { Ctx } from '../context.js';
import * as teamProjectStore from '../team-project-access/store.js';
import * as teamWorkspaceStore from '../team-workspace-access/store.js';
import { projectLevelActions, workspaceLevelActions } from './access-levels.js';
import { defaultProjectActions, normalizeOrganizationAccess, type OrganizationAccess, organizationAccessActions } from './organization-access.js';
import { type Action, type OrganizationRole, ROLE_ACTIONS } from './permissions.js';
import { authCache } from './cache.js';
import { runTokenActions, testRunTokenActions } from './run-access.js';
import { type Subject, subjectKey } from './subject.js';
import * as authStore from './store.js';

/**
 * Resolves what a caller may do (permissions.mdx): owners, site admins and organization tokens by
 * role; users by the union of their teams' access, team tokens by their team's. A team's access is
 * its organization access, its access to the target's project (which reaches the project's
 * workspaces) and its access to the target workspace. Every lookup is memoized per request.
 */

/** What a permission check is about: every protected resource belongs to one organization, and maybe to a project and workspace. */
export interface Target {
  organizationId: string;
  /** Set for project-scoped resources and for workspaces: team project access applies. */
  projectId?: string | undefined;
  /** Set for workspace-scoped resources (state, runs, variables): team workspace access applies. */
  workspaceId?: string | undefined;
  /** Named in the 404 message. */
  description?: string | undefined;
}

/** A team whose access the caller has. */
export interface CallerTeam {
  id: string;
  access: OrganizationAccess;
}

/** Who the caller is, down to the token: user tokens and the admin token of one user differ (user-tokens-enabled). */
function callerKey(subject: Subject): string {
  return `${subjectKey(subject) ?? 'anonymous'}/${'tokenId' in subject ? subject.tokenId : ''}`;
}

/** A lookup memoized for this request, and across requests by the caller in the process-wide cache (cache.ts). */
function memo<T>(ctx: Ctx, key: string, load: () => Promise<T>): Promise<T> {
  const found = ctx.memo.get(key) as Promise<T> | undefined;
  if (found) return found;
  const loading = authCache.get(`access:${callerKey(ctx.subject)}:${key}`, load);
  ctx.memo.set(key, loading);
  return loading;
}

/** Forgets the caller's lookups, after a change to team access or membership that the response must reflect. */
export function forgetAccess(ctx: Ctx): void {
  ctx.memo.clear();
  authCache.clear();
}

/** The caller's role in an organization, looked up once per request. */
export function organizationRole(ctx: Ctx, organizationId: string): Promise<OrganizationRole> {
  return memo(ctx, `role:${organizationId}`, async () => {
    const subject = ctx.subject;
    switch (subject.kind) {
      case 'user': {
        if (subject.isSiteAdmin) return 'site-admin';
        const standing = await authStore.userStanding(ctx.db, subject.userId, organizationId);
        // `user-tokens-enabled: false`: the organization is out of reach of its members' user tokens.
        if (subject.tokenId !== null && !standing.userTokensEnabled) return 'none';
        return standing.isOwner ? 'owner' : standing.isMember ? 'member' : 'none';
      }
      case 'organization':
        return subject.organizationId === organizationId ? 'organization-token' : 'none';
      case 'team': {
        if (subject.organizationId !== organizationId) return 'none';
        const team = await authStore.findTeamForToken(ctx.db, subject.teamId);
        return team?.isOwners ? 'owner' : 'team';
      }
      default:
        return 'none';
    }
  });
}

/** The teams whose access a member (all their teams in the organization) or a team token (its team) has; none for other roles. */
export function callerTeams(ctx: Ctx, organizationId: string): Promise<readonly CallerTeam[]> {
  return memo(ctx, `teams:${organizationId}`, async () => {
    const role = await organizationRole(ctx, organizationId);
    const subject = ctx.subject;
    let teams: authStore.TeamGrants[] = [];
    if (role === 'member' && subject.kind === 'user') teams = await authStore.findTeamsOfMember(ctx.db, subject.userId, organizationId);
    if (role === 'team' && subject.kind === 'team') teams = [await authStore.findTeamForToken(ctx.db, subject.teamId)].flatMap((t) => t ?? []);
    return teams.map((t) => ({ id: t.id, access: normalizeOrganizationAccess(t.organizationAccess, t.isOwners) }));
  });
}

/** The ids of callerTeams. */
export async function callerTeamIds(ctx: Ctx, organizationId: string): Promise<string[]> {
  return (await callerTeams(ctx, organizationId)).map((t) => t.id);
}

const ROLE_SETS = new Map<OrganizationRole, ReadonlySet<Action>>(
  (Object.keys(ROLE_ACTIONS) as OrganizationRole[]).map((role) => [role, new Set(ROLE_ACTIONS[role])]),
);

function defaultProjectId(ctx: Ctx, organizationId: string): Promise<string | undefined> {
  return memo(ctx, `default-project:${organizationId}`, () => teamProjectStore.findDefaultProjectId(ctx.db, organizationId));
}

/** The actions the teams' project access grants in one project (and in its workspaces). */
function projectActions(
  teams: readonly CallerTeam[],
  rows: readonly teamProjectStore.TeamProject[],
  isDefault: boolean,
  reachedByWorkspace: boolean,
): Action[] {
  return [
    ...rows.flatMap((row) => projectLevelActions(row.access, row.permissions)),
    ...(isDefault ? teams.flatMap((team) => defaultProjectActions(team.access)) : []),
    // A team with access to a workspace sees the project it is in.
    ...(reachedByWorkspace ? (['project:read'] as const) : []),
  ];
}

/** Loads the project grants of these projects into the memo, in three queries for all of them. */
async function preloadProjects(ctx: Ctx, organizationId: string, projectIds: readonly string[]): Promise<void> {
  const missing = [...new Set(projectIds)].filter((id) => !ctx.memo.has(`project:${id}`));
  if (missing.length === 0) return;
  const teams = await callerTeams(ctx, organizationId);
  const teamIds = teams.map((t) => t.id);
  const [rows, reached, defaultId] = await Promise.all([
    teamProjectStore.findForTeams(ctx.db, teamIds, missing),
    teamProjectStore.projectIdsReachedByWorkspaceAccess(ctx.db, teamIds, missing),
    defaultProjectId(ctx, organizationId),
  ]);
  for (const id of missing) {
    const actions = projectActions(
      teams,
      rows.filter((r) => r.projectId === id),
      id === defaultId,
      reached.includes(id),
    );
    ctx.memo.set(`project:${id}`, Promise.resolve(actions));
  }
}

/** Loads the workspace grants of these workspaces into the memo, in one query for all of them. */
async function preloadWorkspaces(ctx: Ctx, organizationId: string, workspaceIds: readonly string[]): Promise<void> {
  const missing = [...new Set(workspaceIds)].filter((id) => !ctx.memo.has(`workspace:${id}`));
  if (missing.length === 0) return;
  const teams = await callerTeams(ctx, organizationId);
  const rows = await teamWorkspaceStore.findForTeams(
    ctx.db,
    teams.map((t) => t.id),
    missing,
  );
  for (const id of missing) {
    const actions = rows.filter((r) => r.workspaceId === id).flatMap((r) => workspaceLevelActions(r.access, r.permissions));
    ctx.memo.set(`workspace:${id}`, Promise.resolve(actions));
  }
}

async function grants(ctx: Ctx, kind: 'project' | 'workspace', organizationId: string, id: string): Promise<readonly Action[]> {
  await (kind === 'project' ? preloadProjects(ctx, organizationId, [id]) : preloadWorkspaces(ctx, organizationId, [id]));
  return ctx.memo.get(`${kind}:${id}`) as Promise<readonly Action[]>;
}

/**
 * Prepares the checks of many workspaces at once (a list page): two or three queries instead of some
 * per workspace. Callers whose role decides alone skip it.
 */
export async function preloadWorkspaceAccess(ctx: Ctx, organizationId: string, workspaces: readonly { id: string; projectId: string }[]): Promise<void> {
  const role = await organizationRole(ctx, organizationId);
  if (role !== 'member' && role !== 'team') return;
  await preloadProjects(
    ctx,
    organizationId,
    workspaces.map((w) => w.projectId),
  );
  await preloadWorkspaces(
    ctx,
    organizationId,
    workspaces.map((w) => w.id),
  );
}

/** Prepares the checks of many projects at once, as preloadWorkspaceAccess does for workspaces. */
export async function preloadProjectAccess(ctx: Ctx, organizationId: string, projectIds: readonly string[]): Promise<void> {
  const role = await organizationRole(ctx, organizationId);
  if (role === 'member' || role === 'team') await preloadProjects(ctx, organizationId, projectIds);
}

/** Every action the caller may perform on `target`: the source of `permissions` attributes. */
export async function allowedActions(ctx: Ctx, target: Target): Promise<ReadonlySet<Action>> {
  const subject = ctx.subject;
  if (subject.kind === 'test-run') return testRunTokenActions(subject, target);
  if (subject.kind === 'run')
    return memo(ctx, `run-allowed:${target.organizationId}/${target.projectId ?? ''}/${target.workspaceId ?? ''}`, () => runTokenActions(ctx, subject, target));
  const role = await organizationRole(ctx, target.organizationId);
  if (role !== 'member' && role !== 'team') return ROLE_SETS.get(role) as ReadonlySet<Action>;
  const { organizationId, workspaceId } = target;
  return memo(ctx, `allowed:${organizationId}/${target.projectId ?? ''}/${workspaceId ?? ''}`, async () => {
    const teams = await callerTeams(ctx, organizationId);
    const actions = new Set<Action>(ROLE_ACTIONS[role]);
    for (const team of teams) for (const action of organizationAccessActions(team.access)) actions.add(action);
    const projectId = target.projectId ?? (workspaceId === undefined ? undefined : (await authStore.findWorkspaceScopeUnchecked(ctx.db, workspaceId))?.projectId);
    if (projectId !== undefined) for (const action of await grants(ctx, 'project', organizationId, projectId)) actions.add(action);
    if (workspaceId !== undefined) for (const action of await grants(ctx, 'workspace', organizationId, workspaceId)) actions.add(action);
    return actions;
  });
}

/**
 * Which of the organization's workspaces the caller may read: all of them, or those that these teams
 * reach through workspace or project access. Lists filter with it in SQL.
 */
export async function workspaceReadScope(ctx: Ctx, organizationId: string): Promise<{ all: true } | { teamIds: string[] }> {
  if ((await allowedActions(ctx, { organizationId })).has('workspace:read')) return { all: true };
  return { teamIds: (await callerTeams(ctx, organizationId)).map((t) => t.id) };
}

/** The organization's projects where the caller may perform every one of `actions`: 'all', or their ids. */
export async function projectsAllowing(ctx: Ctx, organizationId: string, actions: readonly Action[]): Promise<'all' | string[]> {
  const organizationWide = await allowedActions(ctx, { organizationId });
  if (actions.every((a) => organizationWide.has(a))) return 'all';
  const teams = await callerTeams(ctx, organizationId);
  if (teams.length === 0) return [];
  const teamIds = teams.map((t) => t.id);
  const [rows, reached, defaultId] = await Promise.all([
    teamProjectStore.findForTeams(ctx.db, teamIds),
    teamProjectStore.projectIdsReachedByWorkspaceAccess(ctx.db, teamIds),
    defaultProjectId(ctx, organizationId),
  ]);
  const candidates = new Set([...rows.map((r) => r.projectId), ...reached, ...(defaultId ? [defaultId] : [])]);
  return [...candidates].filter((id) => {
    const granted = new Set([
      ...organizationWide,
      ...projectActions(
        teams,
        rows.filter((r) => r.projectId === id),
        id === defaultId,
        reached.includes(id),
      ),
    ]);
    return actions.every((a) => granted.has(a));
  });
}

/**
 * Whether the caller is an admin of at least one of the organization's workspaces: of all of them
 * (owners, "Manage all workspaces"), of a project's (maintain or admin), or of one through team
 * workspace access. ssh-keys.mdx lets workspace admins read the organization's SSH keys.
 */
export async function isAdminOfAnyWorkspace(ctx: Ctx, organizationId: string): Promise<boolean> {
  const projects = await projectsAllowing(ctx, organizationId, ['workspace:update']);
  if (projects === 'all' || projects.length > 0) return true;
  return teamWorkspaceStore.anyAdminAccess(ctx.db, await callerTeamIds(ctx, organizationId));
}

/**
 * Which of the organization's teams the caller sees: all (owners, and "Include secret teams"), or the
 * visible ones and the secret teams they are in (teams.mdx).
 */
export async function teamVisibility(ctx: Ctx, organizationId: string): Promise<{ all: true } | { secretOnesSeen: string[] }> {
  if ((await allowedActions(ctx, { organizationId })).has('team:access-secret')) return { all: true };
  return { secretOnesSeen: (await callerTeams(ctx, organizationId)).map((t) => t.id) };
}
