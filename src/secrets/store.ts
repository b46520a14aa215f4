import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { DB } from '../db/schema.js';

/** A text column of sealed values (crypto/sealing.ts), NULL where a row has none, and the table's primary key. */
export type SealedColumn = {
  [T in keyof DB & string]: {
    table: T;
    idColumn: keyof DB[T] & string;
    sealedColumn: keyof DB[T] & string;
    /** Names a row in errors, never its value: `run run-…`. */
    rowName: string;
  };
}[keyof DB & string];

/**
 * Every column that holds sealed values: a key rotation re-seals exactly these. A new sealed column
 * belongs here (secrets.test.ts checks that every `sealed_*` column of the schema is listed).
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'variables', idColumn: 'id', sealedColumn: 'sealed_value', rowName: 'variable' },
  { table: 'state_version_outputs', idColumn: 'id', sealedColumn: 'sealed_value', rowName: 'state version output' },
  { table: 'runs', idColumn: 'id', sealedColumn: 'sealed_variables', rowName: 'run' },
];

export interface SealedRow {
  id: string;
  sealed: string;
}

/** Up to `limit` sealed values with ids after `afterId`, in id order, locked for update (a rotation batch). */
export async function selectSealedBatch(db: Db, column: SealedColumn, afterId: string, limit: number): Promise<SealedRow[]> {
  const id = sql.ref(column.idColumn);
  const sealed = sql.ref(column.sealedColumn);
  const { rows } = await sql<SealedRow>`
    SELECT ${id} AS id, ${sealed} AS sealed FROM ${sql.table(column.table)}
    WHERE ${sealed} IS NOT NULL AND ${id} > ${afterId}
    ORDER BY ${id} LIMIT ${limit} FOR UPDATE`.execute(db);
  return rows;
}

export async function updateSealed(db: Db, column: SealedColumn, id: string, sealed: string): Promise<void> {
  await sql`UPDATE ${sql.table(column.table)} SET ${sql.ref(column.sealedColumn)} = ${sealed} WHERE ${sql.ref(column.idColumn)} = ${id}`.execute(db);
}
