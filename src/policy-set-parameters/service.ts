import type { Ctx } from '../context.js';
import { open, seal } from '../crypto/sealing.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { findAuthorized } from '../policy-sets/service.js';
import * as parameterStore from './store.js';
import type { Paged } from '../db/paging.js';

export type { PolicySetParameter } from './store.js';

/**
 * Policy set parameters (policy-set-params.mdx): managed with "Manage Policies". A sensitive value is
 * write-only (sealed at rest, never in a response) and, like a variable's, stays sensitive once set.
 * They reach the set's policies as `data.parameters` (docs/design.md "Policies").
 */

export interface ParameterInput {
  key?: string | undefined;
  value?: string | undefined;
  category?: string | undefined;
  sensitive?: boolean | undefined;
}

const ATTRIBUTES = '/data/attributes';
/** A key Rego can name as `data.parameters.<key>`. */
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function invalid(attribute: string, message: string): InvalidError {
  return new InvalidError(message, { pointer: `${ATTRIBUTES}/${attribute}` });
}

/** What a response shows: never a sensitive value. */
function shown(parameter: parameterStore.StoredParameter): parameterStore.PolicySetParameter {
  const { sealedValue: _sealed, ...visible } = parameter;
  return visible;
}

function validate(input: ParameterInput): void {
  if (input.key !== undefined && !KEY_PATTERN.test(input.key)) {
    throw invalid('key', 'key must start with a letter or "_" and hold only letters, digits and "_" (up to 128)');
  }
  if (input.category !== undefined && input.category !== 'policy-set') throw invalid('category', 'category must be "policy-set"');
}

function duplicate(key: string | undefined): InvalidError {
  return invalid('key', `key ${key} has already been taken`);
}

/** The value columns: a sensitive value sealed, another in clear. */
function valueColumns(ctx: Ctx, value: string, sensitive: boolean): Pick<parameterStore.StoredParameter, 'value' | 'sealedValue'> {
  return sensitive ? { value: null, sealedValue: seal(ctx.config, value) } : { value, sealedValue: null };
}

export async function create(ctx: Ctx, policySetId: string, input: ParameterInput): Promise<parameterStore.PolicySetParameter> {
  const set = await findAuthorized(ctx, policySetId, 'policy-set:manage');
  if (input.key === undefined) throw invalid('key', 'key is required');
  if (input.category === undefined) throw invalid('category', 'category is required and must be "policy-set"');
  validate(input);
  const sensitive = input.sensitive ?? false;
  const parameter = { id: newId('var'), policySetId: set.id, key: input.key, sensitive, ...valueColumns(ctx, input.value ?? '', sensitive) };
  try {
    await parameterStore.insert(ctx.db, parameter);
  } catch (err) {
    if (isUniqueViolation(err, parameterStore.KEY_CONSTRAINT)) throw duplicate(input.key);
    throw err;
  }
  return shown(parameter);
}

export async function list(ctx: Ctx, policySetId: string, page: Page): Promise<Paged<parameterStore.PolicySetParameter>> {
  const set = await findAuthorized(ctx, policySetId, 'policy-set:read');
  const { items: parameters, total } = await parameterStore.pageOfSet(ctx.db, set.id, { limit: page.size, offset: pageOffset(page) });
  return { items: parameters.map(shown), total };
}

async function findParameter(ctx: Ctx, policySetId: string, id: string): Promise<parameterStore.StoredParameter> {
  const set = await findAuthorized(ctx, policySetId, 'policy-set:manage');
  const parameter = await parameterStore.findInSet(ctx.db, set.id, id);
  if (!parameter) throw new NotFoundError(`parameter ${id} not found`);
  return parameter;
}

export async function update(ctx: Ctx, policySetId: string, id: string, input: ParameterInput): Promise<parameterStore.PolicySetParameter> {
  const current = await findParameter(ctx, policySetId, id);
  validate(input);
  if (current.sensitive && input.sensitive === false) throw invalid('sensitive', 'a sensitive parameter cannot be made non-sensitive');
  const sensitive = input.sensitive ?? current.sensitive;
  // A value left out stays: for a sensitive parameter that means its sealed value.
  const value = input.value ?? (current.sensitive ? undefined : (current.value ?? ''));
  const columns = value === undefined ? { value: current.value, sealedValue: current.sealedValue } : valueColumns(ctx, value, sensitive);
  const updated = { ...current, key: input.key ?? current.key, sensitive, ...columns };
  try {
    await parameterStore.update(ctx.db, updated);
  } catch (err) {
    if (isUniqueViolation(err, parameterStore.KEY_CONSTRAINT)) throw duplicate(input.key);
    throw err;
  }
  return shown(updated);
}

export async function destroy(ctx: Ctx, policySetId: string, id: string): Promise<void> {
  const parameter = await findParameter(ctx, policySetId, id);
  await parameterStore.deleteById(ctx.db, parameter.id);
}

/** The sets' parameters as their policies read them, by set id, sensitive values opened. Internal: never serialized. */
export async function parametersForEvaluation(ctx: Pick<Ctx, 'db' | 'config'>, policySetIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const bySet = new Map<string, Record<string, string>>(policySetIds.map((id) => [id, {}]));
  for (const p of await parameterStore.ofSets(ctx.db, policySetIds)) {
    const values = bySet.get(p.policySetId);
    if (values) values[p.key] = p.sensitive ? open(ctx.config, p.sealedValue ?? '') : (p.value ?? '');
  }
  return bySet;
}
