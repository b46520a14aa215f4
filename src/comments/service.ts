import { can } from '../auth/authorize.js';
import type { Ctx } from '../context.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as eventStore from '../runs/event-store.js';
import * as runService from '../runs/service.js';
import * as runStore from '../runs/store.js';
import * as commentStore from './store.js';

export type { Comment } from './store.js';

/**
 * Run comments (comments.mdx): whoever may queue plans may comment (permissions.mdx "Run access":
 * plan "also allows users to comment on runs"), whoever reads the run reads them. A comment is also
 * an event of the run, which it names.
 */

/** The run event action of a comment. */
export const COMMENT_EVENT_ACTION = 'commented';

export async function create(ctx: Ctx, runId: string, body: string): Promise<commentStore.Comment> {
  const run = await runService.findAuthorized(ctx, runId, 'workspace:read-runs');
  // Who reads the run but may not comment is told so (403) rather than shown a 404.
  if (!(await can(ctx, 'workspace:queue-run', runService.targetOf(run))))
    throw new ForbiddenError(`commenting on run ${run.id} needs permission to queue plans`);
  const now = ctx.now();
  const actorId = ctx.subject.kind === 'user' ? ctx.subject.userId : null;
  const comment: commentStore.Comment = { id: newId('wsc'), runId: run.id, runEventId: newId('re'), body, createdById: actorId, createdAt: now };
  await ctx.db.transaction().execute(async (trx) => {
    await eventStore.insert(trx, { id: comment.runEventId, runId: run.id, action: COMMENT_EVENT_ACTION, description: body, actorId, createdAt: now });
    await commentStore.insert(trx, comment);
  });
  return comment;
}

export async function list(ctx: Ctx, runId: string): Promise<commentStore.Comment[]> {
  const run = await runService.findAuthorized(ctx, runId, 'workspace:read-runs');
  return commentStore.listForRun(ctx.db, run.id);
}

/** The comments of `ids` whose runs the caller may read. */
export async function visible(ctx: Ctx, ids: readonly string[]): Promise<commentStore.Comment[]> {
  const comments = await commentStore.findManyById(ctx.db, ids);
  const runs = new Map((await runStore.findManyById(ctx.db, [...new Set(comments.map((c) => c.runId))])).map((run) => [run.id, run]));
  const readable: commentStore.Comment[] = [];
  for (const comment of comments) {
    const run = runs.get(comment.runId);
    if (run && (await can(ctx, 'workspace:read-runs', runService.targetOf(run)))) readable.push(comment);
  }
  return readable;
}

export async function show(ctx: Ctx, id: string): Promise<commentStore.Comment> {
  const [comment] = await visible(ctx, [id]);
  if (!comment) throw new NotFoundError(`comment ${id} not found`);
  return comment;
}
