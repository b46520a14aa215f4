import type { Kysely } from 'kysely';

/**
 * When the agent holding a run's phase accepted it (its first heartbeat). A claimed phase whose
 * agent never accepted it never ran terraform (the handover's answer was lost, or the agent stopped
 * as it arrived): it goes back to its queue instead of erroring (runs/runner-service.ts abandon).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('runner_accepted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('runner_accepted_at').execute();
}
