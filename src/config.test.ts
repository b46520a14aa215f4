import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.js';
import { ConfigError, parseSettingFlags, SETTINGS } from './settings.js';
import { loadTlsMaterial } from './tls.js';

const dir = mkdtempSync(join(tmpdir(), 'terrace-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('has every setting in the README table, with its flag', () => {
    // dist/src/config.test.js → the repository's README.md.
    const readme = readFileSync(join(fileURLToPath(import.meta.url), '..', '..', '..', 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    for (const setting of Object.values(SETTINGS)) {
      assert.ok(
        rows.some((row) => row.includes(`\`${setting.env}\``) && row.includes(`\`${setting.flag}\``)),
        `${setting.env} (${setting.flag}) is not in the README's settings table`,
      );
    }
  });

  it('reads TERRACE_IP_RANGES as CIDR ranges and refuses anything else', () => {
    const dataDir = join(dir, 'ip-ranges');
    assert.deepEqual(loadConfig({ TERRACE_DATA_DIR: dataDir }).ipRanges, []);
    assert.deepEqual(loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_IP_RANGES: '10.0.0.0/8, ::1/128,' }).ipRanges, ['10.0.0.0/8', '::1/128']);
    assert.deepEqual(loadConfig({ TERRACE_DATA_DIR: dataDir }, { ipRanges: '192.0.2.1/32' }).ipRanges, ['192.0.2.1/32']);
    for (const bad of ['10.0.0.1', '10.0.0.0/33', '2001:db8::/129', 'example.com/24', '10.0.0.0/8/8', '10.0.0.0/x']) {
      assert.throws(
        () => loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_IP_RANGES: bad }),
        (err) => err instanceof ConfigError && /TERRACE_IP_RANGES/.test(err.message),
        bad,
      );
    }
  });

  it('has the documented defaults and generates an encryption key once', () => {
    const dataDir = join(dir, 'defaults');
    const config = loadConfig({ TERRACE_DATA_DIR: dataDir });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8443);
    assert.equal(config.hostname, 'localhost:8443');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.rateLimit, 30);
    assert.equal(config.encryptionKey.length, 32);
    assert.equal(config.maxConfigurationUnpackedBytes, 1024 * 1024 * 1024);
    assert.equal(config.configurationUnpackTimeoutMs, 60_000);
    assert.equal(config.configurationValidations, 2);
    assert.equal(config.policyEvaluationTimeoutMs, 10_000);
    assert.deepEqual(loadConfig({ TERRACE_DATA_DIR: dataDir }).encryptionKey, config.encryptionKey);
    assert.equal(config.runIsolation, 'auto');
    assert.deepEqual(config.runUids, { first: 64000, last: 64099 });
    // One run directory per data directory, outside it.
    assert.match(config.runDir, new RegExp(`^${tmpdir()}/terrace-runs-[0-9a-f]{12}$`));
    assert.notEqual(loadConfig({ TERRACE_DATA_DIR: join(dir, 'other') }).runDir, config.runDir);
    assert.equal(loadConfig({ TERRACE_DATA_DIR: dataDir }).runDir, config.runDir);
    assert.ok(Object.isFrozen(config));
  });

  it('reads the policy evaluation time limit as a duration, from the environment or its flag', () => {
    const dataDir = join(dir, 'policies');
    assert.equal(loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_POLICY_EVALUATION_TIMEOUT: '3s' }).policyEvaluationTimeoutMs, 3_000);
    assert.equal(loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_POLICY_EVALUATION_TIMEOUT: '2m' }).policyEvaluationTimeoutMs, 120_000);
    assert.equal(loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_POLICY_EVALUATION_TIMEOUT: '45' }).policyEvaluationTimeoutMs, 45_000);
    const { values } = parseSettingFlags(['serve', '--policy-evaluation-timeout', '20s']);
    assert.equal(loadConfig({ TERRACE_DATA_DIR: dataDir, TERRACE_POLICY_EVALUATION_TIMEOUT: '3s' }, values).policyEvaluationTimeoutMs, 20_000);
  });

  it('lets flags override the environment', () => {
    const { values, rest } = parseSettingFlags(['serve', '--port', '9000', '--hostname=tf.example.com', '--data-dir', join(dir, 'f')]);
    assert.deepEqual(rest, ['serve']);
    const config = loadConfig({ TERRACE_PORT: '1234' }, values);
    assert.equal(config.port, 9000);
    assert.equal(config.hostname, 'tf.example.com');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ TERRACE_PORT: 'abc' }, /TERRACE_PORT/],
    [{ TERRACE_PORT: '70000' }, /TERRACE_PORT/],
    [{ TERRACE_HOSTNAME: 'https://x' }, /TERRACE_HOSTNAME/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ TERRACE_ADMIN_TOKEN: 'short' }, /TERRACE_ADMIN_TOKEN.*32/],
    [{ TERRACE_ENCRYPTION_KEY: 'abcd' }, /TERRACE_ENCRYPTION_KEY/],
    [{ TERRACE_TLS_CERT: '/does/not/exist' }, /TERRACE_TLS_CERT/],
    [{ TERRACE_RATE_LIMIT: '0' }, /TERRACE_RATE_LIMIT/],
    [{ TERRACE_MAX_CONFIGURATION_UNPACKED_BYTES: '1GB' }, /TERRACE_MAX_CONFIGURATION_UNPACKED_BYTES/],
    [{ TERRACE_CONFIGURATION_UNPACK_TIMEOUT: '0s' }, /TERRACE_CONFIGURATION_UNPACK_TIMEOUT/],
    [{ TERRACE_CONFIGURATION_VALIDATIONS: '0' }, /TERRACE_CONFIGURATION_VALIDATIONS/],
    [{ TERRACE_POLICY_EVALUATION_TIMEOUT: '500ms' }, /TERRACE_POLICY_EVALUATION_TIMEOUT.*not a duration/],
    [{ TERRACE_POLICY_EVALUATION_TIMEOUT: '0s' }, /TERRACE_POLICY_EVALUATION_TIMEOUT/],
    [{ TERRACE_RUN_ISOLATION: 'docker' }, /TERRACE_RUN_ISOLATION.*auto, bwrap, uid, none/],
    [{ TERRACE_RUN_UIDS: '0-100' }, /TERRACE_RUN_UIDS/],
    [{ TERRACE_RUN_UIDS: '64000-64001', TERRACE_RUNNER_SLOTS: '4' }, /TERRACE_RUN_UIDS.*fewer uids than the 4 runner slots/],
    [{ TERRACE_RUN_DIR: join(dir, 'bad', 'runs') }, /TERRACE_RUN_DIR.*must not contain one another/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with one line naming the setting`, () => {
      assert.throws(
        () => loadConfig({ TERRACE_DATA_DIR: join(dir, 'bad'), ...env }),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  it('requires the certificate and key together', () => {
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, 'x');
    assert.throws(() => loadConfig({ TERRACE_DATA_DIR: join(dir, 'bad'), TERRACE_TLS_CERT: cert }), /TERRACE_TLS_KEY/);
  });

  it('accepts a 32-byte key as hex or base64', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(loadConfig({ TERRACE_DATA_DIR: join(dir, 'k'), TERRACE_ENCRYPTION_KEY: hex }).encryptionKey.toString('hex'), hex);
    const b64 = Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ TERRACE_DATA_DIR: join(dir, 'k'), TERRACE_ENCRYPTION_KEY: b64 }).encryptionKey.toString('base64'), b64);
  });
});

describe('generated TLS material', () => {
  it('creates a CA once and re-issues the server certificate only when the hostname changes', () => {
    const dataDir = join(dir, 'tls');
    const first = loadTlsMaterial({ dataDir, hostname: 'localhost:8443', tlsCertFile: undefined, tlsKeyFile: undefined });
    assert.ok(first.caFile);
    const ca = readFileSync(first.caFile, 'utf8');
    const again = loadTlsMaterial({ dataDir, hostname: 'localhost:9443', tlsCertFile: undefined, tlsKeyFile: undefined });
    assert.equal(again.cert, first.cert);
    const renamed = loadTlsMaterial({ dataDir, hostname: 'terrace.example.com:8443', tlsCertFile: undefined, tlsKeyFile: undefined });
    assert.notEqual(renamed.cert, first.cert);
    assert.equal(readFileSync(first.caFile, 'utf8'), ca);
  });

  it('issues ECDSA P-256 certificates that chain to the CA, for the hostname and the loopback addresses', () => {
    const material = loadTlsMaterial({ dataDir: join(dir, 'tls-ec'), hostname: 'terrace.example.com', tlsCertFile: undefined, tlsKeyFile: undefined });
    const ca = new X509Certificate(readFileSync(material.caFile as string));
    const server = new X509Certificate(material.cert);
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.equal(server.publicKey.asymmetricKeyType, 'ec');
    assert.equal(createPrivateKey(material.key).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
    assert.equal(server.subjectAltName, 'DNS:terrace.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(server.checkIP('::1') && server.checkIP('127.0.0.1') && !server.checkIP('127.0.0.2'));
  });

  it('keeps an RSA CA of an earlier version and re-issues its RSA server certificate with an ECDSA key, signed by that CA', () => {
    const dataDir = join(dir, 'tls-rsa');
    mkdirSync(join(dataDir, 'tls'), { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // A CA whose subject is encoded unlike Terrace's (PrintableString): the issuer must copy its bytes.
    const caFile = join(dataDir, 'tls', 'ca.pem');
    writeFileSync(join(dataDir, 'tls', 'ca-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    execFileSync('openssl', ['req', '-x509', '-key', join(dataDir, 'tls', 'ca-key.pem'), '-out', caFile, '-days', '30', '-subj', '/CN=Old CA/O=Terrace']);
    const caPem = readFileSync(caFile, 'utf8');
    const ca = new X509Certificate(caPem);
    assert.ok(ca.publicKey.equals(publicKey));
    const material = loadTlsMaterial({ dataDir, hostname: 'localhost', tlsCertFile: undefined, tlsKeyFile: undefined });
    const server = new X509Certificate(material.cert);
    assert.equal(server.publicKey.asymmetricKeyType, 'ec');
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
    assert.equal(readFileSync(caFile, 'utf8'), caPem);
  });
});
