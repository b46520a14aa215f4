import type { Readable } from 'node:stream';
import { taskTokenRunId } from '../auth/task-result-access.js';
import { getBlob } from '../blobs/sealed-blobs.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { NotFoundError } from '../errors.js';
import * as phaseService from './phase-service.js';
import * as phaseStore from './phase-store.js';
import * as runService from './service.js';
import { PHASE_ENDED } from './state.js';

/**
 * What plans and applies leave besides their logs. A finished plan in JSON (plans.mdx "Retrieve the
 * JSON execution plan"; cli-protocol.md §6.5): the full `terraform show -json` output for workspace
 * admins, through a short-lived redirect, and the redacted document the CLI renders a remote plan
 * from, for whoever reads the run. The plan's provider schemas (OpenAPI getPlanJSONSchema) and an
 * apply's errored state (applies.mdx "Recover a failed state upload after applying") go through the
 * same kind of redirect.
 */

/** plans.mdx, applies.mdx: "a life of 1 minute". */
const URL_SECONDS = 60;

/** What the signed URLs serve, by phase kind and name: the blob key, if the phase has one. */
const DOWNLOADS: Record<phaseStore.PhaseKind, Record<string, (db: Db, id: string) => Promise<string | null | undefined>>> = {
  plans: {
    'json-output': async (db, id) => (await phaseStore.findPlan(db, { id }))?.jsonBlobKey,
    'json-schema': async (db, id) => (await phaseStore.findPlan(db, { id }))?.providerSchemasBlobKey,
  },
  applies: {
    'errored-state': async (db, id) => (await phaseStore.findApply(db, { id }))?.erroredStateBlobKey,
  },
};

function downloadPath(kind: phaseStore.PhaseKind, id: string, name: string): string {
  return `/_blobs/${kind}/${encodeURIComponent(id)}/${name}`;
}

function downloadUrl(ctx: Ctx, kind: phaseStore.PhaseKind, id: string, name: string): string {
  return signedUrl(ctx, downloadPath(kind, id, name), URL_SECONDS);
}

async function open(ctx: Ctx, key: string): Promise<Readable> {
  const content = await getBlob(ctx.blobs, ctx.config, key);
  if (!content) throw new Error(`plan JSON blob ${key} is missing`);
  return content;
}

/**
 * Where to download the full JSON plan, or undefined while the plan has none yet (204). Admin access
 * only, and never with an organization token (plans.mdx).
 */
export async function jsonOutputUrl(ctx: Ctx, by: phaseService.PhaseRequest): Promise<string | undefined> {
  const plan = await planForJsonOutput(ctx, by);
  return plan.jsonBlobKey ? downloadUrl(ctx, 'plans', plan.id, 'json-output') : undefined;
}

/** The plan, for who may read its full JSON: workspace admins, and the access token of a task of its run. */
async function planForJsonOutput(ctx: Ctx, by: phaseService.PhaseRequest): Promise<phaseStore.Plan> {
  const taskRunId = taskTokenRunId(ctx.subject);
  if (taskRunId !== undefined) {
    const selector = phaseService.selectorOf(by);
    const plan = selector && (await phaseStore.findPlan(ctx.db, selector));
    if (!plan || plan.runId !== taskRunId) throw new NotFoundError('plan not found');
    return plan;
  }
  const plan = await phaseService.showPlan(ctx, by);
  if (ctx.subject.kind === 'organization') throw new NotFoundError(`plan ${plan.id} JSON output not found: it needs a user or team token`);
  await runService.findAuthorized(ctx, plan.runId, 'workspace:update');
  return plan;
}

/**
 * Where to download the plan's provider schemas (`terraform providers schema -json`), or undefined
 * while the plan runs (204). For whoever reads the run: the redacted JSON plan holds the same schemas.
 * A plan that ended without them (failed, or planned before Terrace kept them) has none: 404.
 */
export async function jsonSchemaUrl(ctx: Ctx, by: phaseService.PhaseRequest): Promise<string | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  if (plan.providerSchemasBlobKey) return downloadUrl(ctx, 'plans', plan.id, 'json-schema');
  if (PHASE_ENDED.has(plan.status)) throw new NotFoundError(`plan ${plan.id} has no provider schemas`);
  return undefined;
}

/** Where to download the state the apply's terraform failed to upload; for who may read the workspace's state (applies.mdx). */
export async function erroredStateUrl(ctx: Ctx, applyId: string): Promise<string> {
  const apply = await phaseService.showApply(ctx, { id: applyId });
  await runService.findAuthorized(ctx, apply.runId, 'workspace:read-state');
  if (!apply.erroredStateBlobKey) throw new NotFoundError(`apply ${apply.id} has no errored state`);
  return downloadUrl(ctx, 'applies', apply.id, 'errored-state');
}

/** The content behind the URLs above; the signature is the authorization. */
export async function download(ctx: Ctx, kind: phaseStore.PhaseKind, id: string, name: string, expiry: string, signature: string): Promise<Readable> {
  const keyOf = Object.hasOwn(DOWNLOADS[kind], name) ? DOWNLOADS[kind][name] : undefined;
  if (!keyOf || !verifySignature(ctx.config, downloadPath(kind, id, name), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const key = await keyOf(ctx.db, id);
  // An agent from before provider schemas were kept finishes a plan without them.
  const content = key ? await getBlob(ctx.blobs, ctx.config, key) : undefined;
  if (!content) throw new NotFoundError('not found');
  return content;
}

/** The redacted JSON plan, or undefined while the plan has none yet. */
export async function redactedJsonOutput(ctx: Ctx, by: phaseService.PhaseRequest): Promise<Readable | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  return plan.redactedJsonBlobKey ? open(ctx, plan.redactedJsonBlobKey) : undefined;
}
