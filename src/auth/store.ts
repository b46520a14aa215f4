import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { prepared } from '../db/prepared.js';
import { isWorkspaceId, type RunId, type WorkspaceId } from '../ids.js';
import { fromWithOrganization } from '../db/rows.js';

/**
 * Authorization lookups: read directly from other domains' tables, as plain functions. The lookups of
 * one row by its key run on every request a write emptied the auth cache for (src/auth/cache.ts):
 * they are prepared statements (src/db/prepared.ts).
 */

export async function findUserForToken(db: Db, userId: string): Promise<{ id: string; username: string; isSiteAdmin: boolean } | undefined> {
  const row = await prepared(db.selectFrom('users').select(['id', 'username', 'is_site_admin']).where('id', '=', userId)).executeTakeFirst();
  return row && { id: row.id, username: row.username, isSiteAdmin: row.is_site_admin };
}

export async function findUserByUsername(db: Db, username: string): Promise<{ id: string; username: string; isSiteAdmin: boolean } | undefined> {
  const row = await db.selectFrom('users').select(['id', 'username', 'is_site_admin']).where('username', '=', username).executeTakeFirst();
  return row && { id: row.id, username: row.username, isSiteAdmin: row.is_site_admin };
}

/** What authorization reads of a team: its organization, whether it is the owners team, its organization access as stored. */
export interface TeamGrants {
  id: string;
  organizationId: string;
  isOwners: boolean;
  organizationAccess: Record<string, boolean>;
}

function selectTeamGrants(db: Db) {
  return db.selectFrom('teams').select(['id', 'organization_id', 'is_owners', 'organization_access']);
}

function toTeamGrants(row: { id: string; organization_id: string; is_owners: boolean; organization_access: Record<string, boolean> | null }): TeamGrants {
  return { id: row.id, organizationId: row.organization_id, isOwners: row.is_owners, organizationAccess: row.organization_access ?? {} };
}

export async function findTeamForToken(db: Db, teamId: string): Promise<TeamGrants | undefined> {
  const row = await prepared(selectTeamGrants(db).where('id', '=', teamId)).executeTakeFirst();
  return row && toTeamGrants(row);
}

/** The teams of the organization a user has a seat in. */
export async function findTeamsOfMember(db: Db, userId: string, organizationId: string): Promise<TeamGrants[]> {
  const rows = await prepared(
    selectTeamGrants(db)
      .where('organization_id', '=', organizationId)
      .where('id', 'in', db.selectFrom('team_memberships').select('team_id').where('user_id', '=', userId)),
  ).execute();
  return rows.map(toTeamGrants);
}

/**
 * A user's standing in an organization: an active member, and whether in the owners team. An invited
 * (not yet active) membership grants nothing, even with seats in teams.
 */
export async function userStanding(
  db: Db,
  userId: string,
  organizationId: string,
): Promise<{ isOwner: boolean; isMember: boolean; userTokensEnabled: boolean }> {
  // One statement (three before): it runs on most requests after a write.
  const row = await prepared(
    db.selectNoFrom((eb) => [
      eb
        .exists(
          eb
            .selectFrom('team_memberships')
            .innerJoin('teams', 'teams.id', 'team_memberships.team_id')
            .select('teams.id')
            .where('team_memberships.user_id', '=', userId)
            .where('teams.organization_id', '=', organizationId)
            .where('teams.is_owners', '=', true),
        )
        .as('owner'),
      eb
        .exists(
          eb
            .selectFrom('organization_memberships')
            .select('id')
            .where('user_id', '=', userId)
            .where('organization_id', '=', organizationId)
            .where('status', '=', 'active'),
        )
        .as('member'),
      eb
        .selectFrom('organizations')
        .select(sql<boolean | null>`(settings->>'user-tokens-enabled')::boolean`.as('enabled'))
        .where('id', '=', organizationId)
        .as('user_tokens_enabled'),
    ]),
  ).executeTakeFirstOrThrow();
  const isMember = Boolean(row.member);
  return { isOwner: isMember && Boolean(row.owner), isMember, userTokensEnabled: row.user_tokens_enabled !== false };
}

/** What authorization needs to know about a workspace: its organization and project (and the names for links). */
export interface WorkspaceScope {
  id: WorkspaceId;
  name: string;
  organizationId: string;
  organizationName: string;
  projectId: string;
}

function workspaceScopes(db: Db) {
  return fromWithOrganization(db, 'workspaces').select([
    'workspaces.id',
    'workspaces.name',
    'workspaces.organization_id',
    'organizations.name as organization_name',
    'workspaces.project_id',
  ]);
}

