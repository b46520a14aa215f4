import { allowedActions, authorize, callerTeamIds, forgetAccess, teamVisibility } from '../auth/authorize.js';
import {
  normalizeOrganizationAccess,
  ORGANIZATION_ACCESS_FLAGS,
  ORGANIZATION_ACCESS_IMPLIES,
  type OrganizationAccess,
  type OrganizationAccessFlag,
} from '../auth/organization-access.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { ConflictError, InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as teamStore from './store.js';
import { teamSeen } from './visibility.js';
import type { Paged } from '../db/paging.js';

export type { Team, TeamVisibility } from './store.js';

const ATTRIBUTES = '/data/attributes';

/**
 * teams.mdx says "can only include letters, numbers, `-`, and `_`", but HCP Terraform also takes
 * spaces ("foo bar"), and the tfe provider's configurations rely on it (docs/design.md "Where Terrace follows the service").
 */
const NAME_PATTERN = /^[A-Za-z0-9_ -]{1,255}$/;

/** What the caller may do with one team: the `permissions` attribute (OpenAPI `teams`). */
export interface TeamPermissions {
  canUpdateMembership: boolean;
  canDestroy: boolean;
  canUpdateOrganizationAccess: boolean;
  canUpdateApiToken: boolean;
  canUpdateVisibility: boolean;
  canUpdateName: boolean;
  canUpdateSsoTeamId: boolean;
  canUpdateMemberTokenManagement: boolean;
  canViewApiToken: boolean;
}

/** A team as the caller sees it. */
export interface TeamView {
  team: teamStore.Team;
  organizationAccess: OrganizationAccess;
  permissions: TeamPermissions;
  /** Active members. */
  userIds: string[];
  membershipIds: string[];
}

function teamNotFound(id: string): NotFoundError {
  return new NotFoundError(`team ${id} not found`);
}

/**
 * Whether the caller may perform a team-management action on this team (permissions.mdx "Team
 * Management Permissions"): the action, and for a secret team "Include secret teams" (membership
 * changes only need to see the team, which its members do). The owners team's membership and tokens
 * are for owners only, and what acts as one.
 */
async function mayManage(ctx: Ctx, team: teamStore.Team, action: Action): Promise<boolean> {
  const allowed = await allowedActions(ctx, { organizationId: team.organizationId });
  if (!allowed.has(action)) return false;
  if (team.isOwners && !allowed.has('team:manage-owners')) return false;
  if (team.visibility === 'organization' || allowed.has('team:access-secret')) return true;
  return action === 'team:manage-membership' && (await callerTeamIds(ctx, team.organizationId)).includes(team.id);
}

/**
 * Which of the team's tokens the caller manages: all of them with manage teams; as a member of the team
 * while it allows member token management (permissions.mdx "Allow Member Token Management", on by
 * default), the tokens with a description that the member generated. Members neither regenerate the
 * team's legacy token (which revokes the one in use, say by the team's CI) nor revoke others' tokens:
 * read-only members would otherwise break what the team runs on.
 */
export async function tokenAccess(ctx: Ctx, team: teamStore.Team): Promise<'all' | 'own' | 'none'> {
  if (await mayManage(ctx, team, 'team:manage-tokens')) return 'all';
  const isMember =
    !team.isOwners && team.allowMemberTokenManagement && ctx.subject.kind === 'user' && (await callerTeamIds(ctx, team.organizationId)).includes(team.id);
  return isMember ? 'own' : 'none';
}

/** Whether the caller manages any of the team's tokens (tokenAccess). */
export async function mayManageTokens(ctx: Ctx, team: teamStore.Team): Promise<boolean> {
  return (await tokenAccess(ctx, team)) !== 'none';
}

async function permissionsOf(ctx: Ctx, team: teamStore.Team): Promise<TeamPermissions> {
  const canUpdate = await mayManage(ctx, team, 'team:update');
  const canTokens = await mayManageTokens(ctx, team);
  return {
    canUpdateMembership: await mayManage(ctx, team, 'team:manage-membership'),
    canDestroy: !team.isOwners && (await mayManage(ctx, team, 'team:delete')),
    canUpdateOrganizationAccess: !team.isOwners && (await mayManage(ctx, team, 'team:manage-organization-access')),
    canUpdateApiToken: canTokens,
    canUpdateVisibility: canUpdate,
    canUpdateName: canUpdate && !team.isOwners,
    canUpdateSsoTeamId: canUpdate,
    canUpdateMemberTokenManagement: canUpdate,
    canViewApiToken: canTokens,
  };
}

