import { authorize, can } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { open, type SealingKeys, seal } from '../crypto/sealing.js';
import type { Db } from '../db/database.js';
import { NotFoundError, ServiceUnavailableError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import type { OutputInput } from '../state-versions/state-file.js';
import { workspaceTarget } from '../auth/workspace-target.js';
import * as outputStore from './store.js';
import type { Paged } from '../db/paging.js';

/**
 * State version outputs (state-version-outputs.mdx). Reading needs `workspace:read-state-outputs`;
 * sensitive values are null except from show, and there only for callers who may read the state itself.
 * A user or team token is judged by its own permissions on the workspace whose outputs it reads; the
 * remote state consumer list (global-remote-state, remote-state-consumers) governs run tokens, which
 * read another workspace's state from inside a run (the runs issue).
 */

/** An output as the caller sees it: `value` is null for a sensitive output the caller may not read. */
export interface OutputView {
  id: string;
  name: string;
  sensitive: boolean;
  value: unknown;
  detailedType: unknown;
}

function redacted(output: outputStore.StateVersionOutput): OutputView {
  return { id: output.id, name: output.name, sensitive: output.sensitive, value: output.sensitive ? null : output.value, detailedType: output.detailedType };
}

/** Stores a version's outputs; sensitive values only sealed (they are secrets: crypto/sealing.ts). */
export async function insert(db: Db, keys: SealingKeys, stateVersionId: string, outputs: readonly OutputInput[]): Promise<void> {
  await outputStore.insertMany(
    db,
    outputs.map((o) => ({
      id: newId('wsout'),
      stateVersionId,
      name: o.name,
      sensitive: o.sensitive,
      value: o.sensitive ? null : o.value,
      sealedValue: o.sensitive ? seal(keys, JSON.stringify(o.value ?? null)) : null,
      detailedType: o.detailedType,
    })),
  );
}

/** A page of a version's outputs, sensitive values redacted. */
export async function listForStateVersion(ctx: Ctx, stateVersionId: string, page: Page): Promise<Paged<OutputView>> {
  const description = `state version ${stateVersionId}`;
  const workspaceId = await outputStore.stateVersionWorkspaceId(ctx.db, stateVersionId);
  if (!workspaceId) throw new NotFoundError(`${description} not found`);
  await authorize(ctx, 'workspace:read-state-outputs', await workspaceTarget(ctx, workspaceId, description));
  const { items: outputs, total } = await outputStore.selectPage(ctx.db, stateVersionId, { limit: page.size, offset: pageOffset(page) });
  return { items: outputs.map(redacted), total };
}

/** One output; its sensitive value only for callers who may read the workspace's state. */
export async function show(ctx: Ctx, id: string): Promise<OutputView> {
  const description = `state version output ${id}`;
  const found = await outputStore.findById(ctx.db, id);
  if (!found) throw new NotFoundError(`${description} not found`);
  const target = await workspaceTarget(ctx, found.workspaceId, description);
  await authorize(ctx, 'workspace:read-state-outputs', target);
  const output = found.output;
  if (!output.sensitive || !(await can(ctx, 'workspace:read-state', target))) return redacted(output);
  return { ...redacted(output), value: JSON.parse(open(ctx.config, output.sealedValue ?? 'null')) };
}

/**
 * The current state's outputs, all of them (the CLI reads this list once, unpaged), sensitive values
 * redacted. While the state is not parsed yet: 503 "service unavailable", which the CLI retries (cli-protocol.md §5.5).
 */
export async function listCurrent(ctx: Ctx, workspaceId: string): Promise<OutputView[]> {
  const description = `workspace ${workspaceId}`;
  const target = await workspaceTarget(ctx, workspaceId, description);
  await authorize(ctx, 'workspace:read-state-outputs', target);
  const current = await outputStore.currentStateVersion(ctx.db, target.workspaceId);
  if (!current) throw new NotFoundError(`workspace ${workspaceId} has no current state version`);
  if (!current.outputsProcessed) throw new ServiceUnavailableError('service unavailable: the state version outputs are being processed; retry shortly');
  return (await outputStore.listByStateVersions(ctx.db, [current.id])).map(redacted);
}

/** The outputs of versions the caller has already been authorized to read (include=outputs), redacted. */
export async function forStateVersions(db: Db, stateVersionIds: readonly string[]): Promise<OutputView[]> {
  return (await outputStore.listByStateVersions(db, stateVersionIds)).map(redacted);
}

/** Each version's output ids, for the `outputs` relationship. */
export function idsByStateVersions(db: Db, stateVersionIds: readonly string[]): Promise<Map<string, string[]>> {
  return outputStore.idsByStateVersions(db, stateVersionIds);
}
