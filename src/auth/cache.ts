import { NotifiedCache } from '../db/notified-cache.js';

/**
 * What authentication and permission checks read (token → subject, a caller's role and teams in an
 * organization, their grants), so that a read request does not repeat those queries. Migration
 * 0016's triggers NOTIFY its channel when a table these lookups read changes (src/db/notified-cache.ts
 * says when else it is emptied).
 */
export const AUTH_CHANNEL = 'terrace_auth';

export const authCache = new NotifiedCache(AUTH_CHANNEL, 10_000, 50_000);