async function viewsOf(ctx: Ctx, teams: readonly teamStore.Team[]): Promise<TeamView[]> {
  const members = await teamStore.activeMembers(
    ctx.db,
    teams.map((t) => t.id),
  );
  const views: TeamView[] = [];
  for (const team of teams) {
    views.push({
      team,
      organizationAccess: normalizeOrganizationAccess(team.organizationAccess, team.isOwners),
      permissions: await permissionsOf(ctx, team),
      userIds: members.get(team.id)?.userIds ?? [],
      membershipIds: members.get(team.id)?.membershipIds ?? [],
    });
  }
  return views;
}

/** The secret teams the caller sees when not all of them (the filter lists apply), or undefined when all. */
export async function secretTeamsSeen(ctx: Ctx, organizationId: string): Promise<readonly string[] | undefined> {
  const visibility = await teamVisibility(ctx, organizationId);
  return 'all' in visibility ? undefined : visibility.secretOnesSeen;
}

/**
 * Loads a team the caller sees: any member of the organization sees its visible teams and the secret
 * teams they are in (teams.mdx). Unknown and hidden are the same 404.
 */
export async function findVisible(ctx: Ctx, id: string): Promise<teamStore.Team> {
  const team = await teamStore.findById(ctx.db, id);
  if (!team) throw teamNotFound(id);
  await authorize(ctx, 'team:read', { organizationId: team.organizationId, description: `team ${id}` });
  const secretOnesSeen = await secretTeamsSeen(ctx, team.organizationId);
  if (!teamSeen(team, secretOnesSeen)) throw teamNotFound(id);
  return team;
}

/** Loads a team the caller may perform `action` on; otherwise a 404 ("Team not found, or user unauthorized to perform action"). */
export async function findManageable(ctx: Ctx, id: string, action: Action): Promise<teamStore.Team> {
  const team = await findVisible(ctx, id);
  if (!(await mayManage(ctx, team, action))) throw teamNotFound(id);
  return team;
}

export async function show(ctx: Ctx, id: string): Promise<TeamView> {
  return (await viewsOf(ctx, [await findVisible(ctx, id)]))[0] as TeamView;
}

/** Teams of one organization by id that the caller sees; hidden and unknown ones are left out (for `include=teams`). */
export async function visibleViews(ctx: Ctx, organizationId: string, ids: readonly string[]): Promise<TeamView[]> {
  return viewsOf(ctx, await visibleTeams(ctx, organizationId, ids));
}

/** The teams among `ids` that the caller sees. */
export async function visibleTeams(ctx: Ctx, organizationId: string, ids: readonly string[]): Promise<teamStore.Team[]> {
  const secretOnesSeen = await secretTeamsSeen(ctx, organizationId);
  const teams = await teamStore.findManyById(ctx.db, organizationId, ids);
  return teams.filter((t) => teamSeen(t, secretOnesSeen));
}

/** The teams among `ids` of the organization that the caller may perform `action` on. */
export async function manageableIds(ctx: Ctx, organizationId: string, ids: readonly string[], action: Action): Promise<string[]> {
  const manageable: string[] = [];
  for (const team of await visibleTeams(ctx, organizationId, ids)) if (await mayManage(ctx, team, action)) manageable.push(team.id);
  return manageable;
}

export interface ListOptions {
  search?: string | undefined;
  names?: readonly string[] | undefined;
  page: Page;
}

/** teams.mdx "List teams": visible teams and the secret teams the caller is in, or all of them for owners. */
export async function list(ctx: Ctx, organizationName: string, options: ListOptions): Promise<Paged<TeamView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'team:read');
  const filter = { search: options.search, names: options.names, visibleWithSecret: await secretTeamsSeen(ctx, org.id) };
  const { teams, total } = await teamStore.selectPage(ctx.db, org.id, filter, { limit: options.page.size, offset: pageOffset(options.page) });
  return { items: await viewsOf(ctx, teams), total };
}

/** The wire attributes of a create or update request; undefined keeps the current value (or the default on create). */
export interface TeamInput {
  name?: string | undefined;
  visibility?: teamStore.TeamVisibility | undefined;
  ssoTeamId?: string | null | undefined;
  allowMemberTokenManagement?: boolean | undefined;
  organizationAccess?: Partial<Record<OrganizationAccessFlag, boolean>> | undefined;
}

function validateName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new InvalidError('name can only include letters, numbers, spaces, "-" and "_"', { pointer: `${ATTRIBUTES}/name` });
}

/**
 * The new organization access: `requested` over `current`, with what each set flag implies. A flag
 * the request turns off while keeping one that needs it is a 422 (teams.mdx "Create a Team" note).
 */
