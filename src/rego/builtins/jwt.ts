/** JSON Web Tokens (io.jwt.*): decoding, signature verification, full verification with constraints, signing. */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
  constants as cryptoConstants,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { BuiltinError } from '../errors.js';
import { fromJSON, RegoObject, type Value } from '../value.js';
import { goJSON } from './encoding.js';
import { obj, operandError, register, str } from './registry.js';

const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'EdDSA']);
const URL_ALPHABET = /[A-Za-z0-9_-]/;

/** base64url.decode as OPA does it: padding restored (RFC 7515 appendix C), Go's error for a bad byte. */
export function decodeBase64Url(input: string): Buffer {
  let s = input;
  if (!s.endsWith('=')) {
    const rest = s.length % 4;
    if (rest === 1) throw new BuiltinError(`illegal base64url string: ${input}`);
    if (rest > 0) s += '='.repeat(4 - rest);
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (URL_ALPHABET.test(c)) continue;
    // Padding only at the end, and only where a group needs it.
    if (c === '=' && i >= s.length - 2 && s.length % 4 === 0 && /^=*$/.test(s.slice(i))) continue;
    throw new BuiltinError(`illegal base64 data at input byte ${i}`);
  }
  if (s.length % 4 !== 0) throw new BuiltinError(`illegal base64 data at input byte ${s.length}`);
  return Buffer.from(s, 'base64url');
}

interface Token {
  header: string;
  payload: string;
  signature: string;
}

function splitToken(v: Value): Token {
  if (typeof v !== 'string') throw operandError(1, 'string', v);
  if (!v.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = v.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0] as string, payload: parts[1] as string, signature: parts[2] as string };
}

function jsonObject(text: string): RegoObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BuiltinError(`invalid JSON: ${(err as Error).message}`);
  }
  const value = fromJSON(parsed);
  if (!(value instanceof RegoObject)) throw new BuiltinError('decoded JSON type was not an Object');
  return value;
}

function decodePart(part: string, what: 'header' | 'payload' | 'signature'): Buffer {
  try {
    return decodeBase64Url(part);
  } catch (err) {
    throw new BuiltinError(`JWT ${what} had invalid encoding: ${(err as Error).message}`);
  }
}

