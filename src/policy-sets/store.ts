import { type Selectable, sql } from 'kysely';
import type { WorkspaceId } from '../ids.js';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { DB, StoredPolicy } from '../db/schema.js';
import * as policyStore from '../policies/store.js';
import { camelized, lookupsById, type RowOf, selectWithOrganizationName } from '../db/rows.js';

export type { StoredPolicy } from '../db/schema.js';

/** The case-insensitive unique index on a set's name in its organization (migration 0041). */
export const NAME_CONSTRAINT = 'policy_sets_name_key';

/** What a set applies to (workspaces, projects, excluded workspaces) and its individual policies. */
export const TARGET_KINDS = ['workspace', 'project', 'exclusion', 'policy'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const VERSION_STATUSES = ['pending', 'ready', 'errored'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

export interface PolicySet {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  description: string | null;
  kind: 'opa';
  global: boolean;
  overridable: boolean;
  agentEnabled: boolean;
  policyToolVersion: string;
  currentVersionId: string | null;
  newestVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicySetFields {
  name: string;
  description: string | null;
  global: boolean;
  overridable: boolean;
  agentEnabled: boolean;
  policyToolVersion: string;
}

export interface PolicySetVersion {
  id: string;
  policySetId: string;
  status: VersionStatus;
  error: string | null;
  policies: StoredPolicy[];
  statusTimestamps: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface Targets {
  workspace: string[];
  project: string[];
  exclusion: string[];
  policy: string[];
}

const HAS_POLICIES = sql<boolean>`exists (select 1 from policy_set_targets p where p.policy_set_id = policy_sets.id and p.kind = 'policy')`;

function selectSets(db: Db) {
  return selectWithOrganizationName(db, 'policy_sets');
}

function toPolicySet(row: RowOf<typeof selectSets>): PolicySet {
  return { ...camelized(row), kind: 'opa' };
}

function columns(fields: Partial<PolicySetFields>) {
  return {
    ...(fields.name !== undefined ? { name: fields.name } : {}),
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    ...(fields.global !== undefined ? { global: fields.global } : {}),
    ...(fields.overridable !== undefined ? { overridable: fields.overridable } : {}),
    ...(fields.agentEnabled !== undefined ? { agent_enabled: fields.agentEnabled } : {}),
    ...(fields.policyToolVersion !== undefined ? { policy_tool_version: fields.policyToolVersion } : {}),
  };
}

export async function insert(db: Db, set: { id: string; organizationId: string; name: string; now: Date } & Partial<PolicySetFields>): Promise<void> {
  await db
    .insertInto('policy_sets')
    .values({ ...columns(set), id: set.id, organization_id: set.organizationId, name: set.name, kind: 'opa', created_at: set.now, updated_at: set.now })
    .execute();
}

export async function update(db: Db, id: string, fields: Partial<PolicySetFields>, now: Date): Promise<void> {
  await db
    .updateTable('policy_sets')
    .set({ ...columns(fields), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('policy_sets').where('id', '=', id).execute();
}

export const { findById, findManyById } = lookupsById(selectSets, 'policy_sets.id', toPolicySet);

export interface ListFilter {
  /** `search[name]`: the name contains it, case-insensitively. */
  name?: string | undefined;
  /** `filter[versioned]`: true lists the sets without individual policies, false those with. */
  versioned?: boolean | undefined;
}

export async function pageInOrganization(
  db: Db,
  organizationId: string,
  filter: ListFilter,
  window: PageWindow,
): Promise<{ sets: PolicySet[]; total: number }> {
  let query = selectSets(db).where('policy_sets.organization_id', '=', organizationId);
  if (filter.name) query = query.where(sql<boolean>`strpos(lower(policy_sets.name), lower(${filter.name})) > 0`);
  if (filter.versioned !== undefined) query = query.where(sql<boolean>`${HAS_POLICIES} = ${!filter.versioned}`);
  const { rows, total } = await pageAndTotal(query.orderBy('policy_sets.name').orderBy('policy_sets.id'), window);
  return { sets: rows.map(toPolicySet), total };
}

/** Each set's targets by kind, oldest first, for a page of sets in one query. */
export async function targetsOf(db: Db, setIds: readonly string[]): Promise<Map<string, Targets>> {
  const bySet = new Map<string, Targets>(setIds.map((id) => [id, { workspace: [], project: [], exclusion: [], policy: [] }]));
  if (setIds.length === 0) return bySet;
  const rows = await db.selectFrom('policy_set_targets').selectAll().where('policy_set_id', 'in', setIds).orderBy('target_id').execute();
  for (const row of rows) bySet.get(row.policy_set_id)?.[row.kind as TargetKind].push(row.target_id);
  return bySet;
}

export async function addTargets(db: Db, setId: string, kind: TargetKind, targetIds: readonly string[]): Promise<void> {
  if (targetIds.length === 0) return;
  await db
    .insertInto('policy_set_targets')
    .values(targetIds.map((targetId) => ({ policy_set_id: setId, kind, target_id: targetId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function removeTargets(db: Db, setId: string, kind: TargetKind, targetIds?: readonly string[]): Promise<void> {
  let query = db.deleteFrom('policy_set_targets').where('policy_set_id', '=', setId).where('kind', '=', kind);
  if (targetIds) {
    if (targetIds.length === 0) return;
    query = query.where('target_id', 'in', targetIds);
  }
  await query.execute();
}

/**
 * The sets that apply to a workspace, by name: global ones and those attached to it or its project,
 * less those that exclude it, each with the policies and Rego modules of its current (ready) version
 * or of its uploaded individual policies; a set with neither is left out.
 */
export async function applicableTo(db: Db, workspaceId: WorkspaceId): Promise<{ set: PolicySet; policies: StoredPolicy[]; modules: Record<string, string> }[]> {
  const attached = (kind: TargetKind, target: 'workspaces.id' | 'workspaces.project_id') =>
    sql<boolean>`exists (select 1 from policy_set_targets t where t.policy_set_id = policy_sets.id and t.kind = ${kind} and t.target_id = ${sql.ref(target)})`;
  const rows = await selectSets(db)
    .leftJoin('policy_set_versions', 'policy_set_versions.id', 'policy_sets.current_version_id')
    .innerJoin('workspaces', 'workspaces.organization_id', 'policy_sets.organization_id')
    .select(['policy_set_versions.policies', 'policy_set_versions.modules'])
    .where('workspaces.id', '=', workspaceId)
    .where((eb) => eb.or([eb('policy_sets.global', '=', true), attached('workspace', 'workspaces.id'), attached('project', 'workspaces.project_id')]))
    .where(sql<boolean>`not ${attached('exclusion', 'workspaces.id')}`)
    .orderBy('policy_sets.name')
    .execute();
  const members = await policyStore.membersOfSets(
    db,
    rows.filter((r) => r.policies === null).map((r) => r.id),
  );
  return rows.flatMap((row) => {
    if (row.policies !== null) return [{ set: toPolicySet(row), policies: row.policies, modules: row.modules ?? {} }];
    const own = members.filter((m) => m.policySetId === row.id);
    if (own.length === 0) return [];
    return [
      {
        set: toPolicySet(row),
        policies: own.map((m) => ({
          name: m.name,
          description: m.description,
          query: m.query,
          enforcementLevel: m.enforcementLevel as StoredPolicy['enforcementLevel'],
        })),
        modules: Object.fromEntries(own.map((m) => [`${m.name}.rego`, m.body])),
      },
    ];
  });
}

/** Whether any set with a current version applies to the workspace: its runs then get a post-plan stage with a policy evaluation. */
export async function anyApplicable(db: Db, workspaceId: WorkspaceId): Promise<boolean> {
  return (await applicableTo(db, workspaceId)).length > 0;
}

function toVersion(row: Pick<Selectable<DB['policy_set_versions']>, (typeof VERSION_COLUMNS)[number]>): PolicySetVersion {
  return { ...camelized(row), status: row.status as VersionStatus, policies: row.policies ?? [] };
}

const VERSION_COLUMNS = ['id', 'policy_set_id', 'status', 'error', 'policies', 'status_timestamps', 'created_at', 'updated_at'] as const;

export async function insertVersion(db: Db, version: { id: string; policySetId: string; now: Date }): Promise<void> {
  await db
    .insertInto('policy_set_versions')
    .values({
      id: version.id,
      policy_set_id: version.policySetId,
      status: 'pending',
      status_timestamps: JSON.stringify({ 'pending-at': version.now.toISOString() }),
      created_at: version.now,
      updated_at: version.now,
    })
    .execute();
  await db.updateTable('policy_sets').set({ newest_version_id: version.id, updated_at: version.now }).where('id', '=', version.policySetId).execute();
}

export async function findVersion(db: Db, id: string): Promise<PolicySetVersion | undefined> {
  const row = await db.selectFrom('policy_set_versions').select(VERSION_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toVersion(row);
}

export async function findVersions(db: Db, ids: readonly string[]): Promise<PolicySetVersion[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('policy_set_versions').select(VERSION_COLUMNS).where('id', 'in', ids).execute()).map(toVersion);
}

/**
 * Ends a pending version: ready with its policies and modules (and it becomes the set's current
 * version), or errored with the reason. Returns false when it was no longer pending.
 */
export async function finishVersion(
  db: Db,
  version: PolicySetVersion,
  outcome: { status: 'ready'; policies: StoredPolicy[]; modules: Record<string, string> } | { status: 'errored'; error: string },
  now: Date,
): Promise<boolean> {
  const timestamps = { ...version.statusTimestamps, [`${outcome.status}-at`]: now.toISOString() };
  const updated = await db
    .updateTable('policy_set_versions')
    .set({
      status: outcome.status,
      status_timestamps: JSON.stringify(timestamps),
      updated_at: now,
      ...(outcome.status === 'ready' ? { policies: JSON.stringify(outcome.policies), modules: JSON.stringify(outcome.modules) } : { error: outcome.error }),
    })
    .where('id', '=', version.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return false;
  if (outcome.status === 'ready') {
    await db.updateTable('policy_sets').set({ current_version_id: version.id, updated_at: now }).where('id', '=', version.policySetId).execute();
  }
  return true;
}
