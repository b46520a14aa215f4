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
  // A loop over the keys, not Object.entries: no pair array per column (a list maps thousands of columns).
  for (const column of Object.keys(row)) fields[fieldName(column)] = row[column as keyof Row];
  return fields as Camelized<Row>;
}

/** The row type of the query a `select…(db)` function builds. */
export type RowOf<Select extends (db: Db) => SelectQueryBuilder<any, any, any>> =
  ReturnType<Select> extends SelectQueryBuilder<any, any, infer Row> ? Row : never;

type OrganizationOwnedTable = { [Table in keyof DB]: DB[Table] extends { organization_id: unknown } ? Table : never }[keyof DB];

/** An organization's `table` joined to its organization (`organizations`), nothing selected yet. */
export function fromWithOrganization<Table extends OrganizationOwnedTable>(db: Db, table: Table): SelectQueryBuilder<DB, Table | 'organizations', object> {
  // Kysely cannot check a join on a column of a table given as a type parameter; the return type says what it joins.
  return (db as Db as any).selectFrom(table).innerJoin('organizations', 'organizations.id', `${table}.organization_id`);
}

/** Every column of an organization's `table`, with the organization's name as `organization_name`. */
export function selectWithOrganizationName<Table extends OrganizationOwnedTable>(
  db: Db,
  table: Table,
): SelectQueryBuilder<DB, Table | 'organizations', Selectable<DB[Table]> & { organization_name: string }> {
  // As above: the columns of a table given as a type parameter.
  return (fromWithOrganization(db, table) as any).selectAll(table).select('organizations.name as organization_name');
}

/**
 * A store's `findById` and `findManyById`: the row of `select` whose `idColumn` is the id, or those
 * with one of the ids in one query (unknown ids left out, in no particular order), as `toFound` makes them.
 * @example export const { findById, findManyById } = lookupsById(selectTeams, 'teams.id', toTeam);
 */
export function lookupsById<Row extends Mapped, Mapped, Found>(
  select: (db: Db) => SelectQueryBuilder<DB, any, Row>,
  idColumn: `${string}.id`,
  toFound: (row: Mapped) => Found,
) {
  // The column is named by the caller's select, which Kysely cannot check through a type parameter.
  const rows = (db: Db) => select(db) as SelectQueryBuilder<any, any, Row>;
  return {
    async findById(db: Db, id: string): Promise<Found | undefined> {
      const row = await rows(db).where(idColumn, '=', id).executeTakeFirst();
      return row && toFound(row);
    },
    async findManyById(db: Db, ids: readonly string[]): Promise<Found[]> {
      if (ids.length === 0) return [];
      return (await rows(db).where(idColumn, 'in', ids).execute()).map(toFound);
    },
  };
}
