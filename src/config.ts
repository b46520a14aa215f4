import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_RUN_UIDS, parseUidRange, rangeSize } from './runner/run-uids.js';
import { ISOLATION_SETTINGS, type IsolationSetting, type UidRange } from './runner/sandbox.js';
import {
  decodeKey,
  parseCidrList,
  parseDuration,
  parseHostList,
  parseNonNegativeInteger,
  parsePort,
  parsePositiveInteger,
  parseSmtp,
  readFileSetting,
  type SmtpSettings,
} from './setting-values.js';
import { ConfigError, SETTINGS, type SettingName } from './settings.js';

/** Typed, frozen server configuration: parsed once from env and flags, then passed down. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** Public `host[:port]` used in every absolute URL the server returns. */
  readonly hostname: string;
  readonly dataDir: string;
  /** PostgreSQL server URL; undefined means embedded PGlite in `<dataDir>/pglite`. */
  readonly databaseUrl: string | undefined;
  /** The bearer token `GET /metrics` requires; without one the endpoint is off. */
  readonly metricsToken: string | undefined;
  /** Files in the data directory, or the database (which replicas share). */
  readonly blobStore: 'filesystem' | 'postgres';
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly adminToken: string | undefined;
  /** 32-byte key for secrets at rest (AES-256-GCM). */
  readonly encryptionKey: Buffer;
  /** Keys of before a rotation: they still open values sealed under them, and seal nothing. */
  readonly previousEncryptionKeys: readonly Buffer[];
  /** Requests per second allowed per token (or per IP when unauthenticated). */
  readonly rateLimit: number;
  readonly logLevel: string;
  /** Largest state (raw or JSON) accepted by an upload, in bytes. */
  readonly maxStateBytes: number;
  /** Largest configuration version (.tar.gz) accepted by an upload, in bytes. */
  readonly maxConfigurationBytes: number;
  /** Most bytes a configuration version's files may hold once unpacked. */
  readonly maxConfigurationUnpackedBytes: number;
  /** Longest a configuration version may take to check or unpack. */
  readonly configurationUnpackTimeoutMs: number;
  /** Uploaded configuration versions this replica checks at once; the others wait their turn. */
  readonly configurationValidations: number;
  /** Runs planning or applying at once per organization. */
  readonly runConcurrency: number;
  /** Phases (plans, applies) this replica runs at once; 0: it runs none. */
  readonly runnerSlots: number;
  /** How long a claim on a plan or apply lasts without renewal (TERRACE_RUN_LEASE); then the reaper errors the run, or requeues a phase its agent never accepted. */
  readonly runLeaseSeconds: number;
  /** Longest a plan or an apply may run before it is interrupted and the run errors. */
  readonly planTimeoutMs: number;
  readonly applyTimeoutMs: number;
  /** At SIGTERM, how long running plans and applies of the built-in runner may go on before they are interrupted. */
  readonly shutdownGraceMs: number;
  /** How long a run task may go without telling its progress before its result errors (run-tasks-integration.mdx: 10 minutes). */
  readonly runTaskTimeoutMs: number;
  /** Wall-clock limit of one policy query's evaluation (its worker's start included); past it the policy errors. */
  readonly policyEvaluationTimeoutMs: number;
  /** The terraform executable runs use: a path, or a name looked up on the server's PATH. */
  readonly terraformBinary: string;
  /** How runs are kept from the server (src/runner/sandbox.ts); `auto` picks the strongest mode that works. */
  readonly runIsolation: IsolationSetting;
  /** The uids phases run under when the server is root, one per phase running at once. */
  readonly runUids: UidRange;
  /** Where phases get their directories: outside the data directory, which runs must not reach. */
  readonly runDir: string;
  /** This server's own addresses in CIDR notation, published at `GET /api/meta/ip-ranges`. */
  readonly ipRanges: readonly string[];
  /**
   * The hosts notification webhooks may be sent to (`example.com`, `*.example.com`, `host:port`);
   * empty: any host. Without it, whoever manages a workspace's notifications makes this server POST
   * to any address it reaches (SSRF: README "Notifications").
   */
  readonly notificationAllowedHosts: readonly string[];
  /** The SMTP server notification and invitation mail goes through; undefined: no mail is sent. */
  readonly smtp: SmtpSettings | undefined;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/** One directory per data directory, so that two servers on one host never sweep each other's runs. */
