import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Db } from './database.js';
import type { DB } from './schema.js';

/** Rows as the stores hand them out: the columns' snake_case names in camelCase (`organization_id` → `organizationId`). */

type CamelCase<Name extends string> = Name extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : Name;

export type Camelized<Row> = { [Key in keyof Row as Key extends string ? CamelCase<Key> : Key]: Row[Key] };

const fieldNames = new Map<string, string>();

function fieldName(column: string): string {
  let name = fieldNames.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
    fieldNames.set(column, name);
  }
  return name;
}

/**
 * The row with its columns renamed to camelCase, values as they are; the store narrows or computes
 * the fields that need it by naming them after the spread.
 * @example return { ...camelized(row), status: row.status as RunStatus }
 */
export function camelized<Row extends object>(row: Row): Camelized<Row> {
  const fields: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) fields[fieldName(column)] = value;
  return fields as Camelized<Row>;
}

/** The row type of the query a `select…(db)` function builds. */
export type RowOf<Select extends (db: Db) => SelectQueryBuilder<any, any, any>> =
  ReturnType<Select> extends SelectQueryBuilder<any, any, infer Row> ? Row : never;

type OrganizationOwnedTable = { [Table in keyof DB]: DB[Table] extends { organization_id: unknown } ? Table : never }[keyof DB];

/** Every column of an organization's `table`, with the organization's name as `organization_name`. */
export function selectWithOrganizationName<Table extends OrganizationOwnedTable>(
  db: Db,
  table: Table,
): SelectQueryBuilder<DB, Table | 'organizations', Selectable<DB[Table]> & { organization_name: string }> {
  // Kysely cannot check a join on a column of a table given as a type parameter; the return type says what it selects.
  return (db as Db as any)
    .selectFrom(table)
    .innerJoin('organizations', 'organizations.id', `${table}.organization_id`)
    .selectAll(table)
    .select('organizations.name as organization_name');
}
