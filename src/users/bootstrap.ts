import { generateToken } from '../auth/secrets.js';
import * as tokenStore from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import { newId } from '../ids.js';
import * as userStore from './store.js';

export const SITE_ADMIN_USERNAME = 'admin';

/**
 * First start: creates the site-admin user `admin` and a token for it, in one transaction.
 * Returns the token secret on that first start only; later starts find the user and return undefined.
 */
export async function ensureSiteAdmin(db: Db): Promise<string | undefined> {
  try {
    return await createSiteAdmin(db);
  } catch (err) {
    // Another replica starting at the same moment created it first.
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

function createSiteAdmin(db: Db): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    if (await userStore.findByUsername(trx, SITE_ADMIN_USERNAME)) return undefined;
    const user = await userStore.insert(trx, {
      id: newId('user'),
      username: SITE_ADMIN_USERNAME,
      email: 'admin@localhost',
      passwordHash: null,
      isSiteAdmin: true,
    });
    const { secret, hash } = generateToken();
    await tokenStore.insert(trx, { id: newId('at'), kind: 'user', hash, userId: user.id, description: 'created at first start', createdById: user.id });
    return secret;
  });
}