function defaultRunDir(dataDir: string): string {
  const hash = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 12);
  return join(tmpdir(), `terrace-runs-${hash}`);
}

/** The encryption key: the configured one, or one generated once into `<dataDir>/encryption.key`. */
function loadEncryptionKey(dataDir: string, configured: string | undefined): Buffer {
  if (configured !== undefined) return decodeKey(SETTINGS.encryptionKey.env, configured);
  const file = join(dataDir, 'encryption.key');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return decodeKey(file, readFileSync(file, 'utf8'));
}

/**
 * Builds the Config from the environment, with flags taking precedence.
 * Creates the data directory (and the generated encryption key) when missing.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<SettingName, string>> = {}): Config {
  const get = (name: SettingName): string | undefined => {
    const value = flags[name] ?? env[SETTINGS[name].env];
    return value === '' ? undefined : value;
  };
  const label = (name: SettingName) => (flags[name] !== undefined ? SETTINGS[name].flag : SETTINGS[name].env);

  const port = parsePort(label('port'), get('port') ?? '8443');
  const host = get('host') ?? '127.0.0.1';
  const hostname = get('hostname') ?? `localhost:${port}`;
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(hostname)) throw new ConfigError(label('hostname'), `"${hostname}" is not host[:port]`);

  const databaseUrl = get('databaseUrl');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(label('databaseUrl'), 'must start with postgres:// or postgresql://');
  }

  const metricsToken = get('metricsToken');
  if (metricsToken !== undefined && metricsToken.length < 32) throw new ConfigError(label('metricsToken'), 'must be at least 32 characters');
  const blobStore = get('blobStore') ?? (databaseUrl === undefined ? 'filesystem' : 'postgres');
  if (blobStore !== 'filesystem' && blobStore !== 'postgres') throw new ConfigError(label('blobStore'), `"${blobStore}" is not filesystem or postgres`);

  const tlsCertFile = readFileSetting(label('tlsCert'), get('tlsCert'));
  const tlsKeyFile = readFileSetting(label('tlsKey'), get('tlsKey'));
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError(label(tlsCertFile ? 'tlsKey' : 'tlsCert'), 'TERRACE_TLS_CERT and TERRACE_TLS_KEY must be set together');
  }

  const adminToken = get('adminToken');
  if (adminToken !== undefined && adminToken.length < 32) throw new ConfigError(label('adminToken'), 'must be at least 32 characters');

  const rawRate = get('rateLimit') ?? '30';
  const rateLimit = Number(rawRate);
  if (!/^\d+$/.test(rawRate) || rateLimit < 1) throw new ConfigError(label('rateLimit'), `"${rawRate}" is not a positive integer`);

  const rawMaxState = get('maxStateBytes') ?? String(512 * 1024 * 1024);
  const maxStateBytes = Number(rawMaxState);
  if (!/^\d+$/.test(rawMaxState) || maxStateBytes < 1) throw new ConfigError(label('maxStateBytes'), `"${rawMaxState}" is not a positive integer`);

  const maxConfigurationBytes = parsePositiveInteger(label('maxConfigurationBytes'), get('maxConfigurationBytes') ?? String(512 * 1024 * 1024));
  const maxConfigurationUnpackedBytes = parsePositiveInteger(
    label('maxConfigurationUnpackedBytes'),
    get('maxConfigurationUnpackedBytes') ?? String(1024 * 1024 * 1024),
  );
  const configurationUnpackTimeoutMs = parseDuration(label('configurationUnpackTimeout'), get('configurationUnpackTimeout') ?? '60s');
  const configurationValidations = parsePositiveInteger(label('configurationValidations'), get('configurationValidations') ?? '2');

  const runConcurrency = parsePositiveInteger(label('runConcurrency'), get('runConcurrency') ?? '10');
  const runnerSlots = parseNonNegativeInteger(label('runnerSlots'), get('runnerSlots') ?? '4');
  const runLeaseMs = parseDuration(label('runLease'), get('runLease') ?? '60s');
  if (runLeaseMs < 2000) throw new ConfigError(label('runLease'), 'must be at least 2s: agents renew it every second');
  const planTimeoutMs = parseDuration(label('planTimeout'), get('planTimeout') ?? '2h');
  const applyTimeoutMs = parseDuration(label('applyTimeout'), get('applyTimeout') ?? '2h');
  const shutdownGraceMs = parseDuration(label('shutdownGrace'), get('shutdownGrace') ?? '20s');
  const runTaskTimeoutMs = parseDuration(label('runTaskTimeout'), get('runTaskTimeout') ?? '10m');
  const policyEvaluationTimeoutMs = parseDuration(label('policyEvaluationTimeout'), get('policyEvaluationTimeout') ?? '10s');

  const runIsolation = (get('runIsolation') ?? 'auto') as IsolationSetting;
  if (!ISOLATION_SETTINGS.includes(runIsolation))
    throw new ConfigError(label('runIsolation'), `"${runIsolation}" is not one of ${ISOLATION_SETTINGS.join(', ')}`);
  const rawUids = get('runUids') ?? DEFAULT_RUN_UIDS;
  const runUids = parseUidRange(rawUids);
  if (!runUids) throw new ConfigError(label('runUids'), `"${rawUids}" is not a uid range first-last, from 1000 up`);
  if (rangeSize(runUids) < runnerSlots) throw new ConfigError(label('runUids'), `${rawUids} has fewer uids than the ${runnerSlots} runner slots`);

  const dataDir = resolve(get('dataDir') ?? './data');
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(label('dataDir'), `cannot create ${dataDir}: ${(err as Error).message}`);
  }
  const runDir = resolve(get('runDir') ?? defaultRunDir(dataDir));
  if (isInside(runDir, dataDir) || isInside(dataDir, runDir)) {
    throw new ConfigError(label('runDir'), `${runDir} and the data directory ${dataDir} must not contain one another`);
  }
  const encryptionKey = loadEncryptionKey(dataDir, get('encryptionKey'));
  const previousEncryptionKeys = Object.freeze(
    (get('previousEncryptionKeys') ?? '')
      .split(',')
      .filter((raw) => raw.trim() !== '')
      .map((raw) => decodeKey(label('previousEncryptionKeys'), raw)),
  );

  return Object.freeze({
    host,
    port,
    hostname,
    dataDir,
    databaseUrl,
    metricsToken,
    blobStore,
    tlsCertFile,
    tlsKeyFile,
    adminToken,
    encryptionKey,
    previousEncryptionKeys,
    rateLimit,
    logLevel: get('logLevel') ?? 'info',
    maxStateBytes,
    maxConfigurationBytes,
    maxConfigurationUnpackedBytes,
    configurationUnpackTimeoutMs,
    configurationValidations,
    runConcurrency,
    runnerSlots,
    runLeaseSeconds: Math.ceil(runLeaseMs / 1000),
    planTimeoutMs,
    applyTimeoutMs,
    shutdownGraceMs,
    runTaskTimeoutMs,
    policyEvaluationTimeoutMs,
    terraformBinary: get('terraformBinary') ?? 'terraform',
    runIsolation,
    runUids,
    runDir,
    ipRanges: Object.freeze(parseCidrList(label('ipRanges'), get('ipRanges') ?? '')),
    notificationAllowedHosts: Object.freeze(parseHostList(label('notificationAllowedHosts'), get('notificationAllowedHosts') ?? '')),
    smtp: parseSmtp(get, label, hostname),
  });
}
