import type { Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { OauthCodeTable } from '../db/schema.js';
import { camelized } from '../db/rows.js';

/** A one-time authorization code of the `terraform login` flow; only its hash is stored. */
export interface OauthCode {
  codeHash: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: Date;
}

function toOauthCode(row: Selectable<OauthCodeTable>): OauthCode {
  return camelized(row);
}

export async function insert(db: Db, code: OauthCode): Promise<void> {
  await db
    .insertInto('oauth_codes')
    .values({
      code_hash: code.codeHash,
      user_id: code.userId,
      client_id: code.clientId,
      redirect_uri: code.redirectUri,
      code_challenge: code.codeChallenge,
      expires_at: code.expiresAt,
    })
    .execute();
}

/** Deletes and returns the code: of two concurrent exchanges of the same code, only one gets the row. */
export async function take(db: Db, codeHash: string): Promise<OauthCode | undefined> {
  const row = await db.deleteFrom('oauth_codes').where('code_hash', '=', codeHash).returningAll().executeTakeFirst();
  return row && toOauthCode(row);
}

/** Removes codes that expired unused (the CLI was closed before the exchange). */
export async function deleteExpired(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('oauth_codes').where('expires_at', '<=', now).execute();
}
