import type { Db } from '../db/database.js';

/** Authorization lookups: read directly from other domains' tables, as plain functions. */

export async function findUserForToken(db: Db, userId: string): Promise<{ id: string; username: string; isSiteAdmin: boolean } | undefined> {
  const row = await db.selectFrom('users').select(['id', 'username', 'is_site_admin']).where('id', '=', userId).executeTakeFirst();
  return row && { id: row.id, username: row.username, isSiteAdmin: row.is_site_admin };
}

export async function findUserByUsername(db: Db, username: string): Promise<{ id: string; username: string; isSiteAdmin: boolean } | undefined> {
  const row = await db.selectFrom('users').select(['id', 'username', 'is_site_admin']).where('username', '=', username).executeTakeFirst();
  return row && { id: row.id, username: row.username, isSiteAdmin: row.is_site_admin };
}

export async function findTeamForToken(db: Db, teamId: string): Promise<{ id: string; organizationId: string; isOwners: boolean } | undefined> {
  const row = await db.selectFrom('teams').select(['id', 'organization_id', 'is_owners']).where('id', '=', teamId).executeTakeFirst();
  return row && { id: row.id, organizationId: row.organization_id, isOwners: row.is_owners };
}

/** A user's standing in an organization: whether they are in the owners team, and whether they are a member at all. */
export async function userStanding(db: Db, userId: string, organizationId: string): Promise<{ isOwner: boolean; isMember: boolean }> {
  const [owner, membership] = await Promise.all([
    db
      .selectFrom('team_memberships')
      .innerJoin('teams', 'teams.id', 'team_memberships.team_id')
      .select('teams.id')
      .where('team_memberships.user_id', '=', userId)
      .where('teams.organization_id', '=', organizationId)
      .where('teams.is_owners', '=', true)
      .executeTakeFirst(),
    db
      .selectFrom('organization_memberships')
      .select('id')
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .where('status', '=', 'active')
      .executeTakeFirst(),
  ]);
  return { isOwner: owner !== undefined, isMember: owner !== undefined || membership !== undefined };
}

/** What authorization needs to know about a workspace: its organization and project. */
export async function findWorkspaceScope(db: Db, workspaceId: string): Promise<{ id: string; name: string; organizationId: string; projectId: string } | undefined> {
  const row = await db.selectFrom('workspaces').select(['id', 'name', 'organization_id', 'project_id']).where('id', '=', workspaceId).executeTakeFirst();
  return row && { id: row.id, name: row.name, organizationId: row.organization_id, projectId: row.project_id };
}
