import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WORKSPACE_ACCESS_LEVELS, type WorkspaceAccessLevel } from '../auth/access-levels.js';
import { signedUrl } from '../blobs/signed-url.js';
import { InvalidError, NotFoundError, ServiceUnavailableError } from '../errors.js';
import * as notificationService from '../notification-configurations/service.js';
import * as runTriggerService from '../run-triggers/service.js';
import * as outputService from '../state-version-outputs/service.js';
import * as stateVersionService from '../state-versions/service.js';
import { DOWNLOAD_URL_TTL_SECONDS, downloadPath } from '../state-versions/upload-service.js';
import * as teamWorkspaceService from '../team-workspace-access/service.js';
import * as teamService from '../teams/service.js';
import * as userService from '../users/service.js';
import * as workspaceService from '../workspaces/service.js';
import { workspaceSettingsPath } from './paths.js';
import { requireSignIn, userOf } from './session-hook.js';
import { seeOther, sendPage } from './send.js';
import {
  EMPTY_NOTIFICATION,
  type NotificationValues,
  NotificationsPage,
  RunTriggersPage,
  StateVersionsPage,
  TeamAccessPage,
} from './workspace-access-pages.js';
import { checked, FIRST_PAGE, refusalOf, text, type WorkspaceParams, type WorkspaceRequest, workspaceViewOf } from './workspace-settings-routes.js';

