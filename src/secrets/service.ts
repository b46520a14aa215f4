import { resealBlob } from '../blobs/sealed-blobs.js';
import type { Ctx } from '../context.js';
import { createHmac } from 'node:crypto';
import { KeyMismatchError, reseal, SealError, type SealingKeys } from '../crypto/sealing.js';
import * as planOutputStore from '../runs/plan-output-store.js';
import * as secretStore from './store.js';

/** The row's value under the current key; an error names the row (never its value). */
function resealRow(keys: SealingKeys, column: secretStore.SealedColumn, row: secretStore.SealedRow): string | undefined {
  try {
    return reseal(keys, row.sealed);
  } catch (err) {
    if (err instanceof SealError) throw new SealError(`${column.rowName} ${row.id}: ${err.message}`);
    throw err;
  }
}

/**
 * Re-seals every sealed value (secretStore.SEALED_COLUMNS) under the current key, `batchSize` rows per
 * transaction, so a rotation can run while the server serves. Values already under the current key are
 * left alone, so an interrupted rotation can be run again (README "Rotating the encryption key").
 */
export async function resealAll(ctx: Pick<Ctx, 'db' | 'config'>, batchSize = 500): Promise<{ resealed: number; unchanged: number }> {
  const total = { resealed: 0, unchanged: 0 };
  for (const column of secretStore.SEALED_COLUMNS) {
    let afterId = '';
    for (;;) {
      const batch = await ctx.db.transaction().execute(async (trx) => {
        const rows = await secretStore.selectSealedBatch(trx, column, afterId, batchSize);
        let resealed = 0;
        for (const row of rows) {
          const sealed = resealRow(ctx.config, column, row);
          if (sealed === undefined) continue;
          await secretStore.updateSealed(trx, column, row.id, sealed);
          resealed++;
        }
        return { lastId: rows.at(-1)?.id, size: rows.length, resealed };
      });
      total.resealed += batch.resealed;
      total.unchanged += batch.size - batch.resealed;
      if (batch.size < batchSize || batch.lastId === undefined) break;
      afterId = batch.lastId;
    }
  }
  return total;
}

/**
 * Re-seals every plan's sealed artifacts (blobs/sealed-blobs.ts) under the current key, `batchSize`
 * plans per query. Each blob is replaced whole once re-sealed; those already under the key are left
 * alone, so this too can run again.
 */
export async function resealPlanArtifacts(ctx: Pick<Ctx, 'db' | 'config' | 'blobs'>, batchSize = 500): Promise<{ resealed: number; unchanged: number }> {
  const total = { resealed: 0, unchanged: 0 };
  let afterId = '';
  for (;;) {
    const planIds = await planOutputStore.selectSealedPlanIds(ctx.db, afterId, batchSize);
    for (const planId of planIds) {
      for (const key of Object.values(planOutputStore.artifactKeys(planId))) {
        const outcome = await resealBlob(ctx.blobs, ctx.config, key);
        if (outcome !== 'absent') total[outcome]++;
      }
    }
    if (planIds.length < batchSize) return total;
    afterId = planIds.at(-1) as string;
  }
}

/** A value that tells keys apart without revealing them. */
function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('terrace encryption key check v1').digest('hex');
}

/**
 * Makes sure this server seals and signs with the installation's encryption key (every replica on
 * one database must: they open each other's secrets and verify each other's signed URLs). The first
 * server records the key's check value; a server with the previous key's value in its
 * TERRACE_PREVIOUS_ENCRYPTION_KEYS records the new one (a rotation); any other key is refused.
 * Returns whether this start recorded a rotation.
 */
export async function assertInstallationKey(ctx: Pick<Ctx, 'db' | 'config'>): Promise<{ rotated: boolean }> {
  const check = keyCheck(ctx.config.encryptionKey);
  const recorded = await secretStore.recordKeyCheck(ctx.db, check);
  if (recorded === check) return { rotated: false };
  const previous = ctx.config.previousEncryptionKeys.map(keyCheck).find((value) => value === recorded);
  if (previous !== undefined && (await secretStore.replaceKeyCheck(ctx.db, previous, check))) return { rotated: true };
  throw new KeyMismatchError(
    'the encryption key is not the one this database was set up with: every server on one database needs the same ' +
      'TERRACE_ENCRYPTION_KEY (after a rotation: the new key, with the old one in TERRACE_PREVIOUS_ENCRYPTION_KEYS)',
  );
}
