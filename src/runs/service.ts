import { preloadWorkspaceAccess, workspaceReadScope } from '../auth/access.js';
import { allowedActions, authorize, can, type Target } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { open } from '../crypto/sealing.js';
import { NotifiedCache } from '../db/notified-cache.js';
import { NotFoundError } from '../errors.js';
import { isRunId, type RunId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import * as workspaceService from '../workspaces/service.js';
import * as eventStore from './event-store.js';
import * as runListStore from './list-store.js';
import type * as phaseStore from './phase-store.js';
import { type RunActions, type RunStatus, runActions } from './state.js';
import * as runStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { RunFilter, RunOperation } from './list-store.js';
export { RUN_OPERATIONS } from './list-store.js';
export type { Run } from './store.js';

/** A run variable (run.mdx "Create a Run"): the value is an HCL literal. */
export interface RunVariable {
  key: string;
  value: string;
}

/** A run as the caller sees it: its phases, its variables, what it allows now, what the caller may do. */
export interface RunView {
  run: runStore.Run;
  plan: phaseStore.Plan;
  apply: phaseStore.Phase;
  variables: RunVariable[];
  actions: RunActions;
  /** Set once a cancel was requested: when force-cancel becomes possible (run.mdx "Forcefully cancel a run"). */
  forceCancelAvailableAt: Date | null;
  allowed: ReadonlySet<Action>;
  /** The ids of the run's events, oldest first (the `run-events` relationship). */
  eventIds: string[];
}

/** The wait between a cancel and a force-cancel: the run gets the chance to stop cleanly first. TFE does not document its length. */
export const FORCE_CANCEL_COOL_OFF_MS = 10_000;

export function targetOf(run: runStore.Run): Target {
  return { organizationId: run.organizationId, projectId: run.projectId, workspaceId: run.workspaceId, description: `run ${run.id}` };
}

/** Loads a run and checks `action` on its workspace; unknown and not permitted are the same 404. */
export async function findAuthorized(ctx: Ctx, runId: string, action: Action): Promise<runStore.Run> {
  return authorized(ctx, runId, action, isRunId(runId) ? await runStore.findById(ctx.db, runId) : undefined);
}

async function authorized<R extends runStore.Run>(ctx: Ctx, runId: string, action: Action, run: R | undefined): Promise<R> {
  if (!run) throw new NotFoundError(`run ${runId} not found`);
  await authorize(ctx, action, targetOf(run));
  return run;
}

/** The run's own variables, opened (run.mdx `variables`). */
export function variablesOf(ctx: Pick<Ctx, 'config'>, run: Pick<runStore.Run, 'sealedVariables'>): RunVariable[] {
  return run.sealedVariables === null ? [] : (JSON.parse(open(ctx.config, run.sealedVariables)) as RunVariable[]);
}

/** The run's `actions` at `now`, and when force-cancel becomes possible (once a cancel was requested). */
export function actionsAt(run: runStore.Run, now: Date): { actions: RunActions; forceCancelAvailableAt: Date | null } {
  const forceCancelAvailableAt = run.cancelRequestedAt && new Date(run.cancelRequestedAt.getTime() + FORCE_CANCEL_COOL_OFF_MS);
  return {
    actions: runActions({ status: run.status, planOnly: run.planOnly, cancelRequestedAt: run.cancelRequestedAt, forceCancelAvailableAt, now }),
    forceCancelAvailableAt,
  };
}

/** Views of runs: their phases came with them, access is loaded in a few statements for all of them. */
export async function viewsOf(ctx: Ctx, runs: readonly runStore.RunWithPhases[]): Promise<RunView[]> {
  for (const organizationId of new Set(runs.map((r) => r.organizationId))) {
    const workspaces = runs.filter((r) => r.organizationId === organizationId).map((r) => ({ id: r.workspaceId, projectId: r.projectId }));
    await preloadWorkspaceAccess(ctx, organizationId, workspaces);
  }
  const now = ctx.now();
  const views: RunView[] = [];
  for (const run of runs) {
    views.push({
      run,
      plan: run.plan,
      apply: run.apply,
      variables: variablesOf(ctx, run),
      ...actionsAt(run, now),
      allowed: await allowedActions(ctx, targetOf(run)),
      eventIds: run.eventIds,
    });
  }
  return views;
}

export async function viewOf(ctx: Ctx, run: runStore.RunWithPhases): Promise<RunView> {
  const [view] = await viewsOf(ctx, [run]);
  return view as RunView;
}

/** The views of the runs with these ids that the caller may read; the others are left out (for `include=`). */
export async function visibleViews(ctx: Ctx, ids: readonly RunId[]): Promise<RunView[]> {
  const readable: runStore.RunWithPhases[] = [];
  for (const run of await runStore.findManyWithPhasesById(ctx.db, ids)) if (await can(ctx, 'workspace:read-runs', targetOf(run))) readable.push(run);
  return viewsOf(ctx, readable);
}

/** Reloads a run after a change and returns its view. */
export async function reload(ctx: Ctx, runId: RunId): Promise<RunView> {
  const run = await runStore.findWithPhasesById(ctx.db, runId);
  if (!run) throw new NotFoundError(`run ${runId} not found`);
  return viewOf(ctx, run);
}

export const RUN_CHANNEL = 'terrace_runs';

/**
 * Runs, plans and applies as shows read them (a run with its phases, events and task stages): what
 * the CLI polls while a run goes (log chunks are rows of their own and do not empty it). Only shows
 * answer from it; whatever may write reads the rows itself. Migration 0049's triggers NOTIFY its
 * channel on any change to a run, its phases, events or task stages (src/db/notified-cache.ts says
 * when else it is emptied); the caller's access and the run's actions at this moment are worked out
 * on every show.
 */
const shownRuns = new NotifiedCache(RUN_CHANNEL, 5_000, 10_000);

/** What a show of a run, plan or apply reads, under a key naming it, from the cache of shown runs. */
export function shownRead<T>(key: string, load: () => Promise<T>): Promise<T> {
  return shownRuns.get(key, load);
}

export async function show(ctx: Ctx, runId: string): Promise<RunView> {
  const run = isRunId(runId) ? await shownRead(`run:${runId}`, () => runStore.findWithPhasesById(ctx.db, runId)) : undefined;
  return viewOf(ctx, await authorized(ctx, runId, 'workspace:read-runs', run));
}

/** The events the run went through, oldest first. */
export async function events(ctx: Ctx, runId: string): Promise<eventStore.RunEvent[]> {
  const run = await findAuthorized(ctx, runId, 'workspace:read-runs');
  return eventStore.listForRun(ctx.db, run.id);
}

/**
 * The status of each workspace's latest run, by workspace id, for a list of workspaces: only where the
 * caller may read the workspace's runs (`allowed`, from the workspaces service), in one query.
 */
export async function latestRunStatuses(ctx: Ctx, workspaces: readonly workspaceService.WorkspaceView[]): Promise<Map<string, RunStatus>> {
  const ids = workspaces.flatMap(({ workspace, allowed }) => (workspace.latestRunId && allowed.has('workspace:read-runs') ? [workspace.latestRunId] : []));
  const runs = await runStore.findStatuses(ctx.db, ids);
  return new Map(runs.map((run) => [run.workspaceId, run.status]));
}

export interface ListOptions {
  filter: runListStore.RunFilter;
  page: Page;
}

export interface RunPage {
  views: RunView[];
  hasMore: boolean;
  /** Only for workspace lists: the organization list has no totals (run.mdx "List Runs in an Organization"). */
  total: number | undefined;
}

export async function list(ctx: Ctx, workspaceId: string, options: ListOptions): Promise<RunPage> {
  const workspace = await workspaceService.findAuthorized(ctx, { id: workspaceId }, 'workspace:read-runs');
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const page = await runListStore.selectPage(ctx.db, { workspaceId: workspace.id }, options.filter, window, true);
  return { views: await viewsOf(ctx, page.runs), hasMore: page.hasMore, total: page.total };
}

/** The organization's runs on the workspaces the caller may read runs of. */
export async function listForOrganization(ctx: Ctx, organizationName: string, options: ListOptions): Promise<RunPage> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const readScope = await workspaceReadScope(ctx, org.id);
  const scope = 'all' in readScope ? { organizationId: org.id } : { organizationId: org.id, teamIds: readScope.teamIds };
  const window = { limit: options.page.size, offset: pageOffset(options.page) };
  const page = await runListStore.selectPage(ctx.db, scope, options.filter, window, false);
  return { views: await viewsOf(ctx, page.runs), hasMore: page.hasMore, total: undefined };
}

/** A run in the organization's queue and its `position-in-queue`. */
export interface QueuedRunView extends RunView {
  positionInQueue: number;
}

/** The organization's queue for runners (runs/queue), as far as the caller may read runs. */
export async function queue(ctx: Ctx, organizationName: string, page: Page): Promise<Paged<QueuedRunView>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  const readScope = await workspaceReadScope(ctx, org.id);
  const scope = 'all' in readScope ? { organizationId: org.id } : { organizationId: org.id, teamIds: readScope.teamIds };
  const { runs, total } = await runListStore.selectQueuePage(ctx.db, scope, { limit: page.size, offset: pageOffset(page) });
  const views = await viewsOf(
    ctx,
    runs.map((r) => r.run),
  );
  return { items: views.map((view, i) => ({ ...view, positionInQueue: runs[i]?.position ?? 0 })), total };
}

/** How many of the organization's runs hold a runner and how many wait for one (`organization-capacity`). */
export async function capacity(ctx: Ctx, organizationName: string): Promise<{ organizationName: string; running: number; pending: number }> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'organization:read');
  return { organizationName: org.name, ...(await runListStore.countCapacity(ctx.db, org.id)) };
}
