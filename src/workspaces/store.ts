import { sql } from 'kysely';
import type { RunId, WorkspaceId } from '../ids.js';
import type { Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { StoredRetentionPolicy, WorkspaceRow, WorkspaceTable } from '../db/schema.js';
import type { ExecutionMode } from './rules.js';
import { prepared } from '../db/prepared.js';
import { camelized, fromWithOrganization } from '../db/rows.js';

/** Who holds a workspace's lock: the relationship type and id of `locked-by`. */
export interface LockHolder {
  kind: 'users' | 'teams' | 'runs';
  id: string;
}

/** The settings a client may write (create and update), camelCase; the store maps them to columns. */
export interface WorkspaceSettings {
  name: string;
  projectId: string;
  description: string;
  /** null: follow the organization's default-execution-mode. */
  executionMode: ExecutionMode | null;
  /** The workspace's own agent pool; null: none, or the organization's default pool (workspaces/execution.ts). */
  agentPoolId: string | null;
  allowDestroyPlan: boolean;
  assessmentsEnabled: boolean;
  autoApply: boolean;
  autoApplyRunTrigger: boolean;
  autoDestroyAt: Date | null;
  autoDestroyActivityDuration: string | null;
  fileTriggersEnabled: boolean;
  globalRemoteState: boolean;
  queueAllRuns: boolean;
  sourceName: string | null;
  sourceUrl: string | null;
  speculativeEnabled: boolean;
  structuredRunOutputEnabled: boolean;
  terraformVersion: string;
  triggerPatterns: string[];
  triggerPrefixes: string[];
  workingDirectory: string;
}

export interface Workspace extends WorkspaceSettings {
  id: WorkspaceId;
  /** Its flat tags' names, sorted. */
  tagNames: string[];
  organizationId: string;
  organizationName: string;
  /** The organization's stored settings (by wire name), for its defaults. */
  organizationSettings: Record<string, unknown>;
  /** The organization's default agent pool, for workspaces that follow its `agent` execution mode. */
  organizationDefaultAgentPoolId: string | null;
  lockedBy: LockHolder | null;
  lockReason: string | null;
  currentRunId: RunId | null;
  latestRunId: RunId | null;
  currentStateVersionId: string | null;
  /** The latest configuration version that is neither speculative nor provisional, from its creation on. */
  currentConfigurationVersionId: string | null;
  /** The SSH key its runs clone git modules with (ssh-keys/service.ts sets it). */
  sshKeyId: string | null;
  /** Its explicit data retention policy, overriding its organization's. */
  dataRetentionPolicy: StoredRetentionPolicy | null;
  resourceCount: number;
  latestChangeAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A workspace row with its organization's name and settings. */
export type JoinedRow = WorkspaceRow & {
  tag_names: string[];
  organization_name: string;
  organization_settings: Record<string, unknown>;
  organization_default_agent_pool_id: string | null;
};

export function toWorkspace(row: JoinedRow): Workspace {
  // One copy of the row, completed in place (the raw lock columns stay on it, unread): a list maps a
  // hundred rows of forty columns, and each further copy showed in its latency.
  return Object.assign(camelized(row), {
    executionMode: row.execution_mode as ExecutionMode | null,
    lockedBy: row.locked_by_kind && row.locked_by_id ? { kind: row.locked_by_kind as LockHolder['kind'], id: row.locked_by_id } : null,
  });
}

function toColumns(settings: Partial<WorkspaceSettings>): Updateable<WorkspaceTable> {
  const columns: Updateable<WorkspaceTable> = {
    name: settings.name,
    project_id: settings.projectId,
    description: settings.description,
    execution_mode: settings.executionMode,
    agent_pool_id: settings.agentPoolId,
    allow_destroy_plan: settings.allowDestroyPlan,
    assessments_enabled: settings.assessmentsEnabled,
    auto_apply: settings.autoApply,
    auto_apply_run_trigger: settings.autoApplyRunTrigger,
    auto_destroy_at: settings.autoDestroyAt,
    auto_destroy_activity_duration: settings.autoDestroyActivityDuration,
    file_triggers_enabled: settings.fileTriggersEnabled,
    global_remote_state: settings.globalRemoteState,
    queue_all_runs: settings.queueAllRuns,
    source_name: settings.sourceName,
    source_url: settings.sourceUrl,
    speculative_enabled: settings.speculativeEnabled,
    structured_run_output_enabled: settings.structuredRunOutputEnabled,
    terraform_version: settings.terraformVersion,
    trigger_patterns: settings.triggerPatterns && JSON.stringify(settings.triggerPatterns),
    trigger_prefixes: settings.triggerPrefixes && JSON.stringify(settings.triggerPrefixes),
    working_directory: settings.workingDirectory,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
}

/**
 * A workspace's flat tag names, sorted as bytes, as a column of its row: a read of a workspace is one
 * query with them (each query is a round trip the read path pays, docs/design.md "Read path performance").
 */
export const TAG_NAMES = sql<
  string[]
>`coalesce((select array_agg(tags.name order by tags.name collate "C") from workspace_tags join tags on tags.id = workspace_tags.tag_id where workspace_tags.workspace_id = workspaces.id), '{}')`;

function selectWorkspaces(db: Db) {
  return fromWithOrganization(db, 'workspaces')
    .selectAll('workspaces')
    .select([
      'organizations.name as organization_name',
      'organizations.settings as organization_settings',
      'organizations.default_agent_pool_id as organization_default_agent_pool_id',
      TAG_NAMES.as('tag_names'),
    ]);
}

export interface NewWorkspace {
  id: WorkspaceId;
  organizationId: string;
  now: Date;
  settings: Partial<WorkspaceSettings> & Pick<WorkspaceSettings, 'name' | 'projectId' | 'terraformVersion'>;
}

export async function insert(db: Db, ws: NewWorkspace): Promise<void> {
  await db
    .insertInto('workspaces')
    .values({
      ...toColumns(ws.settings),
      id: ws.id,
      organization_id: ws.organizationId,
      name: ws.settings.name,
      project_id: ws.settings.projectId,
      terraform_version: ws.settings.terraformVersion,
      latest_change_at: ws.now,
      created_at: ws.now,
      updated_at: ws.now,
    })
    .execute();
}

export async function findById(db: Db, id: WorkspaceId): Promise<Workspace | undefined> {
  const row = await prepared(selectWorkspaces(db).where('workspaces.id', '=', id)).executeTakeFirst();
  return row && toWorkspace(row);
}

export async function findByName(db: Db, organizationName: string, name: string): Promise<Workspace | undefined> {
  // The organization's id as a subquery, not a filter on the join: the prepared statement's generic
  // plan then reads the unique (organization_id, name) index, where a filter on the joined name had it
  // probe the name's trigram index (0.1 against 0.9 ms at 100,000 workspaces).
  const organizationId = db.selectFrom('organizations as named').select('named.id').where('named.name', '=', organizationName);
  const row = await prepared(
    selectWorkspaces(db).where('workspaces.organization_id', '=', organizationId).where('workspaces.name', '=', name),
  ).executeTakeFirst();
  return row && toWorkspace(row);
}

/** Workspaces by id, in the order of `ids` (unknown ids are left out); only the organization's when one is given. */
export async function findManyById(db: Db, organizationId: string | undefined, ids: readonly WorkspaceId[]): Promise<Workspace[]> {
  if (ids.length === 0) return [];
  let query = selectWorkspaces(db).where('workspaces.id', 'in', ids);
  if (organizationId !== undefined) query = query.where('workspaces.organization_id', '=', organizationId);
  const rows = await query.execute();
  const byId = new Map(rows.map((row) => [row.id, toWorkspace(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function update(db: Db, id: WorkspaceId, settings: Partial<WorkspaceSettings>, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('workspaces')
    .set({ ...toColumns(settings), updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Locks the rows of a workspace, or of an organization and all its workspaces, until the transaction
 * ends: FOR UPDATE conflicts with the lock an insert referencing a row takes, so no workspace, run or
 * version is added to them meanwhile. Returns the workspaces' ids.
 */
export async function lockForDelete(db: Db, selector: { id: WorkspaceId } | { organizationId: string }): Promise<WorkspaceId[]> {
  if ('id' in selector) {
    const row = await db.selectFrom('workspaces').select('id').where('id', '=', selector.id).forUpdate().executeTakeFirst();
    return row ? [row.id] : [];
  }
  await db.selectFrom('organizations').select('id').where('id', '=', selector.organizationId).forUpdate().execute();
  const rows = await db.selectFrom('workspaces').select('id').where('organization_id', '=', selector.organizationId).forUpdate().execute();
  return rows.map((row) => row.id);
}

/** Deletes the workspace; with `onlyIfSafe`, only while it is unlocked and manages no resources (checked in the same statement). */
export async function deleteById(db: Db, id: WorkspaceId, options: { onlyIfSafe?: boolean } = {}): Promise<boolean> {
  let query = db.deleteFrom('workspaces').where('id', '=', id);
  if (options.onlyIfSafe) query = query.where('locked_by_kind', 'is', null).where('resource_count', '=', 0);
  const result = await query.executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Takes the lock unless someone holds it; false when it is held. */
export async function lock(db: Db, id: WorkspaceId, holder: LockHolder, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('workspaces')
    .set({ locked_by_kind: holder.kind, locked_by_id: holder.id, lock_reason: reason })
    .where('id', '=', id)
    .where('locked_by_kind', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Releases the lock if `holder` holds it (anyone's when `holder` is undefined); false when it did not. */
export async function unlock(db: Db, id: WorkspaceId, holder?: LockHolder): Promise<boolean> {
  let query = db.updateTable('workspaces').set({ locked_by_kind: null, locked_by_id: null, lock_reason: null }).where('id', '=', id);
  query = holder ? query.where('locked_by_kind', '=', holder.kind).where('locked_by_id', '=', holder.id) : query.where('locked_by_kind', 'is not', null);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The organization's default project (every organization has one, projects.mdx). */
export async function findDefaultProjectId(db: Db, organizationId: string): Promise<string | undefined> {
  const row = await db.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('is_default', '=', true).executeTakeFirst();
  return row?.id;
}

export async function projectExists(db: Db, organizationId: string, projectId: string): Promise<boolean> {
  const row = await db.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}
