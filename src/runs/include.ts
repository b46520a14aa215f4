import { serializeConfigurationVersion } from '../configuration-versions/serialize.js';
import type { Ctx } from '../context.js';
import type { ResourceObject } from '../jsonapi/document.js';
import { serializeUser } from '../users/serialize.js';
import type { WorkspaceView } from '../workspaces/service.js';
import * as runService from './service.js';
import { serializeApply, serializePlan, serializeRun } from './serialize.js';

/** What `include=` names around runs (run.mdx "Available Related Resources"). */
export interface RunIncludes {
  plan: boolean;
  apply: boolean;
  createdBy: boolean;
  configurationVersion: boolean;
  workspace: boolean;
}

/**
 * The resources related to runs that `names` asks for. Workspaces come back as views for the caller
 * to serialize: the workspace serializer includes runs in turn, so this module cannot import it.
 */
export async function relatedToRuns(
  ctx: Ctx,
  views: readonly runService.RunView[],
  names: RunIncludes,
): Promise<{ included: ResourceObject[]; workspaces: WorkspaceView[] }> {
  const related = await runService.related(ctx, views, names);
  return {
    included: [
      ...(names.plan ? views.map((v) => serializePlan(v.plan, ctx)) : []),
      ...(names.apply ? views.map((v) => serializeApply(v.apply, ctx)) : []),
      ...related.users.map((user) => serializeUser(user)),
      ...related.configurationVersions.map(serializeConfigurationVersion),
    ],
    workspaces: related.workspaces,
  };
}

/**
 * A workspace list's or document's `current_run…` and `latest_run…` includes (workspaces.mdx
 * "Available Related Resources"): the runs the caller may read, and what is named after them.
 */
export async function runsOfWorkspaces(
  ctx: Ctx,
  workspaces: readonly { currentRunId: string | null; latestRunId: string | null }[],
  include: ReadonlySet<string>,
): Promise<ResourceObject[]> {
  const resources: ResourceObject[] = [];
  for (const relation of ['current_run', 'latest_run'] as const) {
    const names = [...include].filter((name) => name === relation || name.startsWith(`${relation}.`));
    if (names.length === 0) continue;
    const ids = workspaces.flatMap((w) => (relation === 'current_run' ? w.currentRunId : w.latestRunId) ?? []);
    const views = await runService.visibleViews(ctx, [...new Set(ids)]);
    const nested = new Set(names.map((name) => name.slice(relation.length + 1)));
    const { included } = await relatedToRuns(ctx, views, {
      plan: nested.has('plan'),
      apply: nested.has('apply'),
      createdBy: false,
      configurationVersion: nested.has('configuration_version') || nested.has('configuration_version.ingress_attributes'),
      workspace: false,
    });
    resources.push(...views.map(serializeRun), ...included);
  }
  return resources;
}
