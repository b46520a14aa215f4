import type { Ctx } from '../context.js';
import { open } from '../crypto/sealing.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { InvalidError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import * as moduleService from '../registry-modules/service.js';
import { ATTRIBUTES_POINTER, newVariableFields, prepareUpdate, type UpdateVariableInput, type VariableInput } from '../variables/rules.js';
import { type VariableAttributes, withoutSealedValue } from '../variables/variable-rows.js';
import * as testVariableStore from './variable-store.js';

/**
 * A module's test environment variables (tests.mdx "Create an Environment Variable for Module Tests"):
 * category `env` only, sensitive ones write-only and sealed, as workspace variables.
 */

const MANAGE = 'registry-module:manage';

function checkCategory(category: string | undefined): void {
  if (category !== undefined && category !== 'env') {
    throw new InvalidError('a test variable is an environment variable: category must be "env"', { pointer: `${ATTRIBUTES_POINTER}/category` });
  }
}

function duplicateKey(key: string): InvalidError {
  return new InvalidError(`key ${key} has already been taken for this module's tests`, { pointer: `${ATTRIBUTES_POINTER}/key` });
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`variable ${id} not found`);
}

export async function list(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress): Promise<VariableAttributes[]> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  return (await testVariableStore.selectByModule(ctx.db, module.id)).map(withoutSealedValue);
}

export async function create(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, input: VariableInput): Promise<VariableAttributes> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  checkCategory(input.category);
  const fields = newVariableFields(ctx.config, input);
  try {
    return withoutSealedValue(await testVariableStore.insert(ctx.db, module.id, { ...fields, id: newId('var'), now: ctx.now() }));
  } catch (err) {
    if (isUniqueViolation(err, testVariableStore.MODULE_KEY_CONSTRAINT)) throw duplicateKey(fields.key);
    throw err;
  }
}

export async function update(
  ctx: Ctx,
  organizationName: string,
  address: moduleService.ModuleAddress,
  id: string,
  input: UpdateVariableInput,
): Promise<VariableAttributes> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  checkCategory(input.category);
  const fieldsOf = prepareUpdate(ctx.config, input);
  let key = '';
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const existing = await testVariableStore.findById(trx, module.id, id, { forUpdate: true });
      if (!existing) throw notFound(id);
      const fields = fieldsOf(existing);
      key = fields.key;
      return withoutSealedValue(await testVariableStore.update(trx, id, { ...fields, now: ctx.now() }));
    });
  } catch (err) {
    if (isUniqueViolation(err, testVariableStore.MODULE_KEY_CONSTRAINT)) throw duplicateKey(key);
    throw err;
  }
}

export async function destroy(ctx: Ctx, organizationName: string, address: moduleService.ModuleAddress, id: string): Promise<void> {
  const module = await moduleService.authorizedModule(ctx, organizationName, address, MANAGE);
  if (!(await testVariableStore.deleteById(ctx.db, module.id, id))) throw notFound(id);
}

/** The module's test variables with sensitive values opened, for the test's agent only. Never serialize the result. */
export async function variablesForTest(ctx: Pick<Ctx, 'db' | 'config'>, moduleId: string): Promise<{ key: string; value: string; sensitive: boolean }[]> {
  return (await testVariableStore.selectByModule(ctx.db, moduleId)).map((v) => ({
    key: v.key,
    value: v.sensitive ? open(ctx.config, v.sealedValue ?? '') : (v.value ?? ''),
    sensitive: v.sensitive,
  }));
}