function toWorkspaceScope(row: { id: WorkspaceId; name: string; organization_id: string; organization_name: string; project_id: string }): WorkspaceScope {
  return { id: row.id, name: row.name, organizationId: row.organization_id, organizationName: row.organization_name, projectId: row.project_id };
}

export async function findWorkspaceScope(db: Db, workspaceId: WorkspaceId): Promise<WorkspaceScope | undefined> {
  const row = await prepared(workspaceScopes(db).where('workspaces.id', '=', workspaceId)).executeTakeFirst();
  return row && toWorkspaceScope(row);
}

/** The scope of a workspace by an id nothing has checked yet (a request's, a column not typed): one that cannot be a workspace id is no workspace. */
export async function findWorkspaceScopeUnchecked(db: Db, workspaceId: string): Promise<WorkspaceScope | undefined> {
  return isWorkspaceId(workspaceId) ? findWorkspaceScope(db, workspaceId) : undefined;
}

/** The scopes of these workspaces, in one query; unknown ids are left out. */
export async function findWorkspaceScopes(db: Db, workspaceIds: readonly WorkspaceId[]): Promise<WorkspaceScope[]> {
  if (workspaceIds.length === 0) return [];
  return (await workspaceScopes(db).where('workspaces.id', 'in', workspaceIds).execute()).map(toWorkspaceScope);
}

/** A workspace's scope by organization and workspace name. */
export async function findWorkspaceScopeByName(db: Db, organizationName: string, workspaceName: string): Promise<WorkspaceScope | undefined> {
  const row = await workspaceScopes(db).where('organizations.name', '=', organizationName).where('workspaces.name', '=', workspaceName).executeTakeFirst();
  return row && toWorkspaceScope(row);
}

/** The organizations a user belongs to (as a member or an owner). */
export async function userOrganizationIds(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('organization_memberships')
    .select('organization_id')
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .union(
      db
        .selectFrom('team_memberships')
        .innerJoin('teams', 'teams.id', 'team_memberships.team_id')
        .select('teams.organization_id')
        .where('team_memberships.user_id', '=', userId)
        .where('teams.is_owners', '=', true),
    )
    .execute();
  return rows.map((r) => r.organization_id);
}

/** What authorization needs to know about a project: its organization. */
export async function findProjectScope(db: Db, projectId: string): Promise<{ id: string; organizationId: string } | undefined> {
  const row = await prepared(db.selectFrom('projects').select(['id', 'organization_id']).where('id', '=', projectId)).executeTakeFirst();
  return row && { id: row.id, organizationId: row.organization_id };
}

/** The run a `run` token belongs to: its workspace and organization. */
export async function findRunForToken(db: Db, runId: RunId): Promise<{ id: RunId; workspaceId: WorkspaceId; organizationId: string } | undefined> {
  const row = await prepared(db.selectFrom('runs').select(['id', 'workspace_id', 'organization_id']).where('id', '=', runId)).executeTakeFirst();
  return row && { id: row.id, workspaceId: row.workspace_id, organizationId: row.organization_id };
}

export async function findTestRunForToken(db: Db, testRunId: string): Promise<{ id: string; organizationId: string } | undefined> {
  const row = await db
    .selectFrom('test_runs')
    .innerJoin('registry_modules', 'registry_modules.id', 'test_runs.registry_module_id')
    .select(['test_runs.id', 'registry_modules.organization_id'])
    .where('test_runs.id', '=', testRunId)
    .executeTakeFirst();
  return row && { id: row.id, organizationId: row.organization_id };
}

/**
 * Whether `consumerId` may read `workspaceId`'s state: the workspace shares it with its whole
 * organization (`global-remote-state`) or lists the consumer (workspaces.mdx "Remote State Consumers").
 */
export async function mayConsumeState(db: Db, workspaceId: WorkspaceId, consumerId: WorkspaceId): Promise<boolean> {
  const row = await db
    .selectFrom('workspaces as producer')
    .innerJoin('workspaces as consumer', 'consumer.organization_id', 'producer.organization_id')
    .select('producer.id')
    .where('producer.id', '=', workspaceId)
    .where('consumer.id', '=', consumerId)
    .where((eb) =>
      eb.or([
        eb('producer.global_remote_state', '=', true),
        eb.exists(
          eb
            .selectFrom('remote_state_consumers')
            .select('remote_state_consumers.consumer_id')
            .whereRef('remote_state_consumers.workspace_id', '=', 'producer.id')
            .whereRef('remote_state_consumers.consumer_id', '=', 'consumer.id'),
        ),
      ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}
