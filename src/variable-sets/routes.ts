import { type DocumentParts, documentWith } from '../jsonapi/include-registry.js';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, DomainError, InvalidError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseResourceBody } from '../jsonapi/body.js';
import { document, toMany, toOne } from '../jsonapi/document.js';
import { IncludeParameters, IncludeQuery, parseInclude } from '../jsonapi/include.js';
import { listPage, type Page, PageParameters, PageQuery } from '../jsonapi/pagination.js';
import { QueryBoolean, QueryText, queryEnum, querySchema, withQuery } from '../jsonapi/query.js';
import { CreateVariableAttributes, UpdateVariableAttributes } from '../variables/variable-resource.js';
import { serializeVariable as serializeWorkspaceVariable } from '../variables/serialize.js';
import * as effectiveService from './effective-service.js';
import * as variableSetService from './service.js';
import * as variableSetVariableService from './variable-service.js';

import { serializeVariable } from './serialize.js';
import type { Paged } from '../db/paging.js';
const CreateAttributes = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()])),
  global: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Type.Boolean()),
});
const UpdateAttributes = Type.Partial(CreateAttributes);

/** `vars` from variable-sets.mdx "Available Related Resources"; go-tfe and the tfe provider also ask for `workspaces` and `projects`. */
const INCLUDES: readonly string[] = ['vars', 'workspaces', 'projects'];

const PROJECT_SCOPES: readonly variableSetService.ProjectListScope[] = ['owned', 'applied', 'shared', 'all'];

/** variable-sets.mdx "List Variable Sets" (of a workspace, or applicable to it) query parameters. */
const ListQuery = querySchema({ ...PageParameters, ...IncludeParameters, q: QueryText });
type ListQuery = Static<typeof ListQuery>;
/** An organization's list also filters global sets and those a project does not own. */
const OrganizationListQuery = querySchema({ ...ListQuery.properties, 'filter[global]': QueryBoolean, scope: queryEnum(['owned']) });
/** A project's list (variable-sets.mdx "List variable sets in a project"). */
const ProjectListQuery = querySchema({ ...ListQuery.properties, scope: queryEnum(PROJECT_SCOPES) });

/** What the documents below read of a request. */
type SetsRequest = Pick<FastifyRequest, 'ctx' | 'url'> & { query: IncludeQuery };

/**
 * Sets (a list, or one) with what `include=` names; a set's variables whenever they were loaded (the
 * create response shows the variables just created, as the doc's sample does).
 */
function setsDocument(request: SetsRequest, views: variableSetService.VariableSetView | variableSetService.VariableSetView[], parts: DocumentParts = {}) {
  const include = parseInclude(request.query, INCLUDES);
  if ((Array.isArray(views) ? views : [views]).some((v) => v.variables !== undefined)) include.add('vars');
  return documentWith(request.ctx, 'varsets', views, include, parts);
}

