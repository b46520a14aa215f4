import type { Db } from '../db/database.js';
import type { VariableRow } from '../db/schema.js';
import type { VariableCategory } from '../variables/rules.js';

/** A variable of a variable set as the API shows it: the value is null when sensitive (only its sealed form is stored). */
export interface VariableSetVariable {
  id: string;
  variableSetId: string;
  key: string;
  value: string | null;
  description: string;
  category: VariableCategory;
  hcl: boolean;
  sensitive: boolean;
  versionId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** With the sealed value of a sensitive variable, for internal use (runs); never serialized. */
export interface StoredVariableSetVariable extends VariableSetVariable {
  sealedValue: string | null;
}

function toStored(row: VariableRow): StoredVariableSetVariable {
  return {
    id: row.id,
    variableSetId: row.variable_set_id as string,
    key: row.key,
    value: row.value,
    sealedValue: row.sealed_value,
    description: row.description,
    category: row.category as VariableCategory,
    hcl: row.hcl,
    sensitive: row.sensitive,
    versionId: row.version_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toVariable(row: VariableRow): VariableSetVariable {
  const { sealedValue: _, ...variable } = toStored(row);
  return variable;
}

/** The unique index on (variable_set_id, category, key): one key per set and category. */
export const SET_KEY_CONSTRAINT = 'variables_variable_set_key';

/** The stored columns of a variable; `value` and `sealedValue` are exclusive (one of them is null). */
export interface VariableFields {
  key: string;
  value: string | null;
  sealedValue: string | null;
  description: string;
  category: VariableCategory;
  hcl: boolean;
  sensitive: boolean;
  versionId: string;
}

function columns(fields: VariableFields) {
  return {
    key: fields.key,
    value: fields.value,
    sealed_value: fields.sealedValue,
    description: fields.description,
    category: fields.category,
    hcl: fields.hcl,
    sensitive: fields.sensitive,
    version_id: fields.versionId,
  };
}

export async function insert(db: Db, variable: VariableFields & { id: string; variableSetId: string; now: Date }): Promise<VariableSetVariable> {
  const row = await db
    .insertInto('variables')
    .values({ id: variable.id, variable_set_id: variable.variableSetId, ...columns(variable), created_at: variable.now, updated_at: variable.now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toVariable(row);
}

/** A variable of one set; locked for update when `forUpdate`. */
export async function findById(db: Db, setId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<StoredVariableSetVariable | undefined> {
  let query = db.selectFrom('variables').selectAll().where('id', '=', id).where('variable_set_id', '=', setId);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toStored(row);
}

export async function update(db: Db, id: string, fields: VariableFields & { now: Date }): Promise<VariableSetVariable> {
  const row = await db
    .updateTable('variables')
    .set({ ...columns(fields), updated_at: fields.now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toVariable(row);
}

export async function deleteById(db: Db, setId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('variables').where('id', '=', id).where('variable_set_id', '=', setId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function ofSets(db: Db, setIds: readonly string[]) {
  return db.selectFrom('variables').selectAll().where('variable_set_id', 'in', setIds).orderBy('created_at').orderBy('id');
}

/** A page of one set's variables, oldest first, and the total. */
export async function selectPage(
  db: Db,
  setId: string,
  window: { limit: number; offset: number },
): Promise<{ variables: VariableSetVariable[]; total: number }> {
  const [rows, count] = await Promise.all([
    ofSets(db, [setId]).limit(window.limit).offset(window.offset).execute(),
    db
      .selectFrom('variables')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('variable_set_id', '=', setId)
      .executeTakeFirstOrThrow(),
  ]);
  return { variables: rows.map(toVariable), total: Number(count.n) };
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
