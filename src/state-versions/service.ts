import { Readable } from 'node:stream';
import { authorize, can } from '../auth/authorize.js';
import * as authStore from '../auth/store.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { ConflictError, InvalidError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import { newId, type WorkspaceId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { enqueue } from '../queue/queue.js';
import * as outputService from '../state-version-outputs/service.js';
import { holderOf } from '../workspaces/lock-service.js';
import type { LockHolder } from '../workspaces/store.js';
import { decodeBase64, md5Hex, type OutputInput, parseOutputsDocument, stateHeader } from './state-file.js';
import * as stateVersionStore from './store.js';
import { workspaceTarget, workspaceTargetOf } from '../auth/workspace-target.js';
import { blobKey, type ContentKind, deleteContent, PROCESS_JOB } from './upload-service.js';
import type { Paged } from '../db/paging.js';

export type { StateVersion, StateVersionStatus } from './store.js';

/** A state version and the ids of its outputs (the `outputs` relationship). */
export interface StateVersionView {
  version: stateVersionStore.StateVersion;
  outputIds: string[];
}

const ATTRIBUTES = '/data/attributes';

async function viewsOf(db: Db, versions: readonly stateVersionStore.StateVersion[]): Promise<StateVersionView[]> {
  const ids = await outputService.idsByStateVersions(
    db,
    versions.map((v) => v.id),
  );
  return versions.map((version) => ({ version, outputIds: ids.get(version.id) ?? [] }));
}

async function viewOf(db: Db, version: stateVersionStore.StateVersion): Promise<StateVersionView> {
  const [view] = await viewsOf(db, [version]);
  return view as StateVersionView;
}

/** Creating state needs both read and write state permission (state-versions.mdx "Create a State Version"); returns the workspace's id as found. */
async function authorizeWrite(ctx: Ctx, workspaceId: string): Promise<WorkspaceId> {
  const target = await workspaceTarget(ctx, workspaceId, `workspace ${workspaceId}`);
  await authorize(ctx, 'workspace:read-state', target);
  await authorize(ctx, 'workspace:write-state', target);
  return target.workspaceId;
}

/** The caller must hold the workspace's lock (state-versions.mdx, cli-protocol.md §5.3). */
function assertLockedBy(workspaceId: string, lockedBy: LockHolder | null, holder: LockHolder): void {
  if (!lockedBy) throw new ConflictError(`workspace ${workspaceId} must be locked by the caller to create a state version`);
  if (lockedBy.kind !== holder.kind || lockedBy.id !== holder.id) {
    throw new ConflictError(
      `workspace ${workspaceId} is locked by another holder (${lockedBy.kind} ${lockedBy.id}); only the lock holder can create state versions`,
    );
  }
}

/** The workspace row locked for the rest of the transaction, its lock held by the caller, and its current version. */
async function lockForWrite(trx: Db, workspaceId: WorkspaceId, holder: LockHolder): Promise<stateVersionStore.StateVersion | undefined> {
  const workspace = await stateVersionStore.lockWorkspace(trx, workspaceId);
  if (!workspace) throw new NotFoundError(`workspace ${workspaceId} not found`);
  assertLockedBy(workspaceId, workspace.lockedBy, holder);
  return workspace.currentStateVersionId ? stateVersionStore.findById(trx, workspace.currentStateVersionId) : undefined;
}

export interface CreateInput {
  serial: number;
  md5: string;
  lineage?: string | undefined;
  /** Skip the serial and lineage checks (go-tfe: "skip certain validations"); init -migrate-state sends it. */
  force: boolean;
  /** Base64 raw state: the version is finalized at once. Without it the content arrives at the upload URL. */
  state?: string | undefined;
  jsonState?: string | undefined;
  jsonStateOutputs?: string | undefined;
  runId?: string | undefined;
}

/**
 * A new state succeeds the current one: the same lineage, and a higher serial (cli-protocol.md §5.2);
 * another lineage is checked first, as the serial of another history says nothing. The cloud block's
 * `state push -force` sends no force (§5.2) and then keeps the workspace locked, so the refusal says
 * what to do instead.
 */
