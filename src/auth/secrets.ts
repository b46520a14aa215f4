import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { randomBase58 } from '../ids.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number }) => Promise<Buffer>;

/** SHA-256 hex digest: how API tokens and one-time codes are stored. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * A new API token secret and the hash to store. The secret is shown once; only the hash is kept.
 * Shape `<14 chars>.terrace.<64 chars>`, like TFE's `….atlasv1.…` tokens.
 */
export function generateToken(): { secret: string; hash: string } {
  const secret = `${randomBase58(14)}.terrace.${randomBytes(48).toString('base64url')}`;
  return { secret, hash: sha256(secret) };
}

/** True when `candidate` equals `expected`, in constant time. */
export function secretsEqual(candidate: string, expected: string): boolean {
  const a = Buffer.from(sha256(candidate), 'hex');
  const b = Buffer.from(sha256(expected), 'hex');
  return timingSafeEqual(a, b);
}

const SCRYPT_N = 16384;

/** Hashes a password as `scrypt$N$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, { N: SCRYPT_N });
  return `scrypt$${SCRYPT_N}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, n, salt, hash] = stored?.split('$') ?? [];
  if (scheme !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n) });
  return timingSafeEqual(actual, expected);
}
