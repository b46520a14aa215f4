import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { randomBase58 } from '../ids.js';
import type { Ctx } from '../context.js';
import { pendingMigrations } from '../db/migrate.js';

/** One readiness check: its name, whether it passed, and why not. */
export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

async function check(name: string, probe: () => Promise<string | undefined>): Promise<Check> {
  try {
    const problem = await probe();
    return problem === undefined ? { name, ok: true } : { name, ok: false, detail: problem };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

/**
 * Whether this replica can serve (`GET /readyz`): the database answers, every migration this code
 * knows is applied, and the blob store takes and gives back a small blob. The checks run in turn:
 * a database that is gone fails the first ones quickly instead of piling up connections.
 */
export async function readiness(ctx: Pick<Ctx, 'db' | 'blobs'>): Promise<Check[]> {
  const database = await check('database', async () => {
    await sql`SELECT 1`.execute(ctx.db);
    return undefined;
  });
  const migrations = database.ok
    ? await check('migrations', async () => {
        const pending = await pendingMigrations(ctx.db);
        return pending.length === 0 ? undefined : `not applied: ${pending.join(', ')}`;
      })
    : { name: 'migrations', ok: false, detail: 'the database is unreachable' };
  const blobs = await check('blob store', async () => {
    const key = `health/${randomBase58(12)}`;
    try {
      await ctx.blobs.put(key, Readable.from([Buffer.from('ok')]));
      return (await ctx.blobs.stat(key))?.size === 2 ? undefined : 'a blob written could not be read back';
    } finally {
      await ctx.blobs.delete(key);
    }
  });
  return [database, migrations, blobs];
}