function assertSuccession(current: stateVersionStore.StateVersion | undefined, input: CreateInput): void {
  if (!current || input.force) return;
  if (input.lineage !== undefined && current.lineage !== null && input.lineage !== current.lineage) {
    throw new ConflictError(
      `The lineage provided in the state file does not match the lineage of the current state version (${current.lineage}). ` +
        'Only a write with force replaces a state of another lineage, and terraform state push -force with a cloud block does not send it. ' +
        'Release the lock Terraform keeps after this error (terraform force-unlock, or the unlock action), then replace the state with ' +
        'terraform init -migrate-state from a local state, or through the API (POST /api/v2/workspaces/:id/state-versions with "force": true).',
    );
  }
  if (input.serial <= current.serial) {
    throw new ConflictError(`serial ${input.serial} must be greater than the serial of the current state version (${current.serial})`);
  }
}

interface InlineContent {
  state: Buffer;
  json: Buffer | undefined;
}

function checkSize(ctx: Ctx, content: Buffer): Buffer {
  if (content.length > ctx.config.maxStateBytes) throw new PayloadTooLargeError(`the state is larger than the limit of ${ctx.config.maxStateBytes} bytes`);
  return content;
}

/** The `state` and `json-state` of a create body, checked against `md5`; undefined without `state`. */
function inlineContent(ctx: Ctx, input: CreateInput): InlineContent | undefined {
  if (input.state === undefined) {
    if (input.jsonState !== undefined) {
      throw new InvalidError('json-state is accepted with state; otherwise upload it to hosted-json-state-upload-url', { pointer: `${ATTRIBUTES}/json-state` });
    }
    return undefined;
  }
  const state = checkSize(ctx, decodeBase64(input.state, `${ATTRIBUTES}/state`));
  if (md5Hex(state) !== input.md5) throw new InvalidError('md5 does not match the MD5 of the decoded state', { pointer: `${ATTRIBUTES}/md5` });
  // It must be a state document; its serial and lineage may differ from the attributes, which are
  // kept as sent: clients rely on that (docs/design.md "Where Terrace follows the service").
  stateHeader(state, `${ATTRIBUTES}/state`);
  const json = input.jsonState === undefined ? undefined : checkSize(ctx, decodeBase64(input.jsonState, `${ATTRIBUTES}/json-state`));
  return { state, json };
}

async function storeContent(ctx: Ctx, id: string, kind: ContentKind, content: Buffer): Promise<void> {
  await ctx.blobs.put(blobKey(id, kind), Readable.from([content]));
}

/**
 * Creates a state version (state-versions.mdx "Create a State Version"). With `state` it is finalized
 * and current at once; without it, it is pending until its upload (upload-service.ts), and a pending
 * version it supersedes is discarded. The previous current state stays current until then.
 */
