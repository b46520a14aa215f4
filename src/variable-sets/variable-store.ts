import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import type { VariableRow } from '../db/schema.js';
import {
  insertRow,
  type SealedValue,
  storedAttributes,
  updateRow,
  type VariableAttributes,
  type VariableFields,
  withoutSealedValue,
} from '../variables/variable-rows.js';
import type { Paged } from '../db/paging.js';

/** A variable of a variable set as the API shows it: the value is null when sensitive (only its sealed form is stored). */
export interface VariableSetVariable extends VariableAttributes {
  variableSetId: string;
}

/** With the sealed value of a sensitive variable, for internal use (runs); never serialized. */
export interface StoredVariableSetVariable extends VariableSetVariable, SealedValue {}

function toStored(row: VariableRow): StoredVariableSetVariable {
  return { ...storedAttributes(row), variableSetId: row.variable_set_id as string };
}

function toVariable(row: VariableRow): VariableSetVariable {
  return withoutSealedValue(toStored(row));
}

/** The unique index on (variable_set_id, category, key): one key per set and category. */
export const SET_KEY_CONSTRAINT = 'variables_variable_set_key';

export async function insert(db: Db, variable: VariableFields & { id: string; variableSetId: string; now: Date }): Promise<VariableSetVariable> {
  return toVariable(await insertRow(db, { variable_set_id: variable.variableSetId }, variable));
}

/** A variable of one set; locked for update when `forUpdate`. */
export async function findById(db: Db, setId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<StoredVariableSetVariable | undefined> {
  let query = db.selectFrom('variables').selectAll().where('id', '=', id).where('variable_set_id', '=', setId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toStored(row);
}

export async function update(db: Db, id: string, fields: VariableFields & { now: Date }): Promise<VariableSetVariable> {
  return toVariable(await updateRow(db, id, fields));
}

export async function deleteById(db: Db, setId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('variables').where('id', '=', id).where('variable_set_id', '=', setId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function ofSets(db: Db, setIds: readonly string[]) {
  return db.selectFrom('variables').selectAll().where('variable_set_id', 'in', setIds).orderBy('created_at').orderBy('id');
}

/** A page of one set's variables, oldest first, and the total. */
export async function selectPage(db: Db, setId: string, window: PageWindow): Promise<Paged<VariableSetVariable>> {
  const { rows, total } = await pageAndTotal(ofSets(db, [setId]), window);
  return { items: rows.map(toVariable), total };
}

/** Every variable of `setIds`, oldest first. */
export async function selectBySets(db: Db, setIds: readonly string[]): Promise<VariableSetVariable[]> {
  if (setIds.length === 0) return [];
  return (await ofSets(db, setIds).execute()).map(toVariable);
}

/** Every variable of `setIds` with sealed values, for runs. */
export async function selectStoredBySets(db: Db, setIds: readonly string[]): Promise<StoredVariableSetVariable[]> {
  if (setIds.length === 0) return [];
  return (await ofSets(db, setIds).execute()).map(toStored);
}

/**
 * The first variable of another global set of the organization with one of the given (category, key)
 * pairs: global sets may not share a key of the same category (variable-sets.mdx "Create a Variable Set").
 */
export async function findGlobalConflict(
  db: Db,
  organizationId: string,
  exceptSetId: string,
  pairs: ReadonlyArray<{ key: string; category: string }>,
): Promise<{ key: string; category: string; setName: string } | undefined> {
  if (pairs.length === 0) return undefined;
  const row = await db
    .selectFrom('variables')
    .innerJoin('variable_sets', 'variable_sets.id', 'variables.variable_set_id')
    .select(['variables.key', 'variables.category', 'variable_sets.name'])
    .where('variable_sets.organization_id', '=', organizationId)
    .where('variable_sets.is_global', '=', true)
    .where('variable_sets.id', '!=', exceptSetId)
    .where((eb) => eb.or(pairs.map((p) => eb.and([eb('variables.key', '=', p.key), eb('variables.category', '=', p.category)]))))
    .orderBy('variable_sets.name')
    .executeTakeFirst();
  return row && { key: row.key, category: row.category, setName: row.name };
}
