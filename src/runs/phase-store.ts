import type { Db } from '../db/database.js';
import type { RunId, WorkspaceId } from '../ids.js';
import { artifactKeys } from './plan-output-store.js';
import type { PhaseStatus } from './state.js';
import { prepared } from '../db/prepared.js';

/** Plans and applies: a run's two phases, one row each, created with the run. */
export type PhaseKind = 'plans' | 'applies';

export interface ResourceCounts {
  additions: number;
  changes: number;
  destructions: number;
  imports: number;
}

export interface Phase {
  kind: PhaseKind;
  id: string;
  runId: RunId;
  status: PhaseStatus;
  /** `<status>-at` → ISO time (plans.mdx "status-timestamps": queued-at, started-at, finished-at, …). */
  statusTimestamps: Record<string, string>;
  counts: ResourceCounts;
  logBlobKey: string | null;
}

export interface Plan extends Phase {
  hasChanges: boolean;
  generatedConfiguration: boolean;
  jsonBlobKey: string | null;
  redactedJsonBlobKey: string | null;
  planFileBlobKey: string | null;
  /** `terraform providers schema -json`, for `json-schema`. */
  providerSchemasBlobKey: string | null;
}

export interface PhaseRow {
  id: string;
  run_id: RunId;
  status: string;
  status_timestamps: Record<string, string>;
  resource_additions: number;
  resource_changes: number;
  resource_destructions: number;
  resource_imports: number;
  log_blob_key: string | null;
}

export function toPhase(kind: PhaseKind, row: PhaseRow): Phase {
  return {
    kind,
    id: row.id,
    runId: row.run_id,
    status: row.status as PhaseStatus,
    statusTimestamps: row.status_timestamps,
    counts: { additions: row.resource_additions, changes: row.resource_changes, destructions: row.resource_destructions, imports: row.resource_imports },
    logBlobKey: row.log_blob_key,
  };
}

/** Creates both phases of a new run, `pending`. */
export async function insertBoth(db: Db, runId: RunId, ids: { planId: string; applyId: string }, statusTimestamps: Record<string, string>): Promise<void> {
  const timestamps = JSON.stringify(statusTimestamps);
  await db.insertInto('plans').values({ id: ids.planId, run_id: runId, status: 'pending', status_timestamps: timestamps }).execute();
  await db.insertInto('applies').values({ id: ids.applyId, run_id: runId, status: 'pending', status_timestamps: timestamps }).execute();
}

/** An apply; its errored state is what terraform failed to upload (applies.mdx "Recover a failed state upload"). */
export interface Apply extends Phase {
  erroredStateBlobKey: string | null;
}

export type PlanRow = PhaseRow & {
  has_changes: boolean;
  generated_configuration: boolean;
  json_blob_key: string | null;
  redacted_json_blob_key: string | null;
  plan_file_blob_key: string | null;
  provider_schemas_blob_key: string | null;
};

export function toPlan(row: PlanRow): Plan {
  return {
    ...toPhase('plans', row),
    hasChanges: row.has_changes,
    generatedConfiguration: row.generated_configuration,
    jsonBlobKey: row.json_blob_key,
    redactedJsonBlobKey: row.redacted_json_blob_key,
    planFileBlobKey: row.plan_file_blob_key,
    providerSchemasBlobKey: row.provider_schemas_blob_key,
  };
}

/** A phase by its id or by its run's. */
export type PhaseSelector = { id: string } | { runId: RunId };

export async function findPlan(db: Db, by: PhaseSelector): Promise<Plan | undefined> {
  const query = db.selectFrom('plans').selectAll();
  const row = await prepared('id' in by ? query.where('id', '=', by.id) : query.where('run_id', '=', by.runId)).executeTakeFirst();
  return row && toPlan(row);
}

export async function findApply(db: Db, by: PhaseSelector): Promise<Apply | undefined> {
  const query = db.selectFrom('applies').selectAll();
  const row = await prepared('id' in by ? query.where('id', '=', by.id) : query.where('run_id', '=', by.runId)).executeTakeFirst();
  return row && { ...toPhase('applies', row), erroredStateBlobKey: row.errored_state_blob_key };
}

export async function setErroredState(db: Db, applyId: string, blobKey: string): Promise<void> {
  await db.updateTable('applies').set({ errored_state_blob_key: blobKey }).where('id', '=', applyId).execute();
}

/** Sets the phase's status and adds its timestamp. */
export async function setStatus(db: Db, kind: PhaseKind, runId: RunId, status: PhaseStatus, timestampKey: string, at: Date): Promise<void> {
  const row = await db.selectFrom(kind).select('status_timestamps').where('run_id', '=', runId).executeTakeFirst();
  const timestamps = { ...(row?.status_timestamps ?? {}), [timestampKey]: at.toISOString() };
  await db
    .updateTable(kind)
    .set({ status, status_timestamps: JSON.stringify(timestamps) })
    .where('run_id', '=', runId)
    .execute();
}

/** Records what a finished phase counted; the plan also whether it has changes. */
export async function setResults(db: Db, kind: PhaseKind, runId: RunId, counts: ResourceCounts, hasChanges?: boolean): Promise<void> {
  const columns = {
    resource_additions: counts.additions,
    resource_changes: counts.changes,
    resource_destructions: counts.destructions,
    resource_imports: counts.imports,
  };
  if (kind === 'plans') {
    await db
      .updateTable('plans')
      .set({ ...columns, ...(hasChanges === undefined ? {} : { has_changes: hasChanges }) })
      .where('run_id', '=', runId)
      .execute();
  } else {
    await db.updateTable('applies').set(columns).where('run_id', '=', runId).execute();
  }
}

/** Every blob the phases of the workspaces' runs stored: logs, saved plans and their JSON forms. */
export async function blobKeysOfWorkspaces(db: Db, workspaceIds: readonly WorkspaceId[]): Promise<string[]> {
  if (workspaceIds.length === 0) return [];
  const runIds = db.selectFrom('runs').select('id').where('workspace_id', 'in', workspaceIds);
  const plans = await db
    .selectFrom('plans')
    .select(['id', 'log_blob_key', 'plan_file_blob_key', 'json_blob_key', 'redacted_json_blob_key', 'provider_schemas_blob_key'])
    .where('run_id', 'in', runIds)
    .execute();
  const applies = await db.selectFrom('applies').select(['log_blob_key', 'errored_state_blob_key']).where('run_id', 'in', runIds).execute();
  const keys = [
    // The rows' keys, and every artifact a plan's agent may have uploaded whether a row records it or not (the
    // lock file never is; an agent that stopped before its finish recorded none): an absent key is a no-op.
    ...plans.flatMap((plan) => [
      plan.log_blob_key,
      plan.plan_file_blob_key,
      plan.json_blob_key,
      plan.redacted_json_blob_key,
      plan.provider_schemas_blob_key,
      ...Object.values(artifactKeys(plan.id)),
    ]),
    ...applies.flatMap((apply) => [apply.log_blob_key, apply.errored_state_blob_key]),
  ];
  return [...new Set(keys.filter((key): key is string => key !== null))];
}
