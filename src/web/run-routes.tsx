import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.js';
import { ConflictError, NotFoundError } from '../errors.js';
import * as actionService from '../runs/action-service.js';
import * as runService from '../runs/service.js';
import * as taskStageService from '../task-stages/service.js';
import * as workspaceService from '../workspaces/service.js';
import { streamRun } from './log-stream.js';
import { runPath } from './paths.js';
import { loadPlanChanges } from './plan-changes.js';
import { loadStageChecks } from './run-checks.js';
import { ForceCancelPage, type RunDetails, RunPage, RunSummary } from './run-page.js';
import { formField, readCookie, requireSignIn, SESSION_COOKIE, userOf } from './session-hook.js';
import * as sessionService from './session-service.js';
import { seeOther, sendPage } from './send.js';

type RunParams = { org: string; name: string; runId: string };

/** The run, through the runs service, and only under the workspace its address names: another workspace's run is a 404 here. */
async function runInPath(request: FastifyRequest<{ Params: RunParams }>): Promise<runService.RunView> {
  const { org, name, runId } = request.params;
  const [workspace, view] = await Promise.all([
    workspaceService.findAuthorized(request.ctx, { organizationName: org, name }, 'workspace:read-runs'),
    runService.show(request.ctx, runId),
  ]);
  if (view.run.workspaceId !== workspace.id) throw new NotFoundError(`run ${runId} not found`);
  return view;
}

/** The rest of what the run page shows of `view`. */
async function loadDetails(ctx: Ctx, view: runService.RunView): Promise<RunDetails> {
  const [events, checks, changes] = await Promise.all([runService.events(ctx, view.run.id), loadStageChecks(ctx, view), loadPlanChanges(ctx, view.plan)]);
  return { view, events, checks, changes };
}

const ACTIONS = {
  apply: actionService.apply,
  discard: actionService.discard,
  cancel: actionService.cancel,
  'force-cancel': actionService.forceCancel,
} as const;

/** The run page, its event stream, and its action buttons (the runs service's actions, as the user). */
export async function runPageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);
  const base = '/app/:org/workspaces/:name/runs/:runId';
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());

  app.get<{ Params: RunParams }>(base, async (request, reply) => {
    const details = await loadDetails(request.ctx, await runInPath(request));
    return sendPage(reply, 200, <RunPage user={userOf(request)} org={request.params.org} workspace={request.params.name} details={details} />);
  });

  app.get<{ Params: RunParams }>(`${base}/events`, async (request, reply) => {
    const view = await runInPath(request);
    const user = userOf(request);
    const { org, name } = request.params;
    const secret = readCookie(request, SESSION_COOKIE) ?? '';
    const sessionId = request.webSession?.id;
    const renderSummary = async (ctx: Ctx, current: runService.RunView) => (
      <RunSummary user={user} org={org} workspace={name} details={await loadDetails(ctx, current)} />
    );
    // Signing out or the session's end closes the page's stream too, not only its next page load.
    const isSignedIn = async (ctx: Ctx) => (await sessionService.resolve(ctx, secret))?.id === sessionId;
    await streamRun(request, reply, view.run.id, { renderSummary, isSignedIn }, shutdown.signal);
  });

  // Force-cancel asks first, on a page of its own: it ends the run without letting terraform stop.
  app.get<{ Params: RunParams }>(`${base}/force-cancel`, async (request, reply) => {
    const view = await runInPath(request);
    if (!view.allowed.has('workspace:force-cancel-run')) throw new NotFoundError(`run ${view.run.id} not found`);
    if (!view.actions.isForceCancelable) throw new ConflictError(`run ${view.run.id} is ${view.run.status}: it cannot be force-canceled now`);
    return sendPage(reply, 200, <ForceCancelPage user={userOf(request)} org={request.params.org} workspace={request.params.name} view={view} />);
  });

  app.post<{ Params: RunParams & { action: string } }>(`${base}/actions/:action`, async (request, reply) => {
    const act = ACTIONS[request.params.action as keyof typeof ACTIONS];
    if (!Object.hasOwn(ACTIONS, request.params.action) || !act) throw new NotFoundError(`no run action ${request.params.action}`);
    const { run } = await runInPath(request);
    const path = runPath(request.params.org, request.params.name, run.id);
    // A force-cancel posted without its confirmation page's field goes to that page.
    if (request.params.action === 'force-cancel' && formField(request, 'confirmed') !== 'yes') return seeOther(reply, `${path}/force-cancel`);
    await act(request.ctx, run.id, formField(request, 'comment') || undefined);
    return seeOther(reply, path);
  });

  app.post<{ Params: RunParams & { stageId: string } }>(`${base}/task-stages/:stageId/override`, async (request, reply) => {
    const { run } = await runInPath(request);
    const { stage } = await taskStageService.showStage(request.ctx, request.params.stageId);
    if (stage.runId !== run.id) throw new NotFoundError(`task stage ${request.params.stageId} not found`);
    await taskStageService.override(request.ctx, stage.id, formField(request, 'comment') || undefined);
    return seeOther(reply, runPath(request.params.org, request.params.name, run.id));
  });
}
