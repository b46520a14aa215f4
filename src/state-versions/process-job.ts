import { newId } from '../ids.js';
import type { JobContext, JobHandler } from '../queue/queue.js';
import * as outputService from '../state-version-outputs/service.js';
import * as resourceStore from './resource-store.js';
import { type ParsedState, parseState, StateParseError } from './state-parser.js';
import * as stateVersionStore from './store.js';
import { blobKey } from './upload-service.js';

const NOTHING: ParsedState = { stateVersion: null, terraformVersion: null, outputs: [], resources: [], providers: {}, modules: {}, instances: [] };

/** The parsed content; a state that is missing or not a state document counts as empty, so its version still completes. */
async function readState(ctx: JobContext, stateVersionId: string): Promise<ParsedState> {
  const source = await ctx.blobs.get(blobKey(stateVersionId, 'state'));
  if (!source) {
    ctx.log.warn({ stateVersionId }, 'state version has no content to parse');
    return NOTHING;
  }
  try {
    return await parseState(source);
  } catch (err) {
    // A read error is retried by the queue; content that is not a state never parses.
    if (!(err instanceof StateParseError)) throw err;
    ctx.log.warn({ stateVersionId, reason: err.message }, 'state version content is not a valid state');
    return NOTHING;
  }
}

/**
 * Fills a finalized version's resources, providers, modules, terraform-version and (unless
 * json-state-outputs gave them) outputs from its raw state, off the upload's path
 * (state-versions.mdx "populated asynchronously"). While the version is its workspace's current
 * one, the workspace's resource list and resource-count follow. Running it again changes nothing.
 */
export const processStateVersion: JobHandler = async (ctx, payload: { stateVersionId: string }) => {
  const version = await stateVersionStore.findById(ctx.db, payload.stateVersionId);
  if (version?.status !== 'finalized' || version.resourcesProcessed) return;
  const parsed = await readState(ctx, version.id);
  // One record per address: a malformed state repeating one must not fail the upsert.
  const records = new Map(parsed.instances.map((i) => [i.address, { ...i, id: newId('wsr') }]));
  await ctx.db.transaction().execute(async (trx) => {
    const workspace = await stateVersionStore.lockWorkspace(trx, version.workspaceId);
    const fresh = await stateVersionStore.findById(trx, version.id);
    if (!workspace || !fresh || fresh.resourcesProcessed) return;
    if (!fresh.outputsProcessed) await outputService.insert(trx, ctx.config, fresh.id, parsed.outputs);
    await stateVersionStore.markProcessed(trx, fresh.id, parsed);
    if (workspace.currentStateVersionId !== fresh.id) return;
    await resourceStore.replaceAll(trx, fresh.workspaceId, fresh.id, [...records.values()], ctx.now());
    await stateVersionStore.setResourceCount(trx, fresh.workspaceId, records.size);
  });
};
