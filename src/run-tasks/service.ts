import { authorize, authorizeWorkspace, filterPermitted } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { open, seal } from '../crypto/sealing.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { httpUrl } from '../outbound.js';
import { visibleOnly } from '../jsonapi/include.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { postToTask, verificationBody } from './outbound.js';
import * as runTaskStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { EnforcementLevel, RunTask, Stage, WorkspaceRunTask } from './store.js';
export { ENFORCEMENT_LEVELS, STAGES } from './store.js';

/**
 * Run tasks (run-tasks.mdx): an organization's external checks, managed by owners and teams with
 * "Manage Run Tasks", and their association with workspaces, managed by who has "Manage Workspace
 * Run Tasks" on the workspace. The HMAC key is write-only and sealed at rest.
 */

/** A task as the API shows it, with its workspace associations. */
export interface RunTaskView {
  task: runTaskStore.RunTask;
  workspaceTaskIds: string[];
}

export interface RunTaskInput {
  name?: string | undefined;
  url?: string | undefined;
  description?: string | null | undefined;
  category?: string | undefined;
  /** A new key; null or empty removes it. */
  hmacKey?: string | null | undefined;
  enabled?: boolean | undefined;
  global?:
    | { enabled?: boolean | undefined; stages?: runTaskStore.Stage[] | undefined; enforcementLevel?: runTaskStore.EnforcementLevel | undefined }
    | undefined;
}

export interface WorkspaceRunTaskInput {
  taskId?: string | undefined;
  enforcementLevel?: runTaskStore.EnforcementLevel | undefined;
  stages?: runTaskStore.Stage[] | undefined;
}

const ATTRIBUTES = '/data/attributes';
/** Letters, numbers, `-` and `_` (run-tasks.mdx "Create a Run Task"). */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
const MAX_DESCRIPTION = 300;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

function validateTask(input: RunTaskInput): void {
  if (input.name !== undefined && !NAME_PATTERN.test(input.name)) throw invalid('name', 'name must be 1 to 255 letters, numbers, "-" and "_"');
  if (input.url !== undefined && !httpUrl(input.url)) throw invalid('url', 'url must be an http or https URL');
  if (input.description != null && input.description.length > MAX_DESCRIPTION)
    throw invalid('description', `description must be at most ${MAX_DESCRIPTION} characters`);
  if (input.category !== undefined && input.category !== 'task') throw invalid('category', 'category must be "task"');
  checkStages(input.global?.stages, 'global-configuration/stages');
}

/** A list of stages given must name at least one. */
function checkStages(stages: readonly runTaskStore.Stage[] | undefined, attribute: string): void {
  if (stages !== undefined && stages.length === 0) throw invalid(attribute, 'stages must name at least one stage');
}

function duplicateName(name: string): InvalidError {
  return invalid('name', `name ${name} has already been taken`);
}

async function viewsOf(ctx: Ctx, tasks: readonly runTaskStore.RunTask[]): Promise<RunTaskView[]> {
  const associations = await runTaskStore.workspaceTaskIdsOf(
    ctx.db,
    tasks.map((t) => t.id),
  );
  return tasks.map((task) => ({ task, workspaceTaskIds: associations.get(task.id) ?? [] }));
}

const targetOf = (task: runTaskStore.RunTask) => ({ organizationId: task.organizationId, description: `run task ${task.id}` });

/** Loads a task and checks `action` on its organization; unknown and not permitted are the same 404. */
async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<runTaskStore.RunTask> {
  const task = await runTaskStore.findById(ctx.db, id);
  if (!task) throw new NotFoundError(`run task ${id} not found`);
  await authorize(ctx, action, targetOf(task));
  return task;
}

/** Views of the tasks by id that the caller may read, for `include=`, in one query; the others are left out. */
export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<RunTaskView[]> {
  return viewsOf(ctx, await filterPermitted(ctx, 'run-task:read', await runTaskStore.findManyById(ctx.db, ids), targetOf));
}