async function listDocument(request: SetsRequest & { query: PageQuery }, list: (page: Page) => Promise<Paged<variableSetService.VariableSetView>>) {
  const { items, parts } = await listPage(request, list);
  return setsDocument(request, items, parts);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The ids of a to-many linkage `{ data: [{ type, id }] }` at `pointer`. In a resource's relationships a
 * bad linkage is a 422; as a whole request document (the relationships endpoints) a wrong type is a 400.
 */
function identifiers(linkage: unknown, type: string, pointer: string, wrongType: 'invalid' | 'bad-request'): string[] {
  const data = isObject(linkage) ? linkage.data : undefined;
  if (!Array.isArray(data)) {
    if (wrongType === 'bad-request') throw new BadRequestError('the request must be a JSON:API document with a data array', { pointer: `${pointer}/data` });
    throw new InvalidError(`must be {"data": [{"type": "${type}", "id": …}]}`, { pointer });
  }
  return data.map((item, index) => {
    const at = `${pointer}/data/${index}`;
    if (!isObject(item) || typeof item.id !== 'string') throw new InvalidError(`must be {"type": "${type}", "id": …}`, { pointer: `${at}/id` });
    if (item.type !== type) {
      const message = `type must be "${type}"`;
      throw wrongType === 'bad-request' ? new BadRequestError(message, { pointer: `${at}/type` }) : new InvalidError(message, { pointer: `${at}/type` });
    }
    return item.id;
  });
}

/** The complete variable definitions of `relationships.vars` (variable-sets.mdx "Create a Variable Set"). */
function nestedVariables(relationships: Record<string, unknown>): variableSetService.VariableInput[] | undefined {
  const linkage = relationships.vars;
  if (linkage === undefined) return undefined;
  const base = '/data/relationships/vars';
  const data = isObject(linkage) ? linkage.data : undefined;
  if (!Array.isArray(data)) throw new InvalidError('vars must be {"data": [{"type": "vars", "attributes": …}]}', { pointer: base });
  return data.map((item, index) => {
    try {
      return parseResourceBody({ data: item }, 'vars', CreateVariableAttributes).attributes;
    } catch (err) {
      // Point into this item rather than at a top-level document.
      if (err instanceof DomainError && err.source && 'pointer' in err.source) {
        throw new InvalidError(err.message, { pointer: `${base}/data/${index}${err.source.pointer.replace(/^\/data/, '')}` });
      }
      throw err;
    }
  });
}

function parent(relationships: Record<string, unknown>): variableSetService.ParentInput | undefined {
  const linkage = relationships.parent;
  if (linkage === undefined) return undefined;
  const data = isObject(linkage) ? linkage.data : undefined;
  if (!isObject(data) || typeof data.type !== 'string' || typeof data.id !== 'string') {
    throw new InvalidError('parent must be {"data": {"type": "organizations" | "projects", "id": …}}', { pointer: '/data/relationships/parent' });
  }
  return { type: data.type, id: data.id };
}

function setInput(relationships: Record<string, unknown>) {
  const many = (name: string, type: string) =>
    relationships[name] === undefined ? undefined : identifiers(relationships[name], type, `/data/relationships/${name}`, 'invalid');
  return {
    workspaceIds: many('workspaces', 'workspaces'),
    projectIds: many('projects', 'projects'),
    variables: nestedVariables(relationships),
    parent: parent(relationships),
  };
}

function listOptions(query: ListQuery, page: Page) {
  return { search: query.q, page, withVariables: parseInclude(query, INCLUDES).has('vars') };
}

interface SetParams {
  varset_id: string;
}
interface VariableParams extends SetParams {
  var_id: string;
}

export async function variableSetRoutes(app: FastifyInstance): Promise<void> {
  const organizationSets = '/api/v2/organizations/:organization_name/varsets';
  app.get<{ Params: { organization_name: string }; Querystring: Static<typeof OrganizationListQuery> }>(
    organizationSets,
    withQuery(OrganizationListQuery),
    async (request, reply) => {
      const query = request.query;
      const list = (page: Page) =>
        variableSetService.listForOrganization(request.ctx, request.params.organization_name, {
          ...listOptions(query, page),
          isGlobal: query['filter[global]'],
          organizationOwnedOnly: query.scope === 'owned',
        });
      return reply.send(await listDocument(request, list));
    },
  );

  app.get<{ Params: { project_id: string }; Querystring: Static<typeof ProjectListQuery> }>(
    '/api/v2/projects/:project_id/varsets',
    withQuery(ProjectListQuery),
    async (request, reply) => {
      const query = request.query;
      const scope = query.scope ?? 'all';
      const list = (page: Page) => variableSetService.listForProject(request.ctx, request.params.project_id, { ...listOptions(query, page), scope });
      return reply.send(await listDocument(request, list));
    },
  );

  app.get<{ Params: { workspace_id: string }; Querystring: ListQuery }>(
    '/api/v2/workspaces/:workspace_id/applicable-varsets',
    withQuery(ListQuery),
    async (request, reply) => {
      const list = (page: Page) => variableSetService.listApplicable(request.ctx, request.params.workspace_id, listOptions(request.query, page));
      return reply.send(await listDocument(request, list));
    },
  );

  app.get<{ Params: { workspace_id: string }; Querystring: ListQuery }>(
    '/api/v2/workspaces/:workspace_id/varsets',
    withQuery(ListQuery),
    async (request, reply) => {
      const list = (page: Page) => variableSetService.listForWorkspace(request.ctx, request.params.workspace_id, listOptions(request.query, page));
      return reply.send(await listDocument(request, list));
    },
  );

  app.post<{ Params: { organization_name: string }; Querystring: IncludeQuery }>(organizationSets, withQuery(IncludeQuery), async (request, reply) => {
    const include = parseInclude(request.query, INCLUDES);
    const { attributes, relationships } = parseResourceBody(request.body, 'varsets', CreateAttributes);
    const input = { ...attributes, ...setInput(relationships) };
    // The doc's sample answer shows the variables just created.
    const withVariables = include.has('vars') || input.variables !== undefined;
    const view = await variableSetService.create(request.ctx, request.params.organization_name, input, { withVariables });
    // 201 as the OpenAPI spec has it (the doc's table says 200; clients accept both).
    return reply.code(201).send(await setsDocument(request, view));
  });

  app.get<{ Params: SetParams; Querystring: IncludeQuery }>('/api/v2/varsets/:varset_id', withQuery(IncludeQuery), async (request, reply) => {
    const withVariables = parseInclude(request.query, INCLUDES).has('vars');
    return reply.send(await setsDocument(request, await variableSetService.show(request.ctx, request.params.varset_id, { withVariables })));
  });

  // PUT and PATCH in variable-sets.mdx; POST in the OpenAPI spec (updateVarsetPost).
  app.route<{ Params: SetParams; Querystring: IncludeQuery }>({
    method: ['PATCH', 'PUT', 'POST'],
    url: '/api/v2/varsets/:varset_id',
    ...withQuery(IncludeQuery),
    handler: async (request, reply) => {
      const include = parseInclude(request.query, INCLUDES);
      const { attributes, relationships } = parseResourceBody(request.body, 'varsets', UpdateAttributes);
      const input = { ...attributes, ...setInput(relationships) };
      const withVariables = include.has('vars') || input.variables !== undefined;
      return reply.send(await setsDocument(request, await variableSetService.update(request.ctx, request.params.varset_id, input, { withVariables })));
    },
  });

  app.delete<{ Params: SetParams }>('/api/v2/varsets/:varset_id', async (request, reply) => {
    await variableSetService.destroy(request.ctx, request.params.varset_id);
    return reply.code(204).send();
  });

  const assignments = [
    { path: 'workspaces', apply: variableSetService.applyToWorkspaces, remove: variableSetService.removeFromWorkspaces },
    { path: 'projects', apply: variableSetService.applyToProjects, remove: variableSetService.removeFromProjects },
  ] as const;
  for (const { path, apply, remove } of assignments) {
    app.post<{ Params: SetParams }>(`/api/v2/varsets/:varset_id/relationships/${path}`, async (request, reply) => {
      await apply(request.ctx, request.params.varset_id, identifiers(request.body, path, '', 'bad-request'));
      return reply.code(204).send();
    });
    app.delete<{ Params: SetParams }>(`/api/v2/varsets/:varset_id/relationships/${path}`, async (request, reply) => {
      await remove(request.ctx, request.params.varset_id, identifiers(request.body, path, '', 'bad-request'));
      return reply.code(204).send();
    });
  }

  app.get<{ Params: SetParams; Querystring: PageQuery }>('/api/v2/varsets/:varset_id/relationships/vars', withQuery(PageQuery), async (request, reply) => {
    const { items: variables, parts } = await listPage(request, (page) => variableSetVariableService.list(request.ctx, request.params.varset_id, page));
    return reply.send(
      document(
        variables.map((v) => serializeVariable(v)),
        parts,
      ),
    );
  });

  app.post<{ Params: SetParams }>('/api/v2/varsets/:varset_id/relationships/vars', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'vars', CreateVariableAttributes);
    const variable = await variableSetVariableService.create(request.ctx, request.params.varset_id, attributes);
    return reply.code(201).send(document(serializeVariable(variable)));
  });

  app.get<{ Params: VariableParams }>('/api/v2/varsets/:varset_id/relationships/vars/:var_id', async (request, reply) => {
    const variable = await variableSetVariableService.show(request.ctx, request.params.varset_id, request.params.var_id);
    return reply.send(document(serializeVariable(variable)));
  });

  app.patch<{ Params: VariableParams }>('/api/v2/varsets/:varset_id/relationships/vars/:var_id', async (request, reply) => {
    const { attributes } = parseResourceBody(request.body, 'vars', UpdateVariableAttributes);
    const variable = await variableSetVariableService.update(request.ctx, request.params.varset_id, request.params.var_id, attributes);
    return reply.send(document(serializeVariable(variable)));
  });

  app.delete<{ Params: VariableParams }>('/api/v2/varsets/:varset_id/relationships/vars/:var_id', async (request, reply) => {
    await variableSetVariableService.destroy(request.ctx, request.params.varset_id, request.params.var_id);
    return reply.code(204).send();
  });

  // OpenAPI listAllVars: the variables the workspace's runs receive, its own and its sets'.
  app.get<{ Params: { workspace_id: string } }>('/api/v2/workspaces/:workspace_id/all-vars', async (request, reply) => {
    const accessible = await effectiveService.listAccessible(request.ctx, request.params.workspace_id);
    const data = accessible.map((entry) =>
      entry.source === 'workspace' ? serializeWorkspaceVariable(entry.view, 'workspace') : serializeVariable(entry.variable),
    );
    return reply.send(document(data));
  });

  // The OpenAPI spec's workspace view of a set's variables: which workspace variables they overwrite or lose to.
  app.get<{ Params: SetParams & { workspace_id: string } }>(
    '/api/v2/workspaces/:workspace_id/varsets/:varset_id/relationships/vars',
    async (request, reply) => {
      const entries = await effectiveService.listInWorkspace(request.ctx, request.params.workspace_id, request.params.varset_id);
      const data = entries.map((entry) =>
        serializeVariable(entry.variable, { overwritten: toMany('vars', entry.overwritten), overwriter: toOne('vars', entry.overwriter) }),
      );
      return reply.send(document(data));
    },
  );
}
