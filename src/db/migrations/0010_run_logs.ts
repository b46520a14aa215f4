import type { Kysely } from 'kysely';

/**
 * What the runner needs: the log of a running phase, readable from any replica (docs/design.md
 * "Runner"), and per-run tokens.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // While a plan or apply runs, its log grows here; when it ends the whole log becomes one blob and its chunks go.
  await db.schema
    .createTable('run_log_chunks')
    // A plan's or an apply's id.
    .addColumn('phase_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    // Where the chunk starts in the log: a read from an offset finds its chunks by index.
    .addColumn('byte_offset', 'bigint', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_log_chunks_pkey', ['phase_id', 'seq'])
    .execute();
  // A run's token (kind `run`) dies with the run at the latest; the runner deletes it when the phase ends.
  await db.schema
    .alterTable('tokens')
    .addColumn('run_id', 'text', (c) => c.references('runs.id').onDelete('cascade'))
    .execute();
}