export async function show(ctx: Ctx, id: string): Promise<RunTaskView> {
  const [view] = await viewsOf(ctx, [await findAuthorized(ctx, id, 'run-task:read')]);
  return view as RunTaskView;
}

export async function list(ctx: Ctx, organizationName: string, page: Page): Promise<Paged<RunTaskView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'run-task:read');
  const { items: tasks, total } = await runTaskStore.pageInOrganization(ctx.db, org.id, { limit: page.size, offset: pageOffset(page) });
  return { items: await viewsOf(ctx, tasks), total };
}

function sealedKey(ctx: Ctx, key: string | null | undefined): string | null | undefined {
  if (key === undefined) return undefined;
  return key === null || key === '' ? null : seal(ctx.config, key);
}

/**
 * Sends the verification request to the task's URL (run-tasks-integration.mdx; integrations answer
 * the verification token with 200 at once): a URL that does not is refused with a 422, as the service
 * refuses it, before anything is written.
 */
async function verifyUrl(ctx: Ctx, organizationName: string, url: string, key: string | null): Promise<void> {
  try {
    await postToTask(ctx.config, url, verificationBody(organizationName), key);
  } catch (err) {
    throw invalid('url', `the run task's URL did not accept the verification request: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Creates a task (run-tasks.mdx "Create a Run Task"): name, url and category are required. */
export async function create(ctx: Ctx, organizationName: string, input: RunTaskInput): Promise<RunTaskView> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'run-task:manage');
  for (const required of ['name', 'url', 'category'] as const) if (input[required] === undefined) throw invalid(required, `${required} is required`);
  validateTask(input);
  await verifyUrl(ctx, org.name, input.url as string, input.hmacKey || null);
  const id = newId('task');
  try {
    await runTaskStore.insert(ctx.db, {
      id,
      organizationId: org.id,
      name: input.name as string,
      url: input.url as string,
      description: input.description ?? null,
      category: 'task',
      sealedHmacKey: sealedKey(ctx, input.hmacKey) ?? null,
      enabled: input.enabled ?? true,
      globalEnabled: input.global?.enabled ?? false,
      globalStages: input.global?.stages ?? [],
      globalEnforcementLevel: input.global?.enforcementLevel ?? null,
    });
  } catch (err) {
    if (isUniqueViolation(err, runTaskStore.NAME_CONSTRAINT)) throw duplicateName(input.name as string);
    throw err;
  }
  return show(ctx, id);
}

/** Changes the attributes given; the others keep their values (run-tasks.mdx "Update a Run Task"). */
export async function update(ctx: Ctx, id: string, input: RunTaskInput): Promise<RunTaskView> {
  const task = await findAuthorized(ctx, id, 'run-task:manage');
  validateTask(input);
  // A new URL or key is verified again, with the key the task will sign with.
  if (input.url !== undefined || input.hmacKey !== undefined) {
    const sealed = input.hmacKey === undefined ? await runTaskStore.findSealedHmacKey(ctx.db, task.id) : null;
    const key = input.hmacKey === undefined ? (sealed ? open(ctx.config, sealed) : null) : input.hmacKey || null;
    await verifyUrl(ctx, task.organizationName, input.url ?? task.url, key);
  }
  try {
    await runTaskStore.update(ctx.db, task.id, {
      name: input.name,
      url: input.url,
      description: input.description,
      category: input.category,
      sealedHmacKey: sealedKey(ctx, input.hmacKey),
      enabled: input.enabled,
      globalEnabled: input.global?.enabled,
      globalStages: input.global?.stages,
      globalEnforcementLevel: input.global?.enforcementLevel,
    });
  } catch (err) {
    if (isUniqueViolation(err, runTaskStore.NAME_CONSTRAINT)) throw duplicateName(input.name ?? task.name);
    throw err;
  }
  return show(ctx, task.id);
}

/** Deletes a task and its workspace associations. */
export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const task = await findAuthorized(ctx, id, 'run-task:manage');
  await runTaskStore.deleteById(ctx.db, task.id);
}

// ---- Workspace run tasks ----

const DEFAULT_STAGES: runTaskStore.Stage[] = ['post_plan'];

/** The workspace's association `id`, after checking `action` on the workspace. */
async function findWorkspaceTask(ctx: Ctx, workspaceId: string, id: string, action: Action): Promise<runTaskStore.WorkspaceRunTask> {
  await authorizeWorkspace(ctx, { id: workspaceId }, action);
  const association = await runTaskStore.findWorkspaceTask(ctx.db, workspaceId, id);
  if (!association) throw new NotFoundError(`workspace run task ${id} not found`);
  return association;
}

export async function showWorkspaceTask(ctx: Ctx, workspaceId: string, id: string): Promise<runTaskStore.WorkspaceRunTask> {
  return findWorkspaceTask(ctx, workspaceId, id, 'workspace:read');
}

export async function listWorkspaceTasks(ctx: Ctx, workspaceId: string, page: Page): Promise<Paged<runTaskStore.WorkspaceRunTask>> {
  await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:read');
  return runTaskStore.pageWorkspaceTasks(ctx.db, workspaceId, { limit: page.size, offset: pageOffset(page) });
}

/** The associations the caller may see, for includes (each checked on its workspace). */
export async function visibleWorkspaceTasks(ctx: Ctx, ids: readonly string[]): Promise<runTaskStore.WorkspaceRunTask[]> {
  const associations = await runTaskStore.findWorkspaceTasksById(ctx.db, ids);
  const visible = await Promise.all(
    associations.map((association) => visibleOnly(() => authorizeWorkspace(ctx, { id: association.workspaceId }, 'workspace:read').then(() => association))),
  );
  return visible.filter((association) => association !== undefined);
}

/** Associates a task of the workspace's organization (run-tasks.mdx "Associate a Run Task to a Workspace"). */
export async function createWorkspaceTask(ctx: Ctx, workspaceId: string, input: WorkspaceRunTaskInput): Promise<runTaskStore.WorkspaceRunTask> {
  const workspace = await authorizeWorkspace(ctx, { id: workspaceId }, 'workspace:manage-run-tasks');
  if (input.taskId === undefined) throw new InvalidError('relationships.task is required', { pointer: '/data/relationships/task' });
  if (input.enforcementLevel === undefined) throw invalid('enforcement-level', 'enforcement-level is required: advisory or mandatory');
  checkStages(input.stages, 'stages');
  const task = await runTaskStore.findById(ctx.db, input.taskId);
  if (!task || task.organizationId !== workspace.organizationId) throw new NotFoundError(`run task ${input.taskId} not found`);
  const association: runTaskStore.WorkspaceRunTask = {
    id: newId('wstask'),
    workspaceId: workspace.id,
    taskId: task.id,
    enforcementLevel: input.enforcementLevel,
    stages: input.stages ?? DEFAULT_STAGES,
    createdAt: ctx.now(),
  };
  try {
    await runTaskStore.insertWorkspaceTask(ctx.db, association);
  } catch (err) {
    if (isUniqueViolation(err, runTaskStore.WORKSPACE_TASK_CONSTRAINT)) {
      throw new InvalidError(`run task ${task.name} is already associated with this workspace`, { pointer: '/data/relationships/task' });
    }
    throw err;
  }
  return association;
}

export async function updateWorkspaceTask(ctx: Ctx, workspaceId: string, id: string, input: WorkspaceRunTaskInput): Promise<runTaskStore.WorkspaceRunTask> {
  const association = await findWorkspaceTask(ctx, workspaceId, id, 'workspace:manage-run-tasks');
  checkStages(input.stages, 'stages');
  await runTaskStore.updateWorkspaceTask(ctx.db, association.id, { enforcementLevel: input.enforcementLevel, stages: input.stages });
  return findWorkspaceTask(ctx, workspaceId, id, 'workspace:read');
}

export async function destroyWorkspaceTask(ctx: Ctx, workspaceId: string, id: string): Promise<void> {
  const association = await findWorkspaceTask(ctx, workspaceId, id, 'workspace:manage-run-tasks');
  await runTaskStore.deleteWorkspaceTask(ctx.db, association.id);
}
