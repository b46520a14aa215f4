import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, lookupsById, type RowOf, selectWithOrganizationName } from '../db/rows.js';
import type { DB } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { Paged } from '../db/paging.js';

/** The case-insensitive unique index on a task's name in its organization (migration 0017). */
export const NAME_CONSTRAINT = 'run_tasks_name_key';
/** One association per workspace and task. */
export const WORKSPACE_TASK_CONSTRAINT = 'workspace_run_tasks_workspace_task_key';

export const STAGES = ['pre_plan', 'post_plan', 'pre_apply', 'post_apply'] as const;
export type Stage = (typeof STAGES)[number];
export const ENFORCEMENT_LEVELS = ['advisory', 'mandatory'] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

export interface RunTask {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  url: string;
  description: string | null;
  category: string;
  /** Whether an HMAC key is set (the key itself is write-only). */
  hasHmacKey: boolean;
  enabled: boolean;
  globalEnabled: boolean;
  globalStages: Stage[];
  globalEnforcementLevel: EnforcementLevel | null;
  createdAt: Date;
}

export interface RunTaskFields {
  name: string;
  url: string;
  description: string | null;
  category: string;
  sealedHmacKey: string | null;
  enabled: boolean;
  globalEnabled: boolean;
  globalStages: Stage[];
  globalEnforcementLevel: EnforcementLevel | null;
}

export interface WorkspaceRunTask {
  id: string;
  workspaceId: string;
  taskId: string;
  enforcementLevel: EnforcementLevel;
  stages: Stage[];
  createdAt: Date;
}

function selectTasks(db: Db) {
  return selectWithOrganizationName(db, 'run_tasks');
}

function toRunTask({ sealed_hmac_key, ...row }: RowOf<typeof selectTasks>): RunTask {
  return {
    ...camelized(row),
    hasHmacKey: sealed_hmac_key !== null,
    globalStages: row.global_stages as Stage[],
    globalEnforcementLevel: row.global_enforcement_level as EnforcementLevel | null,
  };
}

function columns(fields: Partial<RunTaskFields>) {
  return {
    ...(fields.name !== undefined ? { name: fields.name } : {}),
    ...(fields.url !== undefined ? { url: fields.url } : {}),
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    ...(fields.category !== undefined ? { category: fields.category } : {}),
    ...(fields.sealedHmacKey !== undefined ? { sealed_hmac_key: fields.sealedHmacKey } : {}),
    ...(fields.enabled !== undefined ? { enabled: fields.enabled } : {}),
    ...(fields.globalEnabled !== undefined ? { global_enabled: fields.globalEnabled } : {}),
    ...(fields.globalStages !== undefined ? { global_stages: fields.globalStages } : {}),
    ...(fields.globalEnforcementLevel !== undefined ? { global_enforcement_level: fields.globalEnforcementLevel } : {}),
  };
}

export async function insert(db: Db, task: { id: string; organizationId: string } & RunTaskFields): Promise<void> {
  await db
    .insertInto('run_tasks')
    .values({ id: task.id, organization_id: task.organizationId, name: task.name, url: task.url, ...columns(task) })
    .execute();
}

export async function update(db: Db, id: string, fields: Partial<RunTaskFields>): Promise<void> {
  const set = columns(fields);
  if (Object.keys(set).length > 0) await db.updateTable('run_tasks').set(set).where('id', '=', id).execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('run_tasks').where('id', '=', id).execute();
}

export const { findById, findManyById } = lookupsById(selectTasks, 'run_tasks.id', toRunTask);

