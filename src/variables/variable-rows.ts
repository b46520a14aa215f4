import type { Db } from '../db/database.js';
import type { VariableRow } from '../db/schema.js';

/**
 * The `variables` table holds workspace variables, variable-set variables and registry modules' test
 * variables alike, told apart by which owner column is set. This is the part of their stores that does not depend on the owner.
 */

/** A variable's category: a Terraform variable or an environment variable. */
export type VariableCategory = 'terraform' | 'env';

/** The attributes every variable has, as the API shows them: the value is null when sensitive (only its sealed form is stored). */
export interface VariableAttributes {
  id: string;
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

/** The stored secret of a sensitive variable, for internal use (runs, rotation); never serialized. */
export interface SealedValue {
  sealedValue: string | null;
}

export function storedAttributes(row: VariableRow): VariableAttributes & SealedValue {
  return {
    id: row.id,
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

/** A stored variable as it may be shown: without its sealed value. */
export function withoutSealedValue<T extends SealedValue>(stored: T): Omit<T, 'sealedValue'> {
  const { sealedValue: _, ...variable } = stored;
  return variable;
}

/** The columns a write sets; `value` and `sealedValue` are exclusive (one of them is null). */
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

/** The owner column a new variable sets. */
export type VariableOwner = { workspace_id: string } | { variable_set_id: string } | { registry_module_id: string };

export async function insertRow(db: Db, owner: VariableOwner, variable: VariableFields & { id: string; now: Date }): Promise<VariableRow> {
  return db
    .insertInto('variables')
    .values({ id: variable.id, ...owner, ...columns(variable), created_at: variable.now, updated_at: variable.now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Updates a variable that the caller has locked in its transaction, so it still exists. */
export async function updateRow(db: Db, id: string, fields: VariableFields & { now: Date }): Promise<VariableRow> {
  return db
    .updateTable('variables')
    .set({ ...columns(fields), updated_at: fields.now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
