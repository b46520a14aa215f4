import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { DeliveryResponseRecord } from '../db/schema.js';
import { camelized, type RowOf } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

export type { DeliveryResponseRecord } from '../db/schema.js';

export const DESTINATION_TYPES = ['generic', 'slack', 'microsoft-teams', 'email'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** The delivery responses kept per configuration, newest first. */
const KEPT_RESPONSES = 10;

/** A workspace's or a team's configuration: exactly one of the two. */
export type Subscribable = { kind: 'workspace'; id: string } | { kind: 'team'; id: string };

export interface NotificationConfiguration {
  id: string;
  organizationId: string;
  subscribable: Subscribable;
  name: string;
  destinationType: DestinationType;
  url: string | null;
  /** Whether a signing token is set (the token itself is write-only). */
  hasToken: boolean;
  enabled: boolean;
  triggers: string[];
  emailAddresses: string[];
  emailAllMembers: boolean;
  /** The users emailed, by id. */
  emailUserIds: string[];
  deliveryResponses: DeliveryResponseRecord[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ConfigurationFields {
  name: string;
  destinationType: DestinationType;
  url: string | null;
  sealedToken: string | null;
  enabled: boolean;
  triggers: string[];
  emailAddresses: string[];
  emailAllMembers: boolean;
}

function selectConfigurations(db: Db) {
  return db
    .selectFrom('notification_configurations')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('notification_configuration_users')
        .select(sql<string[]>`coalesce(array_agg(user_id ORDER BY user_id), '{}')`.as('ids'))
        .whereRef('notification_configuration_id', '=', 'notification_configurations.id')
        .as('email_user_ids'),
    );
}

function toConfiguration({ workspace_id, team_id, sealed_token, ...row }: RowOf<typeof selectConfigurations>): NotificationConfiguration {
  return {
    ...camelized(row),
    subscribable: workspace_id !== null ? { kind: 'workspace', id: workspace_id } : { kind: 'team', id: team_id as string },
    destinationType: row.destination_type as DestinationType,
    hasToken: sealed_token !== null,
    emailUserIds: row.email_user_ids ?? [],
  };
}

function columns(fields: Partial<ConfigurationFields>) {
  return {
    ...(fields.name !== undefined ? { name: fields.name } : {}),
    ...(fields.destinationType !== undefined ? { destination_type: fields.destinationType } : {}),
    ...(fields.url !== undefined ? { url: fields.url } : {}),
    ...(fields.sealedToken !== undefined ? { sealed_token: fields.sealedToken } : {}),
    ...(fields.enabled !== undefined ? { enabled: fields.enabled } : {}),
    ...(fields.triggers !== undefined ? { triggers: fields.triggers } : {}),
    ...(fields.emailAddresses !== undefined ? { email_addresses: fields.emailAddresses } : {}),
    ...(fields.emailAllMembers !== undefined ? { email_all_members: fields.emailAllMembers } : {}),
  };
}

async function replaceUsers(db: Db, id: string, userIds: readonly string[]): Promise<void> {
  await db.deleteFrom('notification_configuration_users').where('notification_configuration_id', '=', id).execute();
  if (userIds.length > 0) {
    await db
      .insertInto('notification_configuration_users')
      .values(userIds.map((userId) => ({ notification_configuration_id: id, user_id: userId })))
      .execute();
  }
}

/** Inserts a configuration with its email users (in the caller's transaction). */
export async function insert(
  db: Db,
  configuration: { id: string; organizationId: string; subscribable: Subscribable; now: Date; emailUserIds: readonly string[] } & ConfigurationFields,
): Promise<void> {
  const { subscribable } = configuration;
  await db
    .insertInto('notification_configurations')
    .values({
      id: configuration.id,
      organization_id: configuration.organizationId,
      workspace_id: subscribable.kind === 'workspace' ? subscribable.id : null,
      team_id: subscribable.kind === 'team' ? subscribable.id : null,
      name: configuration.name,
      destination_type: configuration.destinationType,
      ...columns(configuration),
      delivery_responses: '[]',
      created_at: configuration.now,
      updated_at: configuration.now,
    })
    .execute();
  await replaceUsers(db, configuration.id, configuration.emailUserIds);
}

/** Changes the fields given, and the email users when given (in the caller's transaction). */
export async function update(db: Db, id: string, fields: Partial<ConfigurationFields>, emailUserIds: readonly string[] | undefined, now: Date): Promise<void> {
  await db
    .updateTable('notification_configurations')
    .set({ ...columns(fields), updated_at: now })
    .where('id', '=', id)
    .execute();
  if (emailUserIds !== undefined) await replaceUsers(db, id, emailUserIds);
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('notification_configurations').where('id', '=', id).execute();
}

export async function findById(db: Db, id: string): Promise<NotificationConfiguration | undefined> {
  const row = await selectConfigurations(db).where('id', '=', id).executeTakeFirst();
  return row && toConfiguration(row);
}

export async function pageOf(db: Db, subscribable: Subscribable, window: PageWindow): Promise<Paged<NotificationConfiguration>> {
  const query = selectConfigurations(db)
    .where(subscribable.kind === 'workspace' ? 'workspace_id' : 'team_id', '=', subscribable.id)
    .orderBy('created_at')
    .orderBy('id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toConfiguration), total };
}

export async function countOf(db: Db, subscribable: Subscribable): Promise<number> {
  const row = await db
    .selectFrom('notification_configurations')
    .select(sql<number>`count(*)`.as('n'))
    .where(subscribable.kind === 'workspace' ? 'workspace_id' : 'team_id', '=', subscribable.id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The signing token, sealed; null when none is set, undefined when the configuration is gone. */
export async function findSealedToken(db: Db, id: string): Promise<string | null | undefined> {
  const row = await db.selectFrom('notification_configurations').select('sealed_token').where('id', '=', id).executeTakeFirst();
  return row?.sealed_token;
}

/** The enabled configurations of the workspace that subscribe to `trigger`. */
export async function subscribedIds(db: Db, workspaceId: string, trigger: string): Promise<string[]> {
  const rows = await db
    .selectFrom('notification_configurations')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('enabled', '=', true)
    .where(sql<boolean>`${trigger} = ANY(triggers)`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

/** Adds a delivery's response in front of the kept ones, in one statement (deliveries may finish together). */
export async function recordDeliveryResponse(db: Db, id: string, response: DeliveryResponseRecord): Promise<void> {
  await sql`
    UPDATE notification_configurations SET delivery_responses = (
      SELECT coalesce(jsonb_agg(entry ORDER BY position), '[]'::jsonb)
      FROM jsonb_array_elements(${JSON.stringify([response])}::jsonb || delivery_responses) WITH ORDINALITY AS kept(entry, position)
      WHERE position <= ${KEPT_RESPONSES}
    )
    WHERE id = ${id}`.execute(db);
}

/** Of `userIds`, those that are members (invited or active) of the organization. */
export async function organizationUserIds(db: Db, organizationId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('organization_memberships')
    .select('user_id')
    .where('organization_id', '=', organizationId)
    .where('user_id', 'in', userIds)
    .execute();
  return rows.map((row) => row.user_id);
}

/** The email addresses of these users. */
export async function emailsOfUsers(db: Db, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('users').select('email').where('id', 'in', userIds).orderBy('email').execute();
  return rows.map((row) => row.email);
}

/** The email addresses of a team's members. */
export async function emailsOfTeam(db: Db, teamId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('team_memberships')
    .innerJoin('users', 'users.id', 'team_memberships.user_id')
    .select('users.email')
    .where('team_memberships.team_id', '=', teamId)
    .orderBy('users.email')
    .execute();
  return rows.map((row) => row.email);
}
