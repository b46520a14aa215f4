import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '../errors.js';
import * as actionService from '../runs/action-service.js';
import * as runService from '../runs/service.js';
import * as workspaceService from '../workspaces/service.js';
import { streamRun } from './log-stream.js';
import { runPath } from './paths.js';
import { RunPage, RunSummary } from './run-page.js';
import { requireSignIn, userOf } from './session-hook.js';
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

const ACTIONS = { apply: actionService.apply, discard: actionService.discard, cancel: actionService.cancel } as const;

/** The run page, its event stream, and its action buttons (the runs service's actions, as the user). */
export async function runPageRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);
  const base = '/app/:org/workspaces/:name/runs/:runId';
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());

  app.get<{ Params: RunParams }>(base, async (request, reply) => {
    const view = await runInPath(request);
    return sendPage(reply, 200, <RunPage user={userOf(request)} org={request.params.org} workspace={request.params.name} view={view} />);
  });

  app.get<{ Params: RunParams }>(`${base}/events`, async (request, reply) => {
    const view = await runInPath(request);
    const user = userOf(request);
    const { org, name } = request.params;
    const renderSummary = async (current: runService.RunView) => <RunSummary user={user} org={org} workspace={name} view={current} />;
    await streamRun(request, reply, view.run.id, renderSummary, shutdown.signal);
  });

  app.post<{ Params: RunParams & { action: string } }>(`${base}/actions/:action`, async (request, reply) => {
    const act = ACTIONS[request.params.action as keyof typeof ACTIONS];
    if (!Object.hasOwn(ACTIONS, request.params.action) || !act) throw new NotFoundError(`no run action ${request.params.action}`);
    const { run } = await runInPath(request);
    await act(request.ctx, run.id, undefined);
    return seeOther(reply, runPath(request.params.org, request.params.name, run.id));
  });
}
