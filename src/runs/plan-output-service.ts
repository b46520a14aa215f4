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
 * redacted document the CLI renders a remote plan from, for whoever reads the run. The provider
 * schemas (OpenAPI getPlanJSONSchema) go through the same kind of redirect.
 */

/** plans.mdx: "a life of 1 minute". */
const JSON_URL_SECONDS = 60;

/** What a signed plan download URL serves, by the last segment of its API path. */
const DOWNLOADS = {
  'json-output': (plan: phaseStore.Plan) => plan.jsonBlobKey,
  'json-schema': (plan: phaseStore.Plan) => plan.providerSchemasBlobKey,
} as const;
type Download = keyof typeof DOWNLOADS;

function isDownload(name: string): name is Download {
  return Object.hasOwn(DOWNLOADS, name);
}

function downloadPath(planId: string, download: Download): string {
  return `/_blobs/plans/${encodeURIComponent(planId)}/${download}`;
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
  return plan.jsonBlobKey ? signedUrl(ctx, downloadPath(plan.id, 'json-output'), JSON_URL_SECONDS) : undefined;
}

/** Plan statuses after which no schemas will come. */
const ENDED: ReadonlySet<string> = new Set(['finished', 'errored', 'canceled', 'unreachable']);

/**
 * Where to download the plan's provider schemas (`terraform providers schema -json`), or undefined
 * while the plan runs (204). For whoever reads the run: the redacted JSON plan holds the same schemas.
 * A plan that ended without them (failed, or planned before Terrace kept them) has none: 404.
 */
export async function jsonSchemaUrl(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<string | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  if (plan.providerSchemasBlobKey) return signedUrl(ctx, downloadPath(plan.id, 'json-schema'), JSON_URL_SECONDS);
  if (ENDED.has(plan.status)) throw new NotFoundError(`plan ${plan.id} has no provider schemas`);
  return undefined;
}

/** The content behind `jsonOutputUrl` and `jsonSchemaUrl`; the signature is the authorization. */
export async function download(ctx: Ctx, planId: string, name: string, expiry: string, signature: string): Promise<Readable> {
  if (!isDownload(name) || !verifySignature(ctx.config, downloadPath(planId, name), expiry, signature, ctx.now())) throw new NotFoundError('not found');
  const plan = await phaseStore.findPlan(ctx.db, { id: planId });
  const key = plan && DOWNLOADS[name](plan);
  // An agent from before provider schemas were kept finishes a plan without them.
  const content = key ? await getBlob(ctx.blobs, ctx.config, key) : undefined;
  if (!content) throw new NotFoundError('not found');
  return content;
}

/** The redacted JSON plan, or undefined while the plan has none yet. */
export async function redactedJsonOutput(ctx: Ctx, by: phaseStore.PhaseSelector): Promise<Readable | undefined> {
  const plan = await phaseService.showPlan(ctx, by);
  return plan.redactedJsonBlobKey ? open(ctx, plan.redactedJsonBlobKey) : undefined;
}
