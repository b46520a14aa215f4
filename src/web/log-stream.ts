import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { readPhaseLog } from '../runs/log-service.js';
import type { PhaseKind } from '../runs/phase-store.js';
import type { RunView } from '../runs/service.js';
import * as runService from '../runs/service.js';
import { isFinal } from '../runs/state.js';
import { LogRenderer } from './log-lines.js';

/** How often the stream looks for new output and a new status: as often as the CLI polls a run. */
const POLL_MS = 500;
/** Most log bytes sent per phase per poll. */
const READ_LIMIT = 64 * 1024;
const NEWLINE = 0x0a;

/** One phase's log as it is sent: the bytes read, those held back until their line ends, and the style so far. */
class PhaseLog {
  private readonly renderer = new LogRenderer();
  private held = Buffer.alloc(0);
  isComplete = false;
  /** Whether the last read found new bytes. */
  grew = false;

  constructor(
    readonly kind: PhaseKind,
    /** Bytes sent, whole lines only: where a reconnecting browser resumes. */
    public sent: number,
  ) {}

  /** The new whole lines of the log as HTML ('' when none); everything once the log is complete. */
  async next(ctx: Ctx, phaseId: string): Promise<string> {
    const { bytes, isComplete } = await readPhaseLog(ctx, this.kind, phaseId, this.sent + this.held.length, READ_LIMIT);
    const available = Buffer.concat([this.held, bytes]);
    this.isComplete = isComplete;
    this.grew = bytes.length > 0;
    // Whole lines only: an escape sequence or a UTF-8 character is never cut in two.
    const end = isComplete ? available.length : available.lastIndexOf(NEWLINE) + 1;
    this.held = available.subarray(end);
    this.sent += end;
    return this.renderer.render(available.subarray(0, end).toString('utf8').replace(/\r\n?/g, '\n'));
  }
}

/** One Server-Sent Event; a multi-line payload becomes several `data:` lines, which the browser joins again. */
function event(name: string, data: string, id?: string): string {
  return `event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}${data
    .split('\n')
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;
}

/** The offsets a reconnecting browser sends back in Last-Event-ID: `<plan bytes>.<apply bytes>`. */
function resumeAt(request: FastifyRequest): [number, number] {
  const match = /^(\d+)\.(\d+)$/.exec(String(request.headers['last-event-id'] ?? ''));
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

/** What the stream asks of its page, with each poll's context. */
export interface RunStreamPage {
  /** The summary's HTML; sent again whenever it changes. */
  renderSummary: (ctx: Ctx, view: RunView) => Promise<string>;
  /** Whether the page's session still lives: a signed-out or expired session ends the stream. */
  isSignedIn: (ctx: Ctx) => Promise<boolean>;
}

/**
 * Streams a run as Server-Sent Events until it is over: its plan and apply logs as they grow
 * (`plan-log`, `apply-log`: HTML lines to append), its summary whenever the status or the actions
 * change (`summary`: `renderSummary`'s HTML), and `done` once the run is final and both logs complete.
 * Each poll checks the session and reads the run through the runs service, so access is checked as
 * the page's was. `shutdown` ends the stream: the server closing would otherwise wait for every open
 * run page.
 */
export async function streamRun(request: FastifyRequest, reply: FastifyReply, runId: string, page: RunStreamPage, shutdown: AbortSignal): Promise<void> {
  const ctx = request.ctx;
  let closed = false;
  request.raw.on('close', () => {
    closed = true;
  });
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  const [planAt, applyAt] = resumeAt(request);
  const logs = [new PhaseLog('plans', planAt), new PhaseLog('applies', applyAt)] as const;
  let summaryShown = '';
  try {
    while (!closed && !shutdown.aborted) {
      // A fresh memo each poll: a permission taken away meanwhile ends the stream.
      const pollCtx = { ...ctx, memo: new Map() };
      if (!(await page.isSignedIn(pollCtx))) break;
      const view = await runService.show(pollCtx, runId);
      const summary = await page.renderSummary(pollCtx, view);
      let out = summary === summaryShown ? '' : event('summary', summary);
      summaryShown = summary;
      const phaseIds = [view.plan.id, view.apply.id];
      for (const [i, log] of logs.entries()) {
        const html = await log.next(ctx, phaseIds[i] as string);
        if (html !== '') out += event(log.kind === 'plans' ? 'plan-log' : 'apply-log', html, `${logs[0].sent}.${logs[1].sent}`);
      }
      // A final run's phase that never ran (a discarded run's apply) has no log to wait for.
      const isOver = isFinal(view.run.status) && logs.every((log) => log.isComplete || !log.grew);
      if (isOver) out += event('done', '');
      if (out !== '') reply.raw.write(out);
      if (isOver) break;
      await sleep(POLL_MS, undefined, { signal: shutdown }).catch(() => undefined);
    }
  } catch (err) {
    request.log.warn({ err, runId }, 'run event stream ended');
  } finally {
    reply.raw.end();
  }
}