export async function create(ctx: Ctx, requestedWorkspaceId: string, input: CreateInput): Promise<StateVersionView> {
  const workspaceId = await authorizeWrite(ctx, requestedWorkspaceId);
  const holder = holderOf(ctx);
  if (!/^[0-9a-fA-F]{32}$/.test(input.md5)) throw new InvalidError('md5 must be 32 hexadecimal digits', { pointer: `${ATTRIBUTES}/md5` });
  const md5 = input.md5.toLowerCase();
  // Runs arrive with the runs issue; until then no run id can name one.
  if (input.runId !== undefined) throw new InvalidError(`run ${input.runId} not found`, { pointer: '/data/relationships/run' });
  const inline = inlineContent(ctx, { ...input, md5 });
  const outputs: OutputInput[] | undefined =
    input.jsonStateOutputs === undefined
      ? undefined
      : parseOutputsDocument(decodeBase64(input.jsonStateOutputs, `${ATTRIBUTES}/json-state-outputs`), `${ATTRIBUTES}/json-state-outputs`);
  const id = newId('sv');
  // Content first, outside the transaction; it is removed again if the version is refused.
  if (inline) {
    await storeContent(ctx, id, 'state', inline.state);
    if (inline.json) await storeContent(ctx, id, 'json-state', inline.json);
  }
  try {
    await ctx.db.transaction().execute(async (trx) => {
      assertSuccession(await lockForWrite(trx, workspaceId, holder), input);
      await stateVersionStore.discardPending(trx, workspaceId);
      await stateVersionStore.insert(trx, {
        id,
        workspaceId,
        serial: input.serial,
        lineage: input.lineage ?? null,
        md5,
        status: inline ? 'finalized' : 'pending',
        size: inline ? inline.state.length : null,
        jsonSize: inline?.json ? inline.json.length : null,
        outputsProcessed: outputs !== undefined,
        createdById: holder.kind === 'users' ? holder.id : null,
        rollbackStateVersionId: null,
        now: ctx.now(),
      });
      if (outputs) await outputService.insert(trx, ctx.config, id, outputs);
      if (inline) {
        await stateVersionStore.setCurrent(trx, workspaceId, id);
        await enqueue(trx, PROCESS_JOB, { stateVersionId: id });
      }
    });
  } catch (err) {
    if (inline) await deleteContent(ctx, id);
    throw err;
  }
  return viewOf(ctx.db, (await stateVersionStore.findById(ctx.db, id)) as stateVersionStore.StateVersion);
}

async function copyContent(ctx: Ctx, from: string, to: string, kind: ContentKind): Promise<void> {
  const source = await ctx.blobs.get(blobKey(from, kind));
  if (!source) throw new ConflictError(`the ${kind} of state version ${from} is missing`);
  await ctx.blobs.put(blobKey(to, kind), source);
}

/**
 * Rolls back to an earlier version by duplicating it as a new current version; the workspace stays
 * locked (state-versions.mdx "Rollback to a Previous State Version", concepts/workspaces/state.mdx).
 */
export async function rollback(ctx: Ctx, requestedWorkspaceId: string, sourceId: string): Promise<StateVersionView> {
  const workspaceId = await authorizeWrite(ctx, requestedWorkspaceId);
  const holder = holderOf(ctx);
  const source = await stateVersionStore.findById(ctx.db, sourceId);
  const pointer = '/data/relationships/rollback-state-version';
  if (!source || source.workspaceId !== workspaceId) throw new InvalidError(`state version ${sourceId} not found in workspace ${workspaceId}`, { pointer });
  if (source.status !== 'finalized')
    throw new InvalidError(`state version ${sourceId} is ${source.status}; only a finalized version can be restored`, { pointer });
  // Checked before copying the content, and again in the transaction that decides.
  assertLockedBy(workspaceId, (await stateVersionStore.lockWorkspace(ctx.db, workspaceId))?.lockedBy ?? null, holder);
  const id = newId('sv');
  try {
    await copyContent(ctx, source.id, id, 'state');
    if (source.jsonSize !== null) await copyContent(ctx, source.id, id, 'json-state');
    await ctx.db.transaction().execute(async (trx) => {
      await lockForWrite(trx, workspaceId, holder);
      await stateVersionStore.discardPending(trx, workspaceId);
      await stateVersionStore.insert(trx, {
        id,
        workspaceId,
        serial: source.serial,
        lineage: source.lineage,
        md5: source.md5,
        status: 'finalized',
        size: source.size,
        jsonSize: source.jsonSize,
        outputsProcessed: false,
        createdById: holder.kind === 'users' ? holder.id : null,
        rollbackStateVersionId: source.id,
        now: ctx.now(),
      });
      await stateVersionStore.setCurrent(trx, workspaceId, id);
      await enqueue(trx, PROCESS_JOB, { stateVersionId: id });
    });
  } catch (err) {
    await deleteContent(ctx, id);
    throw err;
  }
  return viewOf(ctx.db, (await stateVersionStore.findById(ctx.db, id)) as stateVersionStore.StateVersion);
}

