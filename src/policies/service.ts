import type { Readable } from 'node:stream';
import { authorize, filterPermitted } from '../auth/authorize.js';
import type { Action } from '../auth/permissions.js';
import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import * as organizationService from '../organizations/service.js';
import { PolicyConfigError, readModules } from '../policy-sets/policy-config.js';
import * as policyStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { Policy } from './store.js';

/**
 * Individual OPA policies (policies.mdx): a query and an enforcement level, and the Rego uploaded
 * apart (`PUT /policies/:id/upload`), members of policy sets that are not versioned. Managed with
 * "Manage Policies"; Sentinel policies are refused as Sentinel sets are.
 */

export interface PolicyInput {
  name?: string | undefined;
  description?: string | null | undefined;
  kind?: string | undefined;
  query?: string | undefined;
  enforcementLevel?: string | undefined;
  /** The deprecated `enforce` list: its one entry's mode is the enforcement level. */
  enforceMode?: string | undefined;
  policySetIds?: string[] | undefined;
}

const ATTRIBUTES = '/data/attributes';
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const QUERY = /^(data\.)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** policies.mdx "Upload a Policy": at most 10 MB, else 413. */
export const MAX_POLICY_BYTES = 10 * 1024 * 1024;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

const targetOf = (policy: policyStore.Policy) => ({ organizationId: policy.organizationId, description: `policy ${policy.id}` });

async function findAuthorized(ctx: Ctx, id: string, action: Action): Promise<policyStore.Policy> {
  const policy = await policyStore.findById(ctx.db, id);
  if (!policy) throw new NotFoundError(`policy ${id} not found`);
  await authorize(ctx, action, targetOf(policy));
  return policy;
}

/** OPA queries name a rule under data; the docs' sample leaves the `data.` out (`terraform.main`). */
function normalizedQuery(query: string): string {
  return query.startsWith('data.') ? query : `data.${query}`;
}

function enforcementLevel(input: PolicyInput): 'advisory' | 'mandatory' | undefined {
  const level = input.enforcementLevel ?? input.enforceMode;
  if (level === undefined) return undefined;
  if (level !== 'advisory' && level !== 'mandatory') {
    throw invalid('enforcement-level', 'enforcement-level must be advisory or mandatory for OPA policies');
  }
  return level;
}

function validate(input: PolicyInput): void {
  if (input.name !== undefined && !NAME_PATTERN.test(input.name)) throw invalid('name', 'name must be 1 to 128 letters, numbers, "-" and "_"');
  if (input.kind !== undefined && input.kind !== 'opa') {
    throw invalid('kind', `${input.kind} policies are not available: Terrace evaluates OPA (Rego) policies only; use kind "opa"`);
  }
  if (input.query !== undefined && !QUERY.test(input.query)) throw invalid('query', 'query must name a rule, e.g. data.terraform.policies.deny');
}

export async function readableViews(ctx: Ctx, ids: readonly string[]): Promise<policyStore.Policy[]> {
  return filterPermitted(ctx, 'policy-set:read', await policyStore.findManyById(ctx.db, ids), targetOf);
}

export async function show(ctx: Ctx, id: string): Promise<policyStore.Policy> {
  return findAuthorized(ctx, id, 'policy-set:read');
}

export async function list(ctx: Ctx, organizationName: string, search: string | undefined, page: Page): Promise<Paged<policyStore.Policy>> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'policy-set:read');
  return policyStore.pageInOrganization(ctx.db, org.id, search, { limit: page.size, offset: pageOffset(page) });
}

/**
 * Creates a policy (policies.mdx "Create a Policy"): name and query are required, the level is advisory by default;
 * the documented default kind is sentinel, so it must say opa. Its sets are joined with the policy.
 */
export async function create(
  ctx: Ctx,
  organizationName: string,
  input: PolicyInput,
  joinSets: (policyId: string, setIds: readonly string[]) => Promise<void>,
): Promise<policyStore.Policy> {
  const org = await organizationService.findAuthorized(ctx, organizationName, 'policy-set:manage');
  validate({ ...input, kind: input.kind ?? 'sentinel' });
  if (input.name === undefined) throw invalid('name', 'name is required');
  if (input.query === undefined) throw invalid('query', 'query is required for OPA policies');
  // "For OPA, the default enforcement level is advisory" (policies.mdx, on `enforce`).
  const level = enforcementLevel(input) ?? 'advisory';
  const id = newId('pol');
  try {
    await policyStore.insert(ctx.db, {
      id,
      organizationId: org.id,
      name: input.name,
      description: input.description ?? null,
      query: normalizedQuery(input.query),
      enforcementLevel: level,
      now: ctx.now(),
    });
  } catch (err) {
    if (isUniqueViolation(err, policyStore.NAME_CONSTRAINT)) throw invalid('name', `name ${input.name} has already been taken`);
    throw err;
  }
  if (input.policySetIds?.length) {
    try {
      await joinSets(id, input.policySetIds);
    } catch (err) {
      // All or nothing: a policy whose sets were refused is not kept.
      await policyStore.deleteById(ctx.db, id);
      throw err;
    }
  }
  return (await policyStore.findById(ctx.db, id)) as policyStore.Policy;
}

/** policies.mdx "Update a Policy": the description, query and enforcement level; the name stays. */
export async function update(ctx: Ctx, id: string, input: PolicyInput): Promise<policyStore.Policy> {
  const policy = await findAuthorized(ctx, id, 'policy-set:manage');
  if (input.name !== undefined && input.name !== policy.name) throw invalid('name', 'a policy cannot be renamed');
  validate(input);
  await policyStore.update(
    ctx.db,
    policy.id,
    { description: input.description, query: input.query && normalizedQuery(input.query), enforcementLevel: enforcementLevel(input) },
    ctx.now(),
  );
  return (await policyStore.findById(ctx.db, policy.id)) as policyStore.Policy;
}

export async function destroy(ctx: Ctx, id: string): Promise<void> {
  const policy = await findAuthorized(ctx, id, 'policy-set:manage');
  await ctx.db.transaction().execute((trx) => policyStore.deleteById(trx, policy.id));
}

/** `PUT /policies/:id/upload`: the Rego, compiled against the policy's query first (422 when it does not compile). */
export async function upload(ctx: Ctx, id: string, body: Readable): Promise<void> {
  const policy = await findAuthorized(ctx, id, 'policy-set:manage');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_POLICY_BYTES) throw new PayloadTooLargeError(`a policy is at most ${MAX_POLICY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const source = Buffer.concat(chunks).toString('utf8');
  try {
    await readModules(new Map([[`${policy.name}.rego`, source]]), [
      { name: policy.name, query: policy.query, enforcementLevel: policy.enforcementLevel, description: policy.description },
    ]);
  } catch (err) {
    if (err instanceof PolicyConfigError) throw new InvalidError(`the policy does not compile: ${err.message}`);
    throw err;
  }
  await policyStore.setBody(ctx.db, policy.id, source, ctx.now());
}

/** `GET /policies/:id/download`: the uploaded Rego. */
export async function download(ctx: Ctx, id: string): Promise<string> {
  const policy = await findAuthorized(ctx, id, 'policy-set:read');
  const body = await policyStore.findBody(ctx.db, policy.id);
  if (body === null) throw new NotFoundError(`policy ${id} has no uploaded code`);
  return body;
}