function decodeHeader(token: Token): RegoObject {
  let header: RegoObject;
  try {
    header = jsonObject(decodePart(token.header, 'header').toString('utf8'));
  } catch (err) {
    if ((err as Error).message.startsWith('JWT header')) throw err;
    throw new BuiltinError(`bad JWT header: ${(err as Error).message}`);
  }
  if (header.get('enc') !== undefined) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

interface VerificationKey {
  key: KeyObject;
  alg: string;
  kid: string;
}

/** The JWK set (or single JWK) of a JSON text; keys with an unknown algorithm are left out. */
function keysFromJwk(text: string, skipUnknownAlgorithms: boolean): VerificationKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(err as Error).message}`);
  }
  const jwks = parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys) ? (parsed as { keys: unknown[] }).keys : [parsed];
  const keys: VerificationKey[] = [];
  for (const jwk of jwks) {
    if (!jwk || typeof jwk !== 'object') throw new BuiltinError('failed to parse a JWK key (set): not an object');
    const { alg, kid, kty, k } = jwk as Record<string, unknown>;
    if (skipUnknownAlgorithms && typeof alg === 'string' && alg !== '' && !ALGORITHMS.has(alg)) continue;
    let key: KeyObject;
    try {
      if (kty === 'oct') key = createSecretKey(decodeBase64Url(String(k ?? '')));
      else if ((jwk as Record<string, unknown>).d !== undefined) key = createPrivateKey({ key: jwk as never, format: 'jwk' });
      else key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch (err) {
      throw new BuiltinError(`failed to parse a JWK key (set): ${(err as Error).message}`);
    }
    keys.push({ key, alg: typeof alg === 'string' ? alg : '', kid: typeof kid === 'string' ? kid : '' });
  }
  return keys;
}

/** The first PEM block of a text and what follows it, as Go's pem.Decode finds them. */
function pemBlock(text: string): { type: string; der: Buffer; rest: string } | undefined {
  const match = /-----BEGIN ([^\n-]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----\r?\n?/.exec(text);
  if (!match) return undefined;
  return { type: match[1] as string, der: Buffer.from((match[2] as string).replace(/\s+/g, ''), 'base64'), rest: text.slice(match.index + match[0].length) };
}

/** The public key(s) of an X.509 certificate, a PEM public key, or a JWK (set). */
function verificationKeys(text: string): VerificationKey[] {
  const block = pemBlock(text);
  if (!block) return keysFromJwk(text, true);
  if (block.rest.length > 0) throw new BuiltinError('extra data after a PEM certificate block');
  if (block.type === 'CERTIFICATE') {
    try {
      return [{ key: new X509Certificate(block.der).publicKey, alg: '', kid: '' }];
    } catch (err) {
      throw new BuiltinError(`failed to parse a PEM certificate: ${(err as Error).message}`);
    }
  }
  if (block.type === 'PUBLIC KEY') {
    try {
      return [{ key: createPublicKey({ key: block.der, format: 'der', type: 'spki' }), alg: '', kid: '' }];
    } catch (err) {
      throw new BuiltinError(`failed to parse a PEM public key: ${(err as Error).message}`);
    }
  }
  throw new BuiltinError('failed to extract a Key from the PEM certificate');
}

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Whether `signature` is `alg`'s signature of `data` with `key`; a key of the wrong kind does not verify. */
function verifySignature(alg: string, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    const family = alg.slice(0, 2);
    const hash = HASHES[alg.slice(2)];
    if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519' && cryptoVerify(null, data, publicOf(key), signature);
    if (!hash) return false;
    if (family === 'HS') {
      if (key.type !== 'secret') return false;
      const mac = createHmac(hash, key).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    if (key.type === 'secret') return false;
    if (family === 'RS') return key.asymmetricKeyType === 'rsa' && cryptoVerify(hash, data, publicOf(key), signature);
    if (family === 'PS') {
      return (
        key.asymmetricKeyType === 'rsa' &&
        cryptoVerify(
          hash,
          data,
          { key: publicOf(key), padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO },
          signature,
        )
      );
    }
    if (family === 'ES') return key.asymmetricKeyType === 'ec' && cryptoVerify(hash, data, { key: publicOf(key), dsaEncoding: 'ieee-p1363' }, signature);
    return false;
  } catch {
    return false;
  }
}

function publicOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** Tries the key whose `kid` the header names, else every key whose algorithm is the token's (or unknown). */
function verifyWithKeys(keys: readonly VerificationKey[], alg: string, kid: string, data: Buffer, signature: Buffer): boolean {
  const byKid = kid === '' ? undefined : keys.find((k) => k.kid === kid);
  if (byKid) return verifySignature(alg, byKid.key, data, signature);
  return keys.some((k) => (k.alg === '' || k.alg === alg) && verifySignature(alg, k.key, data, signature));
}

interface HeaderFields {
  alg: string;
  kid: string;
  cty: string;
  valid: boolean;
}

/** The JOSE header's fields (typed as RFC 7515 says); `valid` is false without `alg` or with an unknown critical one. */
function headerFields(header: RegoObject): HeaderFields {
  const fields = { alg: '', kid: '', typ: '', cty: '' };
  const unknown: string[] = [];
  let crit: Set<string> | undefined;
  for (const [k, v] of header.entries()) {
    const name = String(k);
    if (name === 'crit') {
      if (!Array.isArray(v)) throw new BuiltinError('crit: must be a list');
      crit = new Set(v.filter((e): e is string => typeof e === 'string'));
      if (crit.size === 0) throw new BuiltinError('crit: must be a nonempty list');
    } else if (name in fields) {
      if (typeof v !== 'string') throw new BuiltinError(`${name}: must be a string`);
      fields[name as keyof typeof fields] = v;
    } else unknown.push(name);
  }
  return { alg: fields.alg, kid: fields.kid, cty: fields.cty, valid: fields.alg !== '' && !unknown.some((u) => crit?.has(u)) };
}

function signedData(token: Token): Buffer {
  return Buffer.from(`${token.header}.${token.payload}`);
}

register('io.jwt.decode', 1, function decode(args): Value {
  const token = splitToken(args[0]!);
  const header = decodeHeader(token);
  const payload = decodePart(token.payload, 'payload').toString('utf8');
  const cty = header.get('cty');
  // A nested token (cty JWT) is decoded in turn; jwt.io quotes it.
  if (cty === 'JWT') return decode([payload.replace(/^["']+|["']+$/g, '')]) as Value;
  const signature = decodePart(token.signature, 'signature');
  return [header, jsonObject(payload), signature.toString('hex')];
});

/** io.jwt.verify_<alg>(jwt, certificate or secret). */
function registerVerify(alg: string): void {
  register(`io.jwt.verify_${alg.toLowerCase()}`, 2, (args) => {
    const token = splitToken(args[0]!);
    if (alg.startsWith('HS')) {
      const secret = str(args, 1);
      const signature = decodeBase64Url(token.signature);
      return verifySignature(alg, createSecretKey(Buffer.from(secret)), signedData(token), signature);
    }
    const keys = verificationKeys(str(args, 1));
    const signature = decodeBase64Url(token.signature);
    const header = headerFields(decodeHeader(token));
    const data = signedData(token);
    const byKid = header.kid === '' ? undefined : keys.find((k) => k.kid === header.kid);
    if (byKid) return verifySignature(alg, byKid.key, data, signature);
    // These built-ins fix the algorithm; a JWKS key for another algorithm is skipped.
    return keys.some((k) => (k.alg === '' || k.alg === header.alg) && verifySignature(alg, k.key, data, signature));
  });
}
for (const alg of ALGORITHMS) registerVerify(alg);

interface Constraints {
  keys?: VerificationKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  timeNs: number;
}

function constraintString(name: string, v: Value): string {
  if (typeof v !== 'string') throw new BuiltinError(`${name} constraint: must be a string`);
  return v;
}

function constraintTime(v: Value): number {
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new BuiltinError('token time constraint: must be a number');
  const t = Number(v);
  if (t < 0) throw new BuiltinError('token time constraint: must not be negative');
  return t;
}

function parseConstraints(o: RegoObject, nowNs: bigint): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', timeNs: -1 };
  for (const [k, v] of o.entries()) {
    const name = String(k);
    if (name === 'cert') c.keys = verificationKeys(constraintString('cert', v));
    else if (name === 'secret' || name === 'alg' || name === 'iss' || name === 'aud') c[name] = constraintString(name, v);
    else if (name === 'time') c.timeNs = constraintTime(v);
    else throw new BuiltinError(`unknown token validation constraint: ${name}`);
  }
  if (c.timeNs === -1) c.timeNs = Number(nowNs);
  const keyKinds = (c.keys ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (keyKinds > 1) throw new BuiltinError('duplicate key constraints');
  if (keyKinds < 1) throw new BuiltinError('no key constraint');
  return c;
}

function validAudience(aud: Value, wanted: string): boolean {
  if (typeof aud === 'string') return aud === wanted;
  return Array.isArray(aud) && aud.some((e) => e === wanted);
}

register('io.jwt.decode_verify', 2, (args, ctx) => {
  const constraints = parseConstraints(obj(args, 1), ctx.nowNs);
  const unverified: Value = [false, new RegoObject(), new RegoObject()];
  let value: Value = args[0]!;
  let header: RegoObject;
  let payloadText: string;
  for (;;) {
    const token = splitToken(value);
    header = decodeHeader(token);
    const fields = headerFields(header);
    if (!fields.valid) return unverified;
    if (constraints.alg !== '' && constraints.alg !== fields.alg) return unverified;
    const signature = decodePart(token.signature, 'signature');
    const data = signedData(token);
    const verified = constraints.keys
      ? verifyWithKeys(constraints.keys, fields.alg, fields.kid, data, signature)
      : fields.alg.startsWith('HS') && verifySignature(fields.alg, createSecretKey(Buffer.from(constraints.secret)), data, signature);
    if (!verified) return unverified;
    payloadText = decodePart(token.payload, 'payload').toString('utf8');
    // A nested token: verify the inner one too.
    if (fields.cty.toUpperCase() !== 'JWT') break;
    value = payloadText;
  }
  const payload = jsonObject(payloadText);
  if (constraints.iss !== '' && payload.get('iss') !== constraints.iss) return unverified;
  const aud = payload.get('aud');
  if (aud !== undefined ? !validAudience(aud, constraints.aud) : constraints.aud !== '') return unverified;
  const seconds = constraints.timeNs / 1e9;
  const exp = payload.get('exp');
  if (exp !== undefined) {
    if (typeof exp !== 'number' && typeof exp !== 'bigint') throw new BuiltinError('exp value must be a number');
    if (seconds >= Number(exp)) return unverified;
  }
  const nbf = payload.get('nbf');
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' && typeof nbf !== 'bigint') throw new BuiltinError('nbf value must be a number');
    if (seconds < Number(nbf)) return unverified;
  }
  return [true, header, payload];
});

/** Signs `header.payload` (both as given) with the first key of a JWK (set), as jwsbb does. */
function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const keys = keysFromJwk(jwkText, false);
  const key = keys[0];
  if (!key) throw new BuiltinError('no keys found in JWK set');
  let headers: unknown;
  const trimmed = headerText.trim();
  // jsonparser's answers: nothing to parse; an object it cannot read; anything else has no "alg".
  if (trimmed === '') throw new BuiltinError(`missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string`);
  try {
    headers = JSON.parse(headerText);
  } catch (err) {
    if (trimmed.startsWith('{')) throw new BuiltinError(`missing or invalid 'alg' header: cannot parse JSON: ${(err as Error).message}`);
  }
  const alg = headers && typeof headers === 'object' ? (headers as Record<string, unknown>).alg : undefined;
  if (typeof alg !== 'string') throw new BuiltinError(`missing or invalid 'alg' header: jwsbb: header "alg" not found`);
  if (!ALGORITHMS.has(alg)) throw new BuiltinError(`unknown JWS algorithm: ${alg}`);
  const typ = (headers as Record<string, unknown>).typ;
  if (typ === undefined || typ === 'JWT') {
    try {
      JSON.parse(payloadText);
    } catch {
      throw new BuiltinError('type is JWT but payload is not JSON');
    }
  }
  const input = `${Buffer.from(headerText).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`;
  return `${input}.${signWith(alg, key.key, Buffer.from(input)).toString('base64url')}`;
}

function signWith(alg: string, key: KeyObject, data: Buffer): Buffer {
  const hash = HASHES[alg.slice(2)] ?? 'sha256';
  const family = alg.slice(0, 2);
  try {
    if (family === 'HS') {
      if (key.type !== 'secret') throw new Error('an HMAC algorithm needs a symmetric (oct) key');
      return createHmac(hash, key).update(data).digest();
    }
    if (key.type !== 'private') throw new Error(`${alg} needs a private key`);
    if (alg === 'EdDSA') return cryptoSign(null, data, key);
    if (family === 'PS')
      return cryptoSign(hash, data, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST });
    if (family === 'ES') return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
    return cryptoSign(hash, data, key);
  } catch (err) {
    throw new BuiltinError(`failed to sign with ${alg}: ${(err as Error).message}`);
  }
}

register('io.jwt.encode_sign_raw', 3, (args) => encodeSign(str(args, 0), str(args, 1), str(args, 2)));
register('io.jwt.encode_sign', 3, (args) => encodeSign(goJSON(obj(args, 0)), goJSON(obj(args, 1)), goJSON(obj(args, 2))));
