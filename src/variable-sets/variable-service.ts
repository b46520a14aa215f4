import type { Ctx } from '../context.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { type Page, pageOffset } from '../jsonapi/pagination.js';
import { newVariableFields, prepareUpdate, type UpdateVariableInput, type VariableInput } from '../variables/rules.js';
import { withoutSealedValue } from '../variables/variable-rows.js';
import { assertNoGlobalConflict, findAuthorized } from './service.js';
import * as variableSetStore from './store.js';
import * as variableSetVariableStore from './variable-store.js';
import type { Paged } from '../db/paging.js';

/** A variable of a set, and the set's id (named in its links). */
export type VariableSetVariable = variableSetVariableStore.VariableSetVariable;

function variableNotFound(id: string): NotFoundError {
  return new NotFoundError(`variable ${id} not found`);
}

function duplicateKey(key: string): InvalidError {
  // 422, as for workspace variables; the unique index backs it against races.
  return new InvalidError(`key ${key} has already been taken in this variable set for this category`, { pointer: '/data/attributes/key' });
}

/** A page of the set's variables, oldest first (variable-sets.mdx "List Variables in a Variable Set"). */
export async function list(ctx: Ctx, setId: string, page: Page): Promise<Paged<VariableSetVariable>> {
  await findAuthorized(ctx, setId, 'variable-set:read');
  return variableSetVariableStore.selectPage(ctx.db, setId, { limit: page.size, offset: pageOffset(page) });
}

export async function show(ctx: Ctx, setId: string, variableId: string): Promise<VariableSetVariable> {
  await findAuthorized(ctx, setId, 'variable-set:read');
  const stored = await variableSetVariableStore.findById(ctx.db, setId, variableId);
  if (!stored) throw variableNotFound(variableId);
  return withoutSealedValue(stored);
}

/** Adds a variable; in a global set its key and category must be free in every other global set. */
export async function create(ctx: Ctx, setId: string, input: VariableInput): Promise<VariableSetVariable> {
  const set = await findAuthorized(ctx, setId, 'variable-set:manage');
  const fields = newVariableFields(ctx.config, input);
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

/** Updates the given attributes with the workspace-variable rules (`prepareUpdate` in src/variables/rules.ts). */
export async function update(ctx: Ctx, setId: string, variableId: string, input: UpdateVariableInput): Promise<VariableSetVariable> {
  const set = await findAuthorized(ctx, setId, 'variable-set:manage');
  const fieldsOf = prepareUpdate(ctx.config, input);
  let key = '';
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const locked = await variableSetStore.findById(trx, setId, { forUpdate: true });
      const existing = locked && (await variableSetVariableStore.findById(trx, setId, variableId, { forUpdate: true }));
      if (!locked || !existing) throw variableNotFound(variableId);
      const fields = fieldsOf(existing);
      key = fields.key;
      if (locked.isGlobal && (fields.key !== existing.key || fields.category !== existing.category)) {
        await variableSetStore.lockOrganizationGlobalSets(trx, set.organizationId);
        await assertNoGlobalConflict(trx, set.organizationId, setId, [fields], () => '/data/attributes/key');
      }
      const now = ctx.now();
      const variable = await variableSetVariableStore.update(trx, existing.id, { ...fields, now });
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
