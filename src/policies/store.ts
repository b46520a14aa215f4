import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { camelized, lookupsById, type RowOf, fromWithOrganization } from '../db/rows.js';
import type { Paged } from '../db/paging.js';

/** The case-insensitive unique index on a policy's name in its organization (migration 0043). */
export const NAME_CONSTRAINT = 'policies_name_key';

export interface Policy {
  id: string;
  organizationId: string;
  organizationName: string;
  name: string;
  description: string | null;
  query: string;
  enforcementLevel: 'advisory' | 'mandatory';
  hasBody: boolean;
  /** The sets it is a member of. */
  policySetIds: string[];
  createdAt: Date;
  updatedAt: Date | null;
}

export interface PolicyFields {
  description: string | null;
  query: string;
  enforcementLevel: 'advisory' | 'mandatory';
}

const POLICY_SET_IDS = sql<
  string[]
>`coalesce((select array_agg(t.policy_set_id order by t.policy_set_id) from policy_set_targets t where t.kind = 'policy' and t.target_id = policies.id), '{}')`;

function selectPolicies(db: Db) {
  return fromWithOrganization(db, 'policies').select([
    'policies.id',
    'policies.organization_id',
    'policies.name',
    'policies.description',
    'policies.query',
    'policies.enforcement_level',
    'policies.created_at',
    'policies.updated_at',
    'organizations.name as organization_name',
    sql<boolean>`policies.body is not null`.as('has_body'),
    POLICY_SET_IDS.as('policy_set_ids'),
  ]);
}

function toPolicy(row: RowOf<typeof selectPolicies>): Policy {
  return { ...camelized(row), enforcementLevel: row.enforcement_level as Policy['enforcementLevel'] };
}

export async function insert(db: Db, policy: { id: string; organizationId: string; name: string; now: Date } & PolicyFields): Promise<void> {
  await db
    .insertInto('policies')
    .values({
      id: policy.id,
      organization_id: policy.organizationId,
      name: policy.name,
      description: policy.description,
      query: policy.query,
      enforcement_level: policy.enforcementLevel,
      created_at: policy.now,
    })
    .execute();
}

export async function update(db: Db, id: string, fields: Partial<PolicyFields>, now: Date): Promise<void> {
  await db
    .updateTable('policies')
    .set({
      ...(fields.description !== undefined ? { description: fields.description } : {}),
      ...(fields.query !== undefined ? { query: fields.query } : {}),
      ...(fields.enforcementLevel !== undefined ? { enforcement_level: fields.enforcementLevel } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function setBody(db: Db, id: string, body: string, now: Date): Promise<void> {
  await db.updateTable('policies').set({ body, updated_at: now }).where('id', '=', id).execute();
}

export async function findBody(db: Db, id: string): Promise<string | null> {
  return (await db.selectFrom('policies').select('body').where('id', '=', id).executeTakeFirst())?.body ?? null;
}

/** Deletes a policy and its memberships (targets of kind `policy`). */
export async function deleteById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('policy_set_targets').where('kind', '=', 'policy').where('target_id', '=', id).execute();
  await db.deleteFrom('policies').where('id', '=', id).execute();
}

export const { findById, findManyById } = lookupsById(selectPolicies, 'policies.id', toPolicy);

export async function pageInOrganization(db: Db, organizationId: string, search: string | undefined, window: PageWindow): Promise<Paged<Policy>> {
  let query = selectPolicies(db).where('policies.organization_id', '=', organizationId);
  if (search) query = query.where(sql<boolean>`strpos(lower(policies.name), lower(${search})) > 0`);
  const { rows, total } = await pageAndTotal(query.orderBy('policies.name'), window);
  return { items: rows.map(toPolicy), total };
}

/** The uploaded policies of each set, for its evaluation: name, query, level, description and Rego. */
export async function membersOfSets(
  db: Db,
  policySetIds: readonly string[],
): Promise<{ policySetId: string; name: string; description: string | null; query: string; enforcementLevel: string; body: string }[]> {
  if (policySetIds.length === 0) return [];
  const rows = await db
    .selectFrom('policy_set_targets')
    .innerJoin('policies', 'policies.id', 'policy_set_targets.target_id')
    .select(['policy_set_targets.policy_set_id', 'policies.name', 'policies.description', 'policies.query', 'policies.enforcement_level', 'policies.body'])
    .where('policy_set_targets.kind', '=', 'policy')
    .where('policy_set_targets.policy_set_id', 'in', policySetIds)
    .where('policies.body', 'is not', null)
    .orderBy('policies.name')
    .execute();
  return rows.map((r) => ({
    policySetId: r.policy_set_id,
    name: r.name,
    description: r.description,
    query: r.query,
    enforcementLevel: r.enforcement_level,
    body: r.body as string,
  }));
}
