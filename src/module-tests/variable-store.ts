import type { Db } from '../db/database.js';
import { insertRow, type SealedValue, storedAttributes, updateRow, type VariableAttributes, type VariableFields } from '../variables/variable-rows.js';

/** A registry module's test environment variables: rows of `variables` owned by the module. */

export const MODULE_KEY_CONSTRAINT = 'variables_registry_module_key';

export type StoredTestVariable = VariableAttributes & SealedValue;

export async function insert(db: Db, moduleId: string, variable: VariableFields & { id: string; now: Date }): Promise<StoredTestVariable> {
  return storedAttributes(await insertRow(db, { registry_module_id: moduleId }, variable));
}

export async function findById(db: Db, moduleId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<StoredTestVariable | undefined> {
  let query = db.selectFrom('variables').selectAll().where('id', '=', id).where('registry_module_id', '=', moduleId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && storedAttributes(row);
}

export async function update(db: Db, id: string, fields: VariableFields & { now: Date }): Promise<StoredTestVariable> {
  return storedAttributes(await updateRow(db, id, fields));
}

export async function deleteById(db: Db, moduleId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('variables').where('id', '=', id).where('registry_module_id', '=', moduleId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function selectByModule(db: Db, moduleId: string): Promise<StoredTestVariable[]> {
  const rows = await db.selectFrom('variables').selectAll().where('registry_module_id', '=', moduleId).orderBy('created_at').orderBy('id').execute();
  return rows.map(storedAttributes);
}