export function resolveOrganizationAccess(current: OrganizationAccess, requested: Partial<Record<OrganizationAccessFlag, boolean>>): OrganizationAccess {
  const access = { ...current };
  for (const flag of ORGANIZATION_ACCESS_FLAGS) if (requested[flag] !== undefined) access[flag] = requested[flag] === true;
  // Implications chain (manage-organization-access → manage-teams → manage-membership): repeat until stable.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [flag, implied] of Object.entries(ORGANIZATION_ACCESS_IMPLIES) as [OrganizationAccessFlag, OrganizationAccessFlag[]][]) {
      if (!access[flag]) continue;
      for (const needed of implied) {
        if (access[needed]) continue;
        if (requested[needed] === false) {
          throw new InvalidError(`${needed} cannot be false while ${flag} is true`, { pointer: `${ATTRIBUTES}/organization-access/${needed}` });
        }
        access[needed] = true;
        changed = true;
      }
    }
  }
  return access;
}

function unauthorized(what: string): NotFoundError {
  return new NotFoundError(`not authorized to ${what}`);
}

function duplicateName(name: string): InvalidError {
  return new InvalidError(`name ${name} has already been taken`, { pointer: `${ATTRIBUTES}/name` });
}

/** Checks the actions a change needs beyond the one that let the caller in. */
async function checkChange(ctx: Ctx, organizationId: string, visibility: teamStore.TeamVisibility, input: TeamInput, changesAccess: boolean): Promise<void> {
  const allowed = await allowedActions(ctx, { organizationId });
  if (changesAccess && !allowed.has('team:manage-organization-access')) throw unauthorized('change organization access (manage organization access)');
  // "For example, if a user has permission to include secret teams and manage teams, that user can create secret teams."
  if (visibility === 'secret' && !allowed.has('team:access-secret')) throw unauthorized('manage secret teams (include secret teams)');
  if (input.name !== undefined) validateName(input.name);
}

export async function create(ctx: Ctx, organizationName: string, input: TeamInput): Promise<TeamView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'team:create');
  if (input.name === undefined) throw new InvalidError('name is required', { pointer: `${ATTRIBUTES}/name` });
  const visibility = input.visibility ?? 'secret';
  const requested = input.organizationAccess ?? {};
  await checkChange(
    ctx,
    org.id,
    visibility,
    input,
    Object.values(requested).some((v) => v === true),
  );
  const organizationAccess = resolveOrganizationAccess(normalizeOrganizationAccess({}, false), requested);
  const id = newId('team');
  try {
    await teamStore.insert(ctx.db, {
      id,
      organizationId: org.id,
      now: ctx.now(),
      name: input.name,
      visibility,
      ssoTeamId: input.ssoTeamId ?? null,
      allowMemberTokenManagement: input.allowMemberTokenManagement ?? true,
      organizationAccess,
    });
  } catch (err) {
    if (isUniqueViolation(err, teamStore.NAME_CONSTRAINT)) throw duplicateName(input.name);
    throw err;
  }
  return show(ctx, id);
}

export async function update(ctx: Ctx, id: string, input: TeamInput): Promise<TeamView> {
  const changesAccess = input.organizationAccess !== undefined;
  const changesSettings =
    input.name !== undefined || input.visibility !== undefined || input.ssoTeamId !== undefined || input.allowMemberTokenManagement !== undefined;
  const team = await findManageable(ctx, id, changesAccess && !changesSettings ? 'team:manage-organization-access' : 'team:update');
  if (team.isOwners) {
    // The owners team keeps its name and every permission (permissions.mdx "Organization Owners").
    if (input.name !== undefined && input.name !== team.name) throw new InvalidError('the owners team cannot be renamed', { pointer: `${ATTRIBUTES}/name` });
    if (Object.values(input.organizationAccess ?? {}).some((v) => v === false)) {
      throw new InvalidError('the owners team always has every organization permission', { pointer: `${ATTRIBUTES}/organization-access` });
    }
  }
  const visibility = input.visibility ?? team.visibility;
  await checkChange(ctx, team.organizationId, visibility, input, changesAccess && !team.isOwners);
  const organizationAccess = team.isOwners
    ? team.organizationAccess
    : resolveOrganizationAccess(normalizeOrganizationAccess(team.organizationAccess, false), input.organizationAccess ?? {});
  try {
    await teamStore.update(ctx.db, team.id, {
      name: input.name ?? team.name,
      visibility,
      ssoTeamId: input.ssoTeamId === undefined ? team.ssoTeamId : input.ssoTeamId,
      allowMemberTokenManagement: input.allowMemberTokenManagement ?? team.allowMemberTokenManagement,
      organizationAccess,
    });
  } catch (err) {
    if (isUniqueViolation(err, teamStore.NAME_CONSTRAINT)) throw duplicateName(input.name ?? team.name);
    throw err;
  }
  forgetAccess(ctx);
  return show(ctx, team.id);
}

/** Deletes a team with its seats, tokens and access; the owners team cannot be deleted (409). */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const team = await findManageable(ctx, id, 'team:delete');
  if (team.isOwners) throw new ConflictError('the owners team cannot be deleted');
  if (!(await teamStore.deleteById(ctx.db, team.id))) throw teamNotFound(id);
}
