import { type Static, Type } from '@sinclair/typebox';
import { includedDocument, includedPage } from '../jsonapi/include-registry.js';
import type { FastifyInstance } from 'fastify';
import { InvalidError } from '../errors.js';
import { MAX_TEXT_LENGTH, parseResourceBody, relationshipId } from '../jsonapi/body.js';
import { document } from '../jsonapi/document.js';
import { IncludeQuery, IncludeParameters, PagedIncludeQuery } from '../jsonapi/include.js';
import { type Page, PageParameters, paginationDocumentParts, parsePage } from '../jsonapi/pagination.js';
import { QueryText, querySchema, splitList, withQuery } from '../jsonapi/query.js';
import { MAX_VALUE_BYTES } from '../variables/rules.js';
import { actionRoutes } from './action-routes.js';
import { phaseRoutes } from './phase-routes.js';
import { serializeOrganizationCapacity, serializeRunEvent } from './serialize.js';
import * as runCreation from './create.js';
import * as runService from './service.js';
import { RUN_STATUS_GROUPS, RUN_STATUSES, type RunStatus } from './state.js';

const Flag = Type.Optional(Type.Union([Type.Boolean(), Type.Null()]));
const Text = Type.Optional(Type.Union([Type.String({ maxLength: MAX_TEXT_LENGTH }), Type.Null()]));
const Addresses = Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: MAX_TEXT_LENGTH })), Type.Null()]));

/** run.mdx "Create a Run" request body; null means the default. The rules are in the service. */
const CreateRunAttributes = Type.Object({
  message: Text,
  'is-destroy': Flag,
  refresh: Flag,
  'refresh-only': Flag,
  'replace-addrs': Addresses,
  'target-addrs': Addresses,
  variables: Type.Optional(Type.Union([Type.Array(Type.Object({ key: Type.String(), value: Type.String({ maxLength: MAX_VALUE_BYTES }) })), Type.Null()])),
  'plan-only': Flag,
  'auto-apply': Flag,
  'allow-empty-apply': Flag,
  'allow-config-generation': Flag,
  'save-plan': Flag,
  'terraform-version': Type.Optional(Type.Union([Type.String(), Type.Null()])),
  'debugging-mode': Flag,
});

function createInput(body: unknown): runCreation.CreateRunInput {
  const { attributes: a, relationships } = parseResourceBody(body, 'runs', CreateRunAttributes);
  const workspaceId = relationshipId(relationships, 'workspace', 'workspaces');
  if (workspaceId === undefined) throw new InvalidError('relationships.workspace is required', { pointer: '/data/relationships/workspace' });
  return {
    workspaceId,
    configurationVersionId: relationshipId(relationships, 'configuration-version', 'configuration-versions'),
    message: a.message ?? undefined,
    isDestroy: a['is-destroy'] ?? undefined,
    refresh: a.refresh ?? undefined,
    refreshOnly: a['refresh-only'] ?? undefined,
    replaceAddrs: a['replace-addrs'] ?? undefined,
    targetAddrs: a['target-addrs'] ?? undefined,
    variables: a.variables ?? undefined,
    planOnly: a['plan-only'] ?? undefined,
    autoApply: a['auto-apply'] ?? undefined,
    allowEmptyApply: a['allow-empty-apply'] ?? undefined,
    allowConfigGeneration: a['allow-config-generation'] ?? undefined,
    savePlan: a['save-plan'] ?? undefined,
    terraformVersion: a['terraform-version'] ?? undefined,
    debuggingMode: a['debugging-mode'] ?? undefined,
  };
}

/** run.mdx "Available Related Resources", plus `workspace` (cli-protocol.md §11.9) and `task_stages`, which the CLI asks for and which includes nothing. */
const INCLUDES = [
  'plan',
  'apply',
  'created_by',
  'cost_estimate',
  'configuration_version',
  'configuration_version.ingress_attributes',
  'workspace',
  'task_stages',
] as const;

/** run.mdx "List Runs in a Workspace" / "in an Organization" query parameters. */
const ListQuery = querySchema({
  ...PageParameters,
  ...IncludeParameters,
  'filter[status]': QueryText,
  'filter[status_group]': QueryText,
  'filter[operation]': QueryText,
  'filter[source]': QueryText,
  'filter[timeframe]': QueryText,
  'filter[workspace_names]': QueryText,
  'search[user]': QueryText,
  'search[commit]': QueryText,
  'search[basic]': QueryText,
});
type ListQuery = Static<typeof ListQuery>;

/** A comma-separated list whose values are each one of `allowed`. */
function listed<T extends string>(query: ListQuery, name: keyof ListQuery & `filter[${string}]`, allowed: readonly T[]): T[] | undefined {
  const values = splitList(query[name]);
  const unknown = values?.find((v) => !(allowed as readonly string[]).includes(v));
  if (unknown !== undefined) throw new InvalidError(`${name}: ${unknown} is not one of ${allowed.join(', ')}`, { parameter: name });
  return values as T[] | undefined;
}

/** `filter[timeframe]`: a year, or `year` for the last twelve months. */
function timeframe(raw: string | undefined, now: Date): { createdFrom?: Date; createdBefore?: Date } | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'year') return { createdFrom: new Date(now.getTime() - 365 * 24 * 3600 * 1000) };
  if (!/^\d{4}$/.test(raw)) throw new InvalidError('filter[timeframe] must be a year such as 2024, or "year"', { parameter: 'filter[timeframe]' });
  const year = Number(raw);
  return { createdFrom: new Date(Date.UTC(year, 0, 1)), createdBefore: new Date(Date.UTC(year + 1, 0, 1)) };
}

