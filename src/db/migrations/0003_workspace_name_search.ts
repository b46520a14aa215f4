import { type Kysely, sql } from 'kysely';

/**
 * `search[name]` is a case-insensitive substring match (ILIKE '%…%'), which a b-tree cannot serve:
 * without this trigram index the list reads every workspace of the organization.
 * pg_trgm is a trusted extension (PostgreSQL ≥ 13): a database owner may create it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`CREATE INDEX workspaces_name_trgm_idx ON workspaces USING gin (name gin_trgm_ops)`.execute(db);
}
