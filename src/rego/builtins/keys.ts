/**
 * Private keys and key pairs from PEM: crypto.x509.parse_rsa_private_key (a JWK),
 * crypto.parse_private_keys and crypto.x509.parse_keypair (Go's structs as encoding/json writes them).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { BuiltinError } from '../errors.js';
import { fromJSON, type Value } from '../value.js';
import { register, str } from './registry.js';

/** base64.StdEncoding.DecodeString: padded, Go's error naming the first bad byte. */
function decodeStdBase64(input: string): string {
  const bad = /[^A-Za-z0-9+/=]/.exec(input);
  if (bad) throw new BuiltinError(`illegal base64 data at input byte ${bad.index}`);
  const padding = input.indexOf('=');
  if (input.length % 4 !== 0 || (padding >= 0 && (padding < input.length - 2 || !/^=+$/.test(input.slice(padding))))) {
    throw new BuiltinError(`illegal base64 data at input byte ${padding >= 0 ? padding : input.length - (input.length % 4)}`);
  }
  return Buffer.from(input, 'base64').toString('latin1');
}

/** PEM text as given, or base64 of it, as OPA accepts both. */
function pemText(input: string): string {
  return input.startsWith('-----BEGIN') ? input : decodeStdBase64(input);
}

function pemBlocks(text: string): { type: string; block: string }[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({ type: m[1] as string, block: m[0] }));
}

function privateKey(block: string): KeyObject {
  try {
    return createPrivateKey({ key: block, format: 'pem' });
  } catch (err) {
    throw new BuiltinError(`failed to parse private key: ${(err as Error).message}`);
  }
}

const bigFromB64url = (s: string | undefined) => BigInt(`0x${Buffer.from(s ?? '', 'base64url').toString('hex') || '0'}`);

/** A key as Go's encoding/json writes *rsa.PrivateKey (big integers as numbers) or ed25519.PrivateKey (bytes as base64). */
function goPrivateKey(key: KeyObject): unknown {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    return {
      N: bigFromB64url(jwk.n),
      E: Number(bigFromB64url(jwk.e)),
      D: bigFromB64url(jwk.d),
      Primes: [bigFromB64url(jwk.p), bigFromB64url(jwk.q)],
      Precomputed: { Dp: bigFromB64url(jwk.dp), Dq: bigFromB64url(jwk.dq), Qinv: bigFromB64url(jwk.qi), CRTValues: [] },
    };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519')
    return Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]).toString('base64');
  if (jwk.kty === 'EC') return { X: bigFromB64url(jwk.x), Y: bigFromB64url(jwk.y), D: bigFromB64url(jwk.d) };
  throw new BuiltinError(`unsupported private key type ${jwk.kty}`);
}

register('crypto.x509.parse_rsa_private_key', 1, (args) => {
  const text = pemText(str(args, 0));
  const block = pemBlocks(text)[0];
  if (!block) throw new BuiltinError('failed to parse PEM block containing the key');
  const key = privateKey(block.block);
  if (key.asymmetricKeyType !== 'rsa') throw new BuiltinError('PEM block is not an RSA private key');
  return fromJSON(key.export({ format: 'jwk' }));
});

register('crypto.parse_private_keys', 1, (args) => {
  const input = str(args, 0);
  if (input === '') return null;
  const keys = pemBlocks(pemText(input))
    .filter((b) => b.type.endsWith('PRIVATE KEY'))
    .map((b) => goPrivateKey(privateKey(b.block)));
  return fromJSON(keys) as Value;
});

register('crypto.x509.parse_keypair', 2, (args) => {
  const certs = pemBlocks(pemText(str(args, 0))).filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw new BuiltinError('tls: failed to find any PEM data in certificate input');
  const keyBlock = pemBlocks(pemText(str(args, 1))).find((b) => b.type.endsWith('PRIVATE KEY'));
  if (!keyBlock) throw new BuiltinError('tls: failed to find any PEM data in key input');
  const der = certs.map((c) => {
    try {
      return new X509Certificate(c.block).raw.toString('base64');
    } catch (err) {
      throw new BuiltinError(`x509: malformed certificate: ${(err as Error).message}`);
    }
  });
  const key = privateKey(keyBlock.block);
  const leaf = new X509Certificate(certs[0]?.block as string);
  if (!leaf.checkPrivateKey(key)) throw new BuiltinError('tls: private key does not match public key');
  return fromJSON({ Certificate: der, PrivateKey: goPrivateKey(key) });
});