const STATUS_GROUPS = Object.keys(RUN_STATUS_GROUPS) as (keyof typeof RUN_STATUS_GROUPS)[];
/** Without `filter[operation]`, a workspace's list leaves plan-only runs out (run.mdx "List Runs in a Workspace"). */
const NOT_PLAN_ONLY = runService.RUN_OPERATIONS.filter((op) => op !== 'plan_only');

function listOptions(query: ListQuery, now: Date, forOrganization: boolean): runService.ListOptions {
  const statuses = listed(query, 'filter[status]', RUN_STATUSES);
  const [group, ...more] = listed(query, 'filter[status_group]', STATUS_GROUPS) ?? [];
  if (more.length > 0) throw new InvalidError('filter[status_group] takes one group', { parameter: 'filter[status_group]' });
  const grouped: readonly RunStatus[] | undefined = group && RUN_STATUS_GROUPS[group];
  // The organization list covers the last year unless told otherwise; the workspace list, all time.
  const period = timeframe(query['filter[timeframe]'], now) ?? (forOrganization ? timeframe('year', now) : undefined);
  const user = query['search[user]'] || undefined;
  const commit = query['search[commit]'] || undefined;
  return {
    filter: {
      statuses: grouped && statuses ? grouped.filter((s) => statuses.includes(s)) : (grouped ?? statuses),
      operations: listed(query, 'filter[operation]', runService.RUN_OPERATIONS) ?? (forOrganization ? undefined : NOT_PLAN_ONLY),
      sources: splitList(query['filter[source]']),
      ...period,
      user,
      commit,
      // search[user] and search[commit] take precedence over search[basic] (run.mdx).
      basic: user || commit ? undefined : query['search[basic]'] || undefined,
      workspaceNames: forOrganization ? splitList(query['filter[workspace_names]']) : undefined,
    },
    page: parsePage(query),
  };
}

/** The organization list's pagination: no totals, so no `last` (run.mdx "List Runs in an Organization"). */
function paginationWithoutTotals(url: URL, page: Page, hasMore: boolean) {
  const link = (n: number) => {
    const u = new URL(url);
    u.searchParams.set('page[number]', String(n));
    u.searchParams.set('page[size]', String(page.size));
    return u.toString();
  };
  const prev = page.number > 1 ? page.number - 1 : null;
  const next = hasMore ? page.number + 1 : null;
  return {
    links: { self: link(page.number), first: link(1), prev: prev === null ? null : link(prev), next: next === null ? null : link(next) },
    meta: { pagination: { 'current-page': page.number, 'page-size': page.size, 'prev-page': prev, 'next-page': next } },
  };
}

interface RunParams {
  run_id: string;
}

export async function runRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Querystring: IncludeQuery }>('/api/v2/runs', withQuery(IncludeQuery), async (request, reply) => {
    const view = await runCreation.create(request.ctx, createInput(request.body));
    return reply.code(201).send(await includedDocument(request, 'runs', view, INCLUDES));
  });

  app.get<{ Params: RunParams; Querystring: IncludeQuery }>('/api/v2/runs/:run_id', withQuery(IncludeQuery), async (request, reply) => {
    const view = await runService.show(request.ctx, request.params.run_id);
    return reply.send(await includedDocument(request, 'runs', view, INCLUDES));
  });

  app.get<{ Params: { workspace_id: string }; Querystring: ListQuery }>(
    '/api/v2/workspaces/:workspace_id/runs',
    withQuery(ListQuery),
    async (request, reply) => {
      const ctx = request.ctx;
      const options = listOptions(request.query, ctx.now(), false);
      const { views, total } = await runService.list(ctx, request.params.workspace_id, options);
      const parts = paginationDocumentParts(new URL(request.url, ctx.baseUrl), options.page, total ?? 0);
      return reply.send(await includedDocument(request, 'runs', views, INCLUDES, parts));
    },
  );

  app.get<{ Params: { organization_name: string }; Querystring: ListQuery }>(
    '/api/v2/organizations/:organization_name/runs',
    withQuery(ListQuery),
    async (request, reply) => {
      const ctx = request.ctx;
      const options = listOptions(request.query, ctx.now(), true);
      const { views, hasMore } = await runService.listForOrganization(ctx, request.params.organization_name, options);
      const parts = paginationWithoutTotals(new URL(request.url, ctx.baseUrl), options.page, hasMore);
      return reply.send(await includedDocument(request, 'runs', views, INCLUDES, parts));
    },
  );

  // The CLI reads these while its run is pending and is the workspace's current run (cli-protocol.md §6.9).
  const queue = '/api/v2/organizations/:organization_name/runs/queue';
  app.get<{ Params: { organization_name: string }; Querystring: PagedIncludeQuery }>(queue, withQuery(PagedIncludeQuery), async (request, reply) => {
    const ctx = request.ctx;
    return reply.send(await includedPage(request, 'runs', INCLUDES, (page) => runService.queue(ctx, request.params.organization_name, page)));
  });

  app.get<{ Params: { organization_name: string } }>('/api/v2/organizations/:organization_name/capacity', async (request, reply) => {
    return reply.send(document(serializeOrganizationCapacity(await runService.capacity(request.ctx, request.params.organization_name))));
  });

  // The CLI fails the command when this errors (cli-protocol.md §6.1, §11.10).
  app.get<{ Params: RunParams }>('/api/v2/runs/:run_id/run-events', async (request, reply) => {
    const events = await runService.events(request.ctx, request.params.run_id);
    return reply.send(document(events.map(serializeRunEvent)));
  });

  await app.register(actionRoutes);
  await app.register(phaseRoutes);
}
