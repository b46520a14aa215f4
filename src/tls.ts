import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** The generated CA certificate the CLI needs as SSL_CERT_FILE; undefined when a certificate is configured. */
  caFile: string | undefined;
}

function newRsaKey(): forge.pki.rsa.PrivateKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
}

function newCertificate(subjectCn: string, key: forge.pki.rsa.PrivateKey, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // DER integers must be positive and minimally encoded: the first byte is 0x01–0x7f.
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600 * 1000);
  cert.setSubject([
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: 'Terrace' },
  ]);
  return cert;
}

function generateCa(dir: string): void {
  const key = newRsaKey();
  const cert = newCertificate('Terrace local CA', key, 10);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  writeFileSync(join(dir, 'ca-key.pem'), forge.pki.privateKeyToPem(key), { mode: 0o600 });
  writeFileSync(join(dir, 'ca.pem'), forge.pki.certificateToPem(cert));
}

function generateServerCertificate(dir: string, names: readonly string[]): void {
  const caCert = forge.pki.certificateFromPem(readFileSync(join(dir, 'ca.pem'), 'utf8'));
  const caKey = forge.pki.privateKeyFromPem(readFileSync(join(dir, 'ca-key.pem'), 'utf8'));
  const key = newRsaKey();
  const cert = newCertificate(names[0] ?? 'localhost', key, 2);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  writeFileSync(join(dir, 'server-key.pem'), forge.pki.privateKeyToPem(key), { mode: 0o600 });
  writeFileSync(join(dir, 'server.pem'), forge.pki.certificateToPem(cert));
}

/** Whether the certificate in `file` is valid for every name and for at least another 30 days. */
function certificateCovers(file: string, names: readonly string[]): boolean {
  if (!existsSync(file)) return false;
  const cert = new X509Certificate(readFileSync(file));
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
