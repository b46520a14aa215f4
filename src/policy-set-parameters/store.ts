import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized } from '../db/rows.js';
import type { DB } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { Paged } from '../db/paging.js';

/** One key per set (migration 0042). */
export const KEY_CONSTRAINT = 'policy_set_parameters_key';

export interface PolicySetParameter {
  id: string;
  policySetId: string;
  key: string;
  /** The clear value; null for a sensitive parameter (write-only). */
  value: string | null;
  sensitive: boolean;
}

/** A parameter as stored: the sealed value of a sensitive one. */
export interface StoredParameter extends PolicySetParameter {
  sealedValue: string | null;
}

function toStored(row: Pick<Selectable<DB['policy_set_parameters']>, (typeof COLUMNS)[number]>): StoredParameter {
  return camelized(row);
}

const COLUMNS = ['id', 'policy_set_id', 'key', 'value', 'sealed_value', 'sensitive'] as const;

export async function insert(db: Db, parameter: StoredParameter): Promise<void> {
  await db
    .insertInto('policy_set_parameters')
    .values({
      id: parameter.id,
      policy_set_id: parameter.policySetId,
      key: parameter.key,
      value: parameter.value,
      sealed_value: parameter.sealedValue,
      sensitive: parameter.sensitive,
    })
    .execute();
}

export async function update(db: Db, parameter: StoredParameter): Promise<void> {
  await db
    .updateTable('policy_set_parameters')
    .set({ key: parameter.key, value: parameter.value, sealed_value: parameter.sealedValue, sensitive: parameter.sensitive })
    .where('id', '=', parameter.id)
    .execute();
}

export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('policy_set_parameters').where('id', '=', id).execute();
}

export async function findInSet(db: Db, policySetId: string, id: string): Promise<StoredParameter | undefined> {
  const row = await db.selectFrom('policy_set_parameters').select(COLUMNS).where('policy_set_id', '=', policySetId).where('id', '=', id).executeTakeFirst();
  return row && toStored(row);
}

export async function pageOfSet(db: Db, policySetId: string, window: PageWindow): Promise<Paged<StoredParameter>> {
  const { rows, total } = await pageAndTotal(
    db.selectFrom('policy_set_parameters').select(COLUMNS).where('policy_set_id', '=', policySetId).orderBy('key'),
    window,
  );
  return { items: rows.map(toStored), total };
}

/** Every parameter of the sets, sealed values included: for their evaluation. */
export async function ofSets(db: Db, policySetIds: readonly string[]): Promise<StoredParameter[]> {
  if (policySetIds.length === 0) return [];
  return (await db.selectFrom('policy_set_parameters').select(COLUMNS).where('policy_set_id', 'in', policySetIds).execute()).map(toStored);
}
