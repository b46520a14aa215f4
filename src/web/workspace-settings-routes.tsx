import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, ConflictError, type DomainError, InvalidError, NotFoundError } from '../errors.js';
import * as projectService from '../projects/service.js';
import * as variableSetService from '../variable-sets/service.js';
import * as variableService from '../variables/service.js';
import * as lockService from '../workspaces/lock-service.js';
import * as workspaceService from '../workspaces/service.js';
import { formField, requireSignIn, userOf } from './session-hook.js';
import { seeOther, sendPage } from './send.js';
import { workspacePath, workspaceSettingsPath, workspacesPath } from './paths.js';
import { type VariableValues, VariableEditPage, VariableSetsPage, VariablesPage, variableValuesOf } from './workspace-variable-pages.js';
import { DeletePage, type GeneralValues, GeneralPage, generalValuesOf, type NewWorkspaceValues, NewWorkspacePage } from './workspace-settings-pages.js';

export type WorkspaceParams = { org: string; name: string };
export type WorkspaceRequest<P = object> = FastifyRequest<{ Params: WorkspaceParams & P }>;

/** The most rows a settings list shows: the API's largest page. */
export const SETTINGS_LIST_SIZE = 100;
export const FIRST_PAGE = { number: 1, size: SETTINGS_LIST_SIZE };

/** The workspace the address names, as the user sees it: a 404 page for who may not read it. */
export function workspaceViewOf(request: WorkspaceRequest): Promise<workspaceService.WorkspaceView> {
  return workspaceService.show(request.ctx, { organizationName: request.params.org, name: request.params.name });
}

/**
 * Runs a form's write; a refusal of what was posted (invalid, conflicting) comes back to be shown on the
 * form with its status, instead of as a page of its own. Any other error (a 404 for who may not) is the page's.
 */
export async function refusalOf(write: () => Promise<unknown>): Promise<DomainError | undefined> {
  try {
    await write();
    return undefined;
  } catch (err) {
    if (err instanceof InvalidError || err instanceof ConflictError || err instanceof BadRequestError) return err;
    throw err;
  }
}

/** A checkbox's state: browsers post a checked box and leave an unchecked one out. */
export function checked(request: FastifyRequest, name: string): boolean {
  return formField(request, name) !== undefined;
}

/** A form's text field; absent is empty, as a browser posts an empty field. */
export function text(request: FastifyRequest, name: string): string {
  return formField(request, name) ?? '';
}

/** The projects the user may create workspaces in; none: no create form. */
export async function creatableProjects(request: FastifyRequest, org: string): Promise<projectService.ProjectView[]> {
  const options = { filter: {}, descending: false, requiredActions: ['workspace:create'] as const, withBindings: false, page: FIRST_PAGE };
  return (await projectService.list(request.ctx, org, options)).items;
}

/** The execution settings of a form: empty follows the organization; a pool only with the agent mode. */
function executionInput(mode: string, agentPoolId: string): workspaceService.WorkspaceInput {
  if (mode === '') return { overwritesExecutionMode: false };
  return { executionMode: mode, ...(mode === 'agent' ? { agentPoolId: agentPoolId.trim() || undefined } : {}) };
}

function variableValuesFrom(request: FastifyRequest): VariableValues {
  return {
    key: text(request, 'key').trim(),
    value: text(request, 'value'),
    description: text(request, 'description'),
    category: text(request, 'category'),
    hcl: checked(request, 'hcl'),
    sensitive: checked(request, 'sensitive'),
  };
}

function sendGeneral(
  request: WorkspaceRequest,
  reply: FastifyReply,
  status: number,
  view: workspaceService.WorkspaceView,
  values: GeneralValues,
  error?: string,
) {
  return sendPage(reply, status, <GeneralPage user={userOf(request)} view={view} values={values} error={error} />);
}

