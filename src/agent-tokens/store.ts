import { type PageWindow, pageAndTotal } from '../db/paging.js';
import { type Token, toToken } from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import type { Paged } from '../db/paging.js';

/** Agent tokens: rows of `tokens` of kind `agent` with their pool; the built-in runner's (no pool) is never listed. */

function poolTokens(db: Db, poolId: string) {
  return db.selectFrom('tokens').where('kind', '=', 'agent').where('agent_pool_id', '=', poolId);
}

export async function selectPage(db: Db, poolId: string, window: PageWindow): Promise<Paged<Token>> {
  const { rows, total } = await pageAndTotal(poolTokens(db, poolId).selectAll().orderBy('created_at').orderBy('id'), window);
  return { items: rows.map(toToken), total };
}
