import type { Kysely } from 'kysely';

/** The state an apply's terraform could not upload (`errored.tfstate`), kept for `GET /applies/:id/errored-state`. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applies').addColumn('errored_state_blob_key', 'text').execute();
}