/** A version the caller may read the state of; 404 otherwise. */
export async function show(ctx: Ctx, id: string): Promise<StateVersionView> {
  const description = `state version ${id}`;
  const version = await stateVersionStore.findById(ctx.db, id);
  if (!version) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-state', await workspaceTarget(ctx, version.workspaceId, description));
  return viewOf(ctx.db, version);
}

/** The workspace's current version; 404 when it has none, which the CLI reads as "no state" (cli-protocol.md §5.1). */
export async function current(ctx: Ctx, workspaceId: string): Promise<StateVersionView> {
  const target = await workspaceTarget(ctx, workspaceId, `workspace ${workspaceId}`);
  await authorize(ctx, 'workspace:read-state', target);
  const version = await stateVersionStore.findCurrent(ctx.db, target.workspaceId);
  if (!version) throw new NotFoundError(`workspace ${workspaceId} has no current state version`);
  return viewOf(ctx.db, version);
}

export interface ListOptions {
  organizationName: string;
  workspaceName: string;
  status: stateVersionStore.StateVersionStatus | undefined;
  page: Page;
}

/** A workspace's versions, newest first (state-versions.mdx "List State Versions for a Workspace"). */
export async function list(ctx: Ctx, options: ListOptions): Promise<Paged<StateVersionView>> {
  const scope = await authStore.findWorkspaceScopeByName(ctx.db, options.organizationName, options.workspaceName);
  const description = `workspace ${options.organizationName}/${options.workspaceName}`;
  if (!scope) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-state', workspaceTargetOf(scope, description));
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const { versions, total } = await stateVersionStore.selectPage(ctx.db, scope.id, options.status, window);
  return { items: await viewsOf(ctx.db, versions), total };
}

/** The outputs of versions already shown to the caller (`include=outputs`), sensitive values redacted. */
export function includedOutputs(ctx: Ctx, views: readonly StateVersionView[]): Promise<outputService.OutputView[]> {
  return outputService.forStateVersions(
    ctx.db,
    views.map((v) => v.version.id),
  );
}

/**
 * The outputs of the workspaces' current states, by workspace, for those whose outputs the caller
 * may read (include=outputs), sensitive values redacted; in two queries.
 */
export async function currentOutputsOf(
  ctx: Ctx,
  workspaces: readonly { id: string; organizationId: string; projectId: string; currentStateVersionId: string | null }[],
): Promise<Map<string, outputService.OutputView[]>> {
  const readable: { workspaceId: string; stateVersionId: string }[] = [];
  for (const ws of workspaces) {
    const target = { organizationId: ws.organizationId, workspaceId: ws.id, projectId: ws.projectId };
    if (ws.currentStateVersionId && (await can(ctx, 'workspace:read-state-outputs', target))) {
      readable.push({ workspaceId: ws.id, stateVersionId: ws.currentStateVersionId });
    }
  }
  const stateVersionIds = readable.map((r) => r.stateVersionId);
  const [ids, outputs] = await Promise.all([
    outputService.idsByStateVersions(ctx.db, stateVersionIds),
    outputService.forStateVersions(ctx.db, stateVersionIds),
  ]);
  const byId = new Map(outputs.map((o) => [o.id, o]));
  return new Map(readable.map((r) => [r.workspaceId, (ids.get(r.stateVersionId) ?? []).flatMap((id) => byId.get(id) ?? [])]));
}

/** Current versions of workspaces for `include=current_state_version`: those whose state the caller may read. */
export async function currentOf(
  ctx: Ctx,
  workspaces: readonly { id: string; organizationId: string; projectId: string; currentStateVersionId: string | null }[],
): Promise<StateVersionView[]> {
  const ids: string[] = [];
  for (const ws of workspaces) {
    if (
      ws.currentStateVersionId &&
      (await can(ctx, 'workspace:read-state', { organizationId: ws.organizationId, workspaceId: ws.id, projectId: ws.projectId }))
    ) {
      ids.push(ws.currentStateVersionId);
    }
  }
  return viewsOf(ctx.db, await stateVersionStore.findManyById(ctx.db, [...new Set(ids)]));
}
