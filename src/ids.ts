import { randomBytes } from 'node:crypto';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Random base58 string; 16 characters carry about 93 bits. */
export function randomBase58(length = 16): string {
  const bytes = randomBytes(length);
  let out = '';
  // 256 % 58 leaves a tiny bias, acceptable for identifiers (secrets use raw random bytes).
  for (const b of bytes) out += BASE58[b % 58];
  return out;
}

/** A TFE-style resource id: `ws-…`, `run-…`, `user-…`. */
export function newId<P extends string>(prefix: P): `${P}-${string}` {
  return `${prefix}-${randomBase58()}`;
}

/** A workspace id; `newId('ws')` makes one, a string from outside passes `isWorkspaceId` first. */
export type WorkspaceId = `ws-${string}`;

/** A run id; `newId('run')` makes one, a string from outside passes `isRunId` first. */
export type RunId = `run-${string}`;

export function isWorkspaceId(value: string): value is WorkspaceId {
  return value.startsWith('ws-');
}

export function isRunId(value: string): value is RunId {
  return value.startsWith('run-');
}
