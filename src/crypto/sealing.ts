import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with a random 12-byte IV. A sealed value is one self-describing string,
 * `v1.<key-id>.<iv>.<tag>.<ciphertext>` (base64url parts), so that a value sealed before a key rotation
 * names the key that opens it. The `v1.<key-id>` header is authenticated too (GCM additional data).
 */

/** The keys sealing uses; a `Config` is one. */
export interface SealingKeys {
  /** Seals new values and opens values sealed under it. */
  readonly encryptionKey: Buffer;
  /** Only open values sealed before a rotation. */
  readonly previousEncryptionKeys: readonly Buffer[];
}

/** The refusal of a replica whose encryption key is not the installation's (secrets/service.ts assertInstallationKey). */
export class KeyMismatchError extends Error {}

/** A sealed value that cannot be opened: malformed, tampered with, or sealed under a key not configured. */
export class SealError extends Error {
  override readonly name = 'SealError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 8;

const keyIds = new WeakMap<Buffer, string>();

/** The key's id: the first 8 bytes of its SHA-256, base64url. Tells keys apart without revealing them. */
export function keyId(key: Buffer): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = createHash('sha256').update(key).digest().subarray(0, KEY_ID_BYTES).toString('base64url');
    keyIds.set(key, id);
  }
  return id;
}

/** Encrypts `plaintext` under the current key. */
export function seal(keys: SealingKeys, plaintext: string): string {
  const key = keys.encryptionKey;
  const header = `${VERSION}.${keyId(key)}`;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [header, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

interface Parsed {
  header: string;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function parse(sealed: string): Parsed {
  const parts = sealed.split('.');
  const [version, id, iv, tag, ciphertext] = parts;
  if (parts.length !== 5 || version !== VERSION || !id || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new SealError('not a sealed value');
  }
  const parsed = {
    header: `${version}.${id}`,
    keyId: id,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) throw new SealError('not a sealed value');
  return parsed;
}

/** The id of the key a sealed value was sealed under. */
export function sealedKeyId(sealed: string): string {
  return parse(sealed).keyId;
}

/** The configured key (current or previous) with this id; a SealError when none is. */
export function keyWithId(keys: SealingKeys, id: string): Buffer {
  const key = [keys.encryptionKey, ...keys.previousEncryptionKeys].find((k) => keyId(k) === id);
  if (!key) throw new SealError(`sealed under key ${id}, which is not configured (TERRACE_ENCRYPTION_KEY, TERRACE_PREVIOUS_ENCRYPTION_KEYS)`);
  return key;
}

/** Decrypts a sealed value with whichever configured key (current or previous) sealed it. */
export function open(keys: SealingKeys, sealed: string): string {
  const parsed = parse(sealed);
  const key = keyWithId(keys, parsed.keyId);
  const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv);
  decipher.setAAD(Buffer.from(parsed.header));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('sealed value failed authentication');
  }
}

/** The value sealed again under the current key, or undefined when it already is. */
export function reseal(keys: SealingKeys, sealed: string): string | undefined {
  if (sealedKeyId(sealed) === keyId(keys.encryptionKey)) return undefined;
  return seal(keys, open(keys, sealed));
}
