import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as der from './der.js';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** The generated CA certificate the CLI needs as SSL_CERT_FILE; undefined when a certificate is configured. */
  caFile: string | undefined;
}

/**
 * Generated keys are ECDSA P-256: a TLS handshake signs with the server's key, and a P-256 signature
 * costs a small fraction of an RSA-2048 one, which shows when many clients connect at once
 * (docs/design.md "TLS"). A CA generated before kept its RSA key; it still signs.
 */
function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** The AlgorithmIdentifier of a SHA-256 signature by `key`. */
function signatureAlgorithm(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec'
    ? der.sequence(der.objectIdentifier('1.2.840.10045.4.3.2'))
    : der.sequence(der.objectIdentifier('1.2.840.113549.1.1.11'), der.nullValue);
}

function distinguishedName(commonName: string): Buffer {
  const attribute = (oid: string, value: string) => der.set(der.sequence(der.objectIdentifier(oid), der.utf8String(value)));
  return der.sequence(attribute('2.5.4.3', commonName), attribute('2.5.4.10', 'Terrace'));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.objectIdentifier(oid), ...(critical ? [der.booleanTrue] : []), der.octetString(value));
}

interface CertificateRequest {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  years: number;
  extensions: Buffer[];
}

/** An X.509 v3 certificate, DER-encoded and signed with SHA-256. */
function issueCertificate(request: CertificateRequest): Buffer {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const algorithm = signatureAlgorithm(request.signingKey);
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(Buffer.from([2]))),
    der.unsignedInteger(serial),
    algorithm,
    request.issuer,
    der.sequence(der.time(new Date(Date.now() - 60_000)), der.time(new Date(Date.now() + request.years * 365 * 24 * 3600 * 1000))),
    request.subject,
    request.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...request.extensions)),
  );
  return der.sequence(tbs, algorithm, der.bitString(sign('sha256', tbs, request.signingKey)));
}

function toPem(label: string, body: Buffer): string {
  return `-----BEGIN ${label}-----\n${body.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function writeKeyAndCertificate(dir: string, name: string, key: KeyObject, certificate: Buffer): void {
  writeFileSync(join(dir, `${name}-key.pem`), key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, `${name}.pem`), toPem('CERTIFICATE', certificate));
}

/** The SHA-1 of a public key's bits, as a key identifier (RFC 5280 4.2.1.2, method 1). */
function keyIdentifier(key: KeyObject): Buffer {
  const spki = der.sequenceElements(key.export({ type: 'spki', format: 'der' }));
  return createHash('sha1')
    .update((spki[1] as Buffer).subarray(3))
    .digest();
}

function generateCa(dir: string): void {
  const key = newKey();
  const name = distinguishedName('Terrace local CA');
  const publicKey = createPublicKey(key);
  const certificate = issueCertificate({
    subject: name,
    issuer: name,
    publicKey,
    signingKey: key,
    years: 10,
    extensions: [
      extension('2.5.29.19', true, der.sequence(der.booleanTrue)),
      extension('2.5.29.15', true, der.namedBits([5, 6])),
      extension('2.5.29.14', false, der.octetString(keyIdentifier(publicKey))),
    ],
  });
  writeKeyAndCertificate(dir, 'ca', key, certificate);
}

/** A subjectAltName entry: a dNSName, or an iPAddress as its 4 or 16 bytes. */
function subjectAltName(name: string): Buffer {
  return isIP(name) ? der.tlv(0x87, ipBytes(name)) : der.tlv(0x82, Buffer.from(name, 'ascii'));
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // An IPv6 address may end in dotted IPv4 (`::ffff:10.0.0.1`): those are its last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const hex = dotted
    ? address.replace(
        dotted[0],
        ipBytes(dotted[0])
          .toString('hex')
          .replace(/(.{4})(.{4})/, '$1:$2'),
      )
    : address;
  const [head = '', tail = ''] = hex.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const [front, back] = [groups(head), hex.includes('::') ? groups(tail) : []];
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(group, i * 2);
  return bytes;
}

function generateServerCertificate(dir: string, names: readonly string[]): void {
  const caCertificate = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
  const caKey = createPrivateKey(readFileSync(join(dir, 'ca-key.pem')));
  // The issuer must be the CA's subject byte for byte: it is taken from the CA certificate, whoever made it.
  const caTbs = der.sequenceElements(caCertificate.raw)[0] as Buffer;
  const caSubject = der.sequenceElements(caTbs)[5] as Buffer;
  const key = newKey();
  const certificate = issueCertificate({
    subject: distinguishedName(names[0] ?? 'localhost'),
    issuer: caSubject,
    publicKey: createPublicKey(key),
    signingKey: caKey,
    years: 2,
    extensions: [
      extension('2.5.29.19', false, der.sequence()),
      extension('2.5.29.15', true, der.namedBits([0])),
      extension('2.5.29.37', false, der.sequence(der.objectIdentifier('1.3.6.1.5.5.7.3.1'))),
      extension('2.5.29.17', false, der.sequence(...names.map(subjectAltName))),
    ],
  });
  writeKeyAndCertificate(dir, 'server', key, certificate);
}

/**
 * Whether the certificate in `file` has an ECDSA key, is valid for every name and for at least
 * another 30 days (an RSA one from an earlier version is re-issued).
 */
function certificateCovers(file: string, names: readonly string[]): boolean {
  if (!existsSync(file)) return false;
  const cert = new X509Certificate(readFileSync(file));
  if (cert.publicKey.asymmetricKeyType !== 'ec') return false;
  if (new Date(cert.validTo).getTime() < Date.now() + 30 * 24 * 3600 * 1000) return false;
  return names.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
}

/**
 * The configured certificate, or a generated one: a local CA (kept in `<dataDir>/tls`, reused across
 * starts) signs a server certificate for localhost, 127.0.0.1, ::1 and the public hostname. The
 * server certificate is re-issued when the hostname changes or it nears expiry.
 */
export function loadTlsMaterial(config: { dataDir: string; hostname: string; tlsCertFile: string | undefined; tlsKeyFile: string | undefined }): TlsMaterial {
  if (config.tlsCertFile && config.tlsKeyFile) {
    return { cert: readFileSync(config.tlsCertFile, 'utf8'), key: readFileSync(config.tlsKeyFile, 'utf8'), caFile: undefined };
  }
  const dir = join(config.dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(config.dataDir, 'tls', 'ca.pem')) || !existsSync(join(dir, 'ca-key.pem'))) generateCa(dir);
  const publicHost = config.hostname.replace(/:\d+$/, '');
  const names = [...new Set([publicHost, 'localhost', '127.0.0.1', '::1'])];
  const certFile = join(dir, 'server.pem');
  if (!certificateCovers(certFile, names)) generateServerCertificate(dir, names);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(join(dir, 'server-key.pem'), 'utf8'), caFile: join(dir, 'ca.pem') };
}
