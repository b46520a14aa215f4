import type { Kysely } from 'kysely';

/** Where a plan's `terraform providers schema -json` output is (`GET /plans/:id/json-schema`); null for plans from before. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('plans').addColumn('provider_schemas_blob_key', 'text').execute();
}
