import type { Kysely } from 'kysely';

/**
 * A user row may stand for an email that was invited into an organization before anyone had an
 * account with it (docs/design.md "Where Terrace follows the service"): it cannot sign in and holds
 * no token until a user is created with that email, which takes the row over.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('is_invitation', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}