/** Creating a workspace, locking it, and its general, variables, variable sets and delete settings. */
export async function workspaceSettingsRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireSignIn);
  const workspace = '/app/:org/workspaces/:name';
  const settings = `${workspace}/settings`;

  app.post<{ Params: { org: string } }>('/app/:org/workspaces', async (request, reply) => {
    const { org } = request.params;
    const values: NewWorkspaceValues = {
      name: text(request, 'name').trim(),
      projectId: text(request, 'project'),
      executionMode: text(request, 'execution-mode'),
      autoApply: checked(request, 'auto-apply'),
    };
    const input = { name: values.name, projectId: values.projectId || undefined, autoApply: values.autoApply, ...executionInput(values.executionMode, '') };
    const error = await refusalOf(() => workspaceService.create(request.ctx, org, input));
    if (!error) return seeOther(reply, workspacePath(org, values.name));
    const projects = await creatableProjects(request, org);
    return sendPage(reply, error.status, <NewWorkspacePage user={userOf(request)} org={org} projects={projects} values={values} error={error.message} />);
  });

  for (const [action, act] of [
    ['lock', (request: WorkspaceRequest, id: string) => lockService.lock(request.ctx, id, text(request, 'reason'))],
    ['unlock', (request: WorkspaceRequest, id: string) => lockService.unlock(request.ctx, id)],
    ['force-unlock', (request: WorkspaceRequest, id: string) => lockService.forceUnlock(request.ctx, id)],
  ] as const) {
    app.post<{ Params: WorkspaceParams }>(`${workspace}/${action}`, async (request, reply) => {
      const { workspace: found } = await workspaceViewOf(request);
      await act(request, found.id);
      return seeOther(reply, workspacePath(request.params.org, request.params.name));
    });
  }

  app.get<{ Params: WorkspaceParams }>(settings, async (request, reply) => {
    const view = await workspaceViewOf(request);
    return sendGeneral(request, reply, 200, view, generalValuesOf(view));
  });

  app.post<{ Params: WorkspaceParams }>(settings, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const values: GeneralValues = {
      executionMode: text(request, 'execution-mode'),
      agentPoolId: text(request, 'agent-pool-id'),
      autoApply: checked(request, 'auto-apply'),
      terraformVersion: text(request, 'terraform-version').trim(),
      workingDirectory: text(request, 'working-directory').trim(),
      description: text(request, 'description'),
    };
    const input: workspaceService.WorkspaceInput = {
      ...executionInput(values.executionMode, values.agentPoolId),
      autoApply: values.autoApply,
      terraformVersion: values.terraformVersion,
      workingDirectory: values.workingDirectory,
      description: values.description,
    };
    const error = await refusalOf(() => workspaceService.update(request.ctx, { id: view.workspace.id }, input));
    if (error) return sendGeneral(request, reply, error.status, view, values, error.message);
    return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name));
  });

  app.get<{ Params: WorkspaceParams }>(`${settings}/delete`, async (request, reply) => {
    const view = await workspaceViewOf(request);
    if (!view.allowed.has('workspace:delete')) throw new NotFoundError(`workspace ${request.params.name} not found`);
    return sendPage(reply, 200, <DeletePage user={userOf(request)} view={view} />);
  });

  app.post<{ Params: WorkspaceParams }>(`${settings}/delete`, async (request, reply) => {
    const view = await workspaceViewOf(request);
    if (!view.allowed.has('workspace:delete')) throw new NotFoundError(`workspace ${request.params.name} not found`);
    const refuse = (status: number, message: string) => sendPage(reply, status, <DeletePage user={userOf(request)} view={view} error={message} />);
    if (text(request, 'confirm') !== view.workspace.name) return refuse(422, 'Type the name of the workspace to confirm deleting it.');
    const selector = { id: view.workspace.id };
    const force = text(request, 'mode') === 'force';
    const error = await refusalOf(() => (force ? workspaceService.destroy(request.ctx, selector) : workspaceService.safeDestroy(request.ctx, selector)));
    if (error) return refuse(error.status, error.message);
    return seeOther(reply, workspacesPath(request.params.org));
  });

  const variables = `${settings}/variables`;
  const listVariables = async (request: WorkspaceRequest) =>
    (await variableService.list(request.ctx, { organizationName: request.params.org, workspaceName: request.params.name })).map((v) => v.variable);

  app.get<{ Params: WorkspaceParams }>(variables, async (request, reply) => {
    const view = await workspaceViewOf(request);
    return sendPage(reply, 200, <VariablesPage user={userOf(request)} view={view} variables={await listVariables(request)} />);
  });

  app.post<{ Params: WorkspaceParams }>(variables, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const values = variableValuesFrom(request);
    const error = await refusalOf(() => variableService.create(request.ctx, { id: view.workspace.id }, values));
    if (!error) return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name, 'variables'));
    const page = <VariablesPage user={userOf(request)} view={view} variables={await listVariables(request)} values={values} error={error.message} />;
    return sendPage(reply, error.status, page);
  });

  type VariableParams = { variableId: string };
  const variableOf = async (request: WorkspaceRequest<VariableParams>) => {
    const view = await workspaceViewOf(request);
    const { variable } = await variableService.show(request.ctx, { variableId: request.params.variableId, workspaceId: view.workspace.id });
    return { view, variable };
  };

  app.get<{ Params: WorkspaceParams & VariableParams }>(`${variables}/:variableId`, async (request, reply) => {
    const { view, variable } = await variableOf(request);
    if (!view.allowed.has('workspace:manage-variables')) throw new NotFoundError(`variable ${variable.id} not found`);
    return sendPage(reply, 200, <VariableEditPage user={userOf(request)} view={view} variable={variable} values={variableValuesOf(variable)} />);
  });

  app.post<{ Params: WorkspaceParams & VariableParams }>(`${variables}/:variableId`, async (request, reply) => {
    const { view, variable } = await variableOf(request);
    const values = variableValuesFrom(request);
    const input = {
      key: values.key,
      // A sensitive variable's value is write-only: an empty field keeps the stored one.
      value: variable.sensitive && values.value === '' ? undefined : values.value,
      description: values.description,
      category: values.category,
      hcl: values.hcl,
      sensitive: values.sensitive || undefined,
    };
    const error = await refusalOf(() => variableService.update(request.ctx, { variableId: variable.id, workspaceId: view.workspace.id }, input));
    if (!error) return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name, 'variables'));
    const shown = { ...values, sensitive: values.sensitive || variable.sensitive };
    return sendPage(reply, error.status, <VariableEditPage user={userOf(request)} view={view} variable={variable} values={shown} error={error.message} />);
  });

  app.post<{ Params: WorkspaceParams & VariableParams }>(`${variables}/:variableId/delete`, async (request, reply) => {
    const { view, variable } = await variableOf(request);
    await variableService.destroy(request.ctx, { variableId: variable.id, workspaceId: view.workspace.id });
    return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name, 'variables'));
  });

  const variableSets = `${settings}/variable-sets`;
  app.get<{ Params: WorkspaceParams }>(variableSets, async (request, reply) => {
    const view = await workspaceViewOf(request);
    const options = { page: FIRST_PAGE, withVariables: false };
    const applied = await variableSetService.listForWorkspace(request.ctx, view.workspace.id, options);
    const applicable = view.allowed.has('workspace:manage-variables')
      ? (await variableSetService.listApplicable(request.ctx, view.workspace.id, options)).items.filter((set) => set.canUpdate)
      : [];
    return sendPage(reply, 200, <VariableSetsPage user={userOf(request)} view={view} applied={applied.items} applicable={applicable} />);
  });

  app.post<{ Params: WorkspaceParams }>(variableSets, async (request, reply) => {
    const view = await workspaceViewOf(request);
    await variableSetService.applyToWorkspaces(request.ctx, text(request, 'variable-set'), [view.workspace.id]);
    return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name, 'variable-sets'));
  });

  app.post<{ Params: WorkspaceParams & { setId: string } }>(`${variableSets}/:setId/remove`, async (request, reply) => {
    const view = await workspaceViewOf(request);
    await variableSetService.removeFromWorkspaces(request.ctx, request.params.setId, [view.workspace.id]);
    return seeOther(reply, workspaceSettingsPath(request.params.org, request.params.name, 'variable-sets'));
  });
}
