import type { Ctx } from '../context.js';
import { seal } from '../crypto/sealing.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { newVersionId, validateCategory, validateDescription, validateKey, validateValue } from '../variables/rules.js';
import { assertNoGlobalConflict, findAuthorized, prepareVariable, type VariableInput } from './service.js';
import * as variableSetStore from './store.js';
import * as variableSetVariableStore from './variable-store.js';

/** A variable of a set, and the set's id (named in its links). */
export type VariableSetVariable = variableSetVariableStore.VariableSetVariable;

/** Every attribute is optional; an absent one keeps its value. */
export type UpdateVariableInput = Partial<VariableInput>;

function variableNotFound(id: string): NotFoundError {
  return new NotFoundError(`variable ${id} not found`);
}

function duplicateKey(key: string): InvalidError {
  // 422, as for workspace variables; the unique index backs it against races.
  return new InvalidError(`key ${key} has already been taken in this variable set for this category`, { pointer: '/data/attributes/key' });
}

/** A page of the set's variables, oldest first (variable-sets.mdx "List Variables in a Variable Set"). */
export async function list(ctx: Ctx, setId: string, page: Page): Promise<{ variables: VariableSetVariable[]; total: number }> {
  await findAuthorized(ctx, setId, 'variable-set:read');
  return variableSetVariableStore.selectPage(ctx.db, setId, { limit: page.size, offset: pageOffset(page) });
}

export async function show(ctx: Ctx, setId: string, variableId: string): Promise<VariableSetVariable> {
  await findAuthorized(ctx, setId, 'variable-set:read');
  const stored = await variableSetVariableStore.findById(ctx.db, setId, variableId);
  if (!stored) throw variableNotFound(variableId);
  const { sealedValue: _, ...variable } = stored;
  return variable;
}

/** Adds a variable; in a global set its key and category must be free in every other global set. */
export async function create(ctx: Ctx, setId: string, input: VariableInput): Promise<VariableSetVariable> {
  const set = await findAuthorized(ctx, setId, 'variable-set:manage');
  const fields = prepareVariable(ctx, input);
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const locked = await variableSetStore.findById(trx, setId, { forUpdate: true });
      if (!locked) throw new NotFoundError(`variable set ${setId} not found`);
      if (locked.isGlobal) {
        await variableSetStore.lockOrganizationGlobalSets(trx, set.organizationId);
        await assertNoGlobalConflict(trx, set.organizationId, setId, [fields], () => '/data/attributes/key');
      }
      const now = ctx.now();
      const variable = await variableSetVariableStore.insert(trx, { ...fields, id: newId('var'), variableSetId: setId, now });
      await variableSetStore.touch(trx, setId, now);
      return variable;
    });
  } catch (err) {
    if (isUniqueViolation(err, variableSetVariableStore.SET_KEY_CONSTRAINT)) throw duplicateKey(fields.key);
    throw err;
  }
}

/**
 * Updates the given attributes with the workspace-variable rules (src/variables/service.ts): a sensitive
 * variable stays sensitive and keeps its sealed value unless given a new one (managing-variables.mdx
 * "Sensitive Values"); every update gets a new version-id.
 */
export async function update(ctx: Ctx, setId: string, variableId: string, input: UpdateVariableInput): Promise<VariableSetVariable> {
  const set = await findAuthorized(ctx, setId, 'variable-set:manage');
  const plaintext = input.value === undefined || input.value === null ? undefined : validateValue(input.value);
  const description = input.description === undefined ? undefined : validateDescription(input.description ?? '');
  let key = input.key ?? '';
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const locked = await variableSetStore.findById(trx, setId, { forUpdate: true });
      const existing = locked && (await variableSetVariableStore.findById(trx, setId, variableId, { forUpdate: true }));
      if (!locked || !existing) throw variableNotFound(variableId);
      const category = input.category === undefined ? existing.category : validateCategory(input.category);
      key = validateKey(input.key ?? existing.key, category);
      if (existing.sensitive && input.sensitive === false) {
        throw new InvalidError('a sensitive variable cannot be made non-sensitive; delete it and create a new one', { pointer: '/data/attributes/sensitive' });
      }
      if (locked.isGlobal && (key !== existing.key || category !== existing.category)) {
        await variableSetStore.lockOrganizationGlobalSets(trx, set.organizationId);
        await assertNoGlobalConflict(trx, set.organizationId, setId, [{ key, category }], () => '/data/attributes/key');
      }
      const sensitive = existing.sensitive || input.sensitive === true;
      const value = plaintext ?? existing.value ?? '';
      const keepSealed = existing.sensitive && plaintext === undefined;
      const now = ctx.now();
      const variable = await variableSetVariableStore.update(trx, existing.id, {
        key,
        value: sensitive ? null : value,
        sealedValue: !sensitive ? null : keepSealed ? existing.sealedValue : seal(ctx.config, value),
        description: description ?? existing.description,
        category,
        hcl: input.hcl ?? existing.hcl,
        sensitive,
        versionId: newVersionId(),
        now,
      });
      await variableSetStore.touch(trx, setId, now);
      return variable;
    });
  } catch (err) {
    if (isUniqueViolation(err, variableSetVariableStore.SET_KEY_CONSTRAINT)) throw duplicateKey(key);
    throw err;
  }
}

export async function destroy(ctx: Ctx, setId: string, variableId: string): Promise<void> {
  await findAuthorized(ctx, setId, 'variable-set:manage');
  const deleted = await ctx.db.transaction().execute(async (trx) => {
    if (!(await variableSetVariableStore.deleteById(trx, setId, variableId))) return false;
    await variableSetStore.touch(trx, setId, ctx.now());
    return true;
  });
  if (!deleted) throw variableNotFound(variableId);
}
