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
  { table: 'run_tasks', idColumn: 'id', sealedColumn: 'sealed_hmac_key', rowName: 'run task' },
  { table: 'notification_configurations', idColumn: 'id', sealedColumn: 'sealed_token', rowName: 'notification configuration' },
  { table: 'ssh_keys', idColumn: 'id', sealedColumn: 'sealed_value', rowName: 'ssh key' },
  { table: 'policy_set_parameters', idColumn: 'id', sealedColumn: 'sealed_value', rowName: 'policy set parameter' },
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

const ENCRYPTION_KEY_CHECK = 'encryption-key-check';

/** The check value of the encryption key the installation uses, if one was recorded. */
export async function findKeyCheck(db: Db): Promise<string | undefined> {
  return (await db.selectFrom('installation_facts').select('value').where('name', '=', ENCRYPTION_KEY_CHECK).executeTakeFirst())?.value;
}

/** Records the check value when none is recorded yet; returns the one recorded (another replica's, if it came first). */
export async function recordKeyCheck(db: Db, check: string): Promise<string> {
  await db
    .insertInto('installation_facts')
    .values({ name: ENCRYPTION_KEY_CHECK, value: check })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await findKeyCheck(db)) ?? check;
}

/** Replaces the check value `previous` with `check` (a key rotation); false when another value is recorded. */
export async function replaceKeyCheck(db: Db, previous: string, check: string): Promise<boolean> {
  const result = await db
    .updateTable('installation_facts')
    .set({ value: check })
    .where('name', '=', ENCRYPTION_KEY_CHECK)
    .where('value', '=', previous)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