/** A form field that may repeat (checkboxes of one name): every posted value. */
function formList(request: FastifyRequest, name: string): string[] {
  const value = (request.body as Record<string, unknown> | null | undefined)?.[name];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function accessLevel(value: string): WorkspaceAccessLevel {
  const level = WORKSPACE_ACCESS_LEVELS.find((l) => l === value);
  if (!level) throw new InvalidError(`access must be one of ${WORKSPACE_ACCESS_LEVELS.join(', ')}`, { pointer: '/data/attributes/access' });
  return level;
}

function destinationType(value: string): notificationService.DestinationType {
  const type = notificationService.DESTINATION_TYPES.find((t) => t === value);
  if (!type) throw new InvalidError(`destination must be one of ${notificationService.DESTINATION_TYPES.join(', ')}`);
  return type;
}

/** A workspace's row of another resource, addressed under this workspace: another workspace's is a 404 here. */
function belongsTo<T>(row: T, rowWorkspaceId: string, workspaceId: string, what: string): T {
  if (rowWorkspaceId !== workspaceId) throw new NotFoundError(`${what} not found`);
  return row;
}

type IdParams = WorkspaceParams & { id: string };

/** Team access, state versions, notifications and run triggers of a workspace. */
export async function workspaceAccessRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);
  const settings = '/app/:org/workspaces/:name/settings';
  const back = (request: WorkspaceRequest, tab: string) => workspaceSettingsPath(request.params.org, request.params.name, tab);

  const teamAccess = `${settings}/team-access`;
  app.get<{ Params: WorkspaceParams }>(teamAccess, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const { organizationId } = view.workspace;
    const { rows } = await teamWorkspaceService.list(request.ctx, { workspaceId: view.workspace.id }, undefined);
    const teams = new Map((await teamService.visibleTeams(request.ctx, organizationId, [...new Set(rows.map((r) => r.teamId))])).map((t) => [t.id, t.name]));
    let addable: { id: string; name: string }[] = [];
    if (view.allowed.has('workspace:manage-team-access')) {
      const views = await teamService.list(request.ctx, request.params.org, { page: FIRST_PAGE }).then(
        (found) => found.items,
        // A workspace admin who may not list the organization's teams can still change the rows shown.
        (err) => (err instanceof NotFoundError ? [] : Promise.reject(err)),
      );
      const withAccess = new Set(rows.map((r) => r.teamId));
      addable = views.filter((t) => !withAccess.has(t.team.id)).map((t) => ({ id: t.team.id, name: t.team.name }));
    }
    const shown = rows.map((access) => ({ access, teamName: teams.get(access.teamId) ?? access.teamId }));
    return sendPage(reply, 200, <TeamAccessPage user={userOf(request)} view={view} rows={shown} addable={addable} />);
  });

  app.post<{ Params: WorkspaceParams }>(teamAccess, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const input = { workspaceId: view.workspace.id, teamId: text(request, 'team'), access: accessLevel(text(request, 'access')), permissions: {} };
    await teamWorkspaceService.create(request.ctx, input);
    return seeOther(reply, back(request, 'team-access'));
  });

  const accessOf = async (request: WorkspaceRequest<{ id: string }>) => {
    const view = await workspaceViewOf(request);
    const row = await teamWorkspaceService.show(request.ctx, request.params.id);
    return belongsTo(row, row.workspaceId, view.workspace.id, `team access ${request.params.id}`);
  };

  app.post<{ Params: IdParams }>(`${teamAccess}/:id`, async (request, reply) => {
    const row = await accessOf(request);
    await teamWorkspaceService.update(request.ctx, row.id, accessLevel(text(request, 'access')), {});
    return seeOther(reply, back(request, 'team-access'));
  });

  app.post<{ Params: IdParams }>(`${teamAccess}/:id/delete`, async (request, reply) => {
    const row = await accessOf(request);
    await teamWorkspaceService.destroy(request.ctx, row.id);
    return seeOther(reply, back(request, 'team-access'));
  });

  app.get<{ Params: WorkspaceParams }>(`${settings}/state-versions`, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const { org, name } = request.params;
    // The list checks read-state, as the API's; the download links are the API's signed URLs.
    const { items: views } = await stateVersionService.list(request.ctx, { organizationName: org, workspaceName: name, status: undefined, page: FIRST_PAGE });
    const creatorIds = [...new Set(views.flatMap((v) => (v.version.createdById ? [v.version.createdById] : [])))];
    const creators = new Map((await userService.visibleViews(request.ctx, creatorIds)).map((u) => [u.user.id, u.user.username]));
    const rows = views.map(({ version }) => ({
      version,
      creator: version.createdById ? (creators.get(version.createdById) ?? version.createdById) : '',
      downloadUrl: version.status === 'finalized' ? signedUrl(request.ctx, downloadPath(version.id, 'state'), DOWNLOAD_URL_TTL_SECONDS) : null,
    }));
    let outputs: outputService.OutputView[] | undefined;
    if (view.workspace.currentStateVersionId) {
      try {
        outputs = await outputService.listCurrent(request.ctx, view.workspace.id);
      } catch (err) {
        // Outputs still being processed: the page shows none rather than failing.
        if (!(err instanceof ServiceUnavailableError)) throw err;
      }
    }
    return sendPage(reply, 200, <StateVersionsPage user={userOf(request)} view={view} rows={rows} outputs={outputs} />);
  });

  const notifications = `${settings}/notifications`;
  const subscribable = (view: workspaceService.WorkspaceView) => ({ kind: 'workspace' as const, id: view.workspace.id });
  const notificationsPage = async (request: WorkspaceRequest, view: workspaceService.WorkspaceView, values?: NotificationValues, error?: string) => {
    const { items: configurations } = await notificationService.list(request.ctx, subscribable(view), FIRST_PAGE);
    return <NotificationsPage user={userOf(request)} view={view} configurations={configurations} values={values} error={error} />;
  };

  app.get<{ Params: WorkspaceParams }>(notifications, async (request, reply) => {
    const view = await workspaceViewOf(request);
    return sendPage(reply, 200, await notificationsPage(request, view));
  });

  app.post<{ Params: WorkspaceParams }>(notifications, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const values: NotificationValues = {
      name: text(request, 'name').trim(),
      destinationType: text(request, 'destination-type'),
      url: text(request, 'url').trim(),
      enabled: checked(request, 'enabled'),
      triggers: formList(request, 'triggers'),
      emailAddresses: text(request, 'email-addresses'),
    };
    const token = text(request, 'token');
    const error = await refusalOf(async () =>
      notificationService.create(request.ctx, subscribable(view), {
        destinationType: destinationType(values.destinationType),
        name: values.name,
        enabled: values.enabled,
        url: values.url || null,
        token: token || null,
        triggers: values.triggers,
        emailAddresses: values.emailAddresses
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      }),
    );
    if (!error) return seeOther(reply, back(request, 'notifications'));
    return sendPage(reply, error.status, await notificationsPage(request, view, values, error.message));
  });

  const configurationOf = async (request: WorkspaceRequest<{ id: string }>) => {
    const view = await workspaceViewOf(request);
    const configuration = await notificationService.show(request.ctx, request.params.id);
    return {
      view,
      configuration: belongsTo(configuration, configuration.subscribable.id, view.workspace.id, `notification configuration ${request.params.id}`),
    };
  };

  app.post<{ Params: IdParams }>(`${notifications}/:id/verify`, async (request, reply) => {
    const { view, configuration } = await configurationOf(request);
    const error = await refusalOf(() => notificationService.verify(request.ctx, configuration.id));
    if (!error) return seeOther(reply, back(request, 'notifications'));
    return sendPage(reply, error.status, await notificationsPage(request, view, EMPTY_NOTIFICATION, error.message));
  });

  app.post<{ Params: IdParams }>(`${notifications}/:id/delete`, async (request, reply) => {
    const { configuration } = await configurationOf(request);
    await notificationService.destroy(request.ctx, configuration.id);
    return seeOther(reply, back(request, 'notifications'));
  });

  const runTriggers = `${settings}/run-triggers`;
  const runTriggersPage = async (request: WorkspaceRequest, view: workspaceService.WorkspaceView, error?: string) => {
    const { items: triggers } = await runTriggerService.list(request.ctx, view.workspace.id, 'inbound', FIRST_PAGE);
    let sources: { id: string; name: string }[] = [];
    if (view.allowed.has('workspace:update')) {
      const options = { filter: {}, sort: { field: 'name' as const, descending: false }, page: FIRST_PAGE };
      const connected = new Set([view.workspace.id, ...triggers.map((t) => t.sourceableId)]);
      sources = (await workspaceService.list(request.ctx, request.params.org, options)).items
        .filter((v) => !connected.has(v.workspace.id))
        .map((v) => ({ id: v.workspace.id, name: v.workspace.name }));
    }
    return <RunTriggersPage user={userOf(request)} view={view} triggers={triggers} sources={sources} error={error} />;
  };

  app.get<{ Params: WorkspaceParams }>(runTriggers, async (request, reply) => {
    const view = await workspaceViewOf(request);
    return sendPage(reply, 200, await runTriggersPage(request, view));
  });

  app.post<{ Params: WorkspaceParams }>(runTriggers, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const error = await refusalOf(() => runTriggerService.create(request.ctx, view.workspace.id, text(request, 'source') || undefined));
    if (!error) return seeOther(reply, back(request, 'run-triggers'));
    return sendPage(reply, error.status, await runTriggersPage(request, view, error.message));
  });

  app.post<{ Params: IdParams }>(`${runTriggers}/:id/delete`, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const trigger = await runTriggerService.show(request.ctx, request.params.id);
    await runTriggerService.destroy(request.ctx, belongsTo(trigger, trigger.workspaceId, view.workspace.id, `run trigger ${trigger.id}`).id);
    return seeOther(reply, back(request, 'run-triggers'));
  });
}