export async function pageInOrganization(db: Db, organizationId: string, window: PageWindow): Promise<Paged<RunTask>> {
  const query = selectTasks(db).where('run_tasks.organization_id', '=', organizationId).orderBy('run_tasks.created_at').orderBy('run_tasks.id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toRunTask), total };
}

/** The workspace associations of each task, oldest first. */
export async function workspaceTaskIdsOf(db: Db, taskIds: readonly string[]): Promise<Map<string, string[]>> {
  const byTask = new Map<string, string[]>(taskIds.map((id) => [id, []]));
  if (taskIds.length === 0) return byTask;
  const rows = await db
    .selectFrom('workspace_run_tasks')
    .select(['id', 'task_id'])
    .where('task_id', 'in', taskIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const row of rows) byTask.get(row.task_id)?.push(row.id);
  return byTask;
}

function toWorkspaceTask(row: Selectable<DB['workspace_run_tasks']>): WorkspaceRunTask {
  return { ...camelized(row), enforcementLevel: row.enforcement_level as EnforcementLevel, stages: row.stages as Stage[] };
}

export async function insertWorkspaceTask(db: Db, association: WorkspaceRunTask): Promise<void> {
  await db
    .insertInto('workspace_run_tasks')
    .values({
      id: association.id,
      workspace_id: association.workspaceId,
      task_id: association.taskId,
      enforcement_level: association.enforcementLevel,
      stages: association.stages,
      created_at: association.createdAt,
    })
    .execute();
}

export async function updateWorkspaceTask(db: Db, id: string, fields: { enforcementLevel?: EnforcementLevel; stages?: Stage[] }): Promise<void> {
  const set = {
    ...(fields.enforcementLevel !== undefined ? { enforcement_level: fields.enforcementLevel } : {}),
    ...(fields.stages !== undefined ? { stages: fields.stages } : {}),
  };
  if (Object.keys(set).length > 0) await db.updateTable('workspace_run_tasks').set(set).where('id', '=', id).execute();
}

export async function deleteWorkspaceTask(db: Db, id: string): Promise<void> {
  await db.deleteFrom('workspace_run_tasks').where('id', '=', id).execute();
}

export async function findWorkspaceTask(db: Db, workspaceId: string, id: string): Promise<WorkspaceRunTask | undefined> {
  const row = await db.selectFrom('workspace_run_tasks').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row && toWorkspaceTask(row);
}

export async function findWorkspaceTasksById(db: Db, ids: readonly string[]): Promise<WorkspaceRunTask[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('workspace_run_tasks').selectAll().where('id', 'in', ids).execute();
  return rows.map(toWorkspaceTask);
}

export async function pageWorkspaceTasks(db: Db, workspaceId: string, window: PageWindow): Promise<Paged<WorkspaceRunTask>> {
  const query = db.selectFrom('workspace_run_tasks').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id');
  const { rows, total } = await pageAndTotal(query, window);
  return { items: rows.map(toWorkspaceTask), total };
}

/** An enabled task a workspace's runs call in `stages`, with the enforcement level for them. */
export interface TaskForRuns {
  task: RunTask;
  workspaceTaskId: string | null;
  stages: Stage[];
  enforcementLevel: EnforcementLevel;
}

/**
 * The enabled tasks a new run of the workspace calls: its associations, then the organization's global
 * tasks it has no association with (run-tasks.mdx `global-configuration`).
 */
export async function tasksForRuns(db: Db, workspaceId: string, organizationId: string): Promise<TaskForRuns[]> {
  const [associations, globals] = await Promise.all([
    selectTasks(db)
      .innerJoin('workspace_run_tasks', 'workspace_run_tasks.task_id', 'run_tasks.id')
      .select([
        'workspace_run_tasks.id as workspace_task_id',
        'workspace_run_tasks.stages as workspace_stages',
        'workspace_run_tasks.enforcement_level as workspace_enforcement_level',
      ])
      .where('workspace_run_tasks.workspace_id', '=', workspaceId)
      .where('run_tasks.enabled', '=', true)
      .orderBy('workspace_run_tasks.created_at')
      .orderBy('workspace_run_tasks.id')
      .execute(),
    selectTasks(db)
      .where('run_tasks.organization_id', '=', organizationId)
      .where('run_tasks.enabled', '=', true)
      .where('run_tasks.global_enabled', '=', true)
      .orderBy('run_tasks.created_at')
      .orderBy('run_tasks.id')
      .execute(),
  ]);
  const associated = new Set(associations.map((row) => row.id));
  return [
    ...associations.map((row) => ({
      task: toRunTask(row),
      workspaceTaskId: row.workspace_task_id,
      stages: row.workspace_stages as Stage[],
      enforcementLevel: row.workspace_enforcement_level as EnforcementLevel,
    })),
    ...globals
      .filter((row) => !associated.has(row.id))
      .map((row) => ({
        task: toRunTask(row),
        workspaceTaskId: null,
        stages: row.global_stages as Stage[],
        enforcementLevel: (row.global_enforcement_level ?? 'advisory') as EnforcementLevel,
      })),
  ];
}

/** The task's HMAC key, sealed; null when it has none. */
export async function findSealedHmacKey(db: Db, id: string): Promise<string | null | undefined> {
  const row = await db.selectFrom('run_tasks').select('sealed_hmac_key').where('id', '=', id).executeTakeFirst();
  return row?.sealed_hmac_key;
}
