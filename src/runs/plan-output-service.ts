import type { Readable } from 'node:stream';
import { getBlob } from '../blobs/sealed-blobs.js';
import { signedUrl, verifySignature } from '../blobs/signed-url.js';
import type { Ctx } from '../context.js';
import { NotFoundError } from '../errors.js';
import * as phaseService from './phase-service.js';
import * as phaseStore from './phase-store.js';
import * as runService from './service.js';

/**
 * A finished plan in JSON (plans.mdx "Retrieve the JSON execution plan"; cli-protocol.md §6.5): the
 * full `terraform show -json` output for workspace admins, through a short-lived redirect, and the
 * redacted document the CLI renders a remote plan from, for whoever reads the run.
 */

/** plans.mdx: "a life of 1 minute". */
const JSON_URL_SECONDS = 60;

function jsonPath(planId: string): string {
  return `/_blobs/plans/${encodeURIComponent(planId)}/json-output`;
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
export async function jsonOutputUrl(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<string | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  if (ctx.subject.kind === 'organization') throw new NotFoundError(`plan ${plan.id} JSON output not found: it needs a user or team token`);
  await runService.findAuthorized(ctx, plan.runId, 'workspace:update');
  return plan.jsonBlobKey ? signedUrl(ctx, jsonPath(plan.id), JSON_URL_SECONDS) : undefined;
}

/** The content behind `jsonOutputUrl`; the signature is the authorization. */
export async function jsonOutput(ctx: Ctx, planId: string, expiry: string, signature: string): Promise<Readable> {
  if (!verifySignature(ctx.config, jsonPath(planId), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const plan = await phaseStore.findPlan(ctx.db, { id: planId });
  if (!plan?.jsonBlobKey) throw new NotFoundError('not found');
  return open(ctx, plan.jsonBlobKey);
}

/** The redacted JSON plan, or undefined while the plan has none yet. */
export async function redactedJsonOutput(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<Readable | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  return plan.redactedJsonBlobKey ? open(ctx, plan.redactedJsonBlobKey) : undefined;
}
