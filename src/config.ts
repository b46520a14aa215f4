import { createHash, randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_RUN_UIDS, parseUidRange, rangeSize } from './runner/run-uids.js';
import { ISOLATION_SETTINGS, type IsolationSetting, type UidRange } from './runner/sandbox.js';

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
  /** How long a claim on a plan or apply lasts without renewal (TERRACE_RUN_LEASE); then the reaper errors the run. */
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

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the start (smtps, usually port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** The From address of every mail. */
  readonly from: string;
}

/** A bad setting: start-up stops with one line naming the setting and the reason. */
export class ConfigError extends Error {
  constructor(setting: string, reason: string) {
    super(`invalid setting ${setting}: ${reason}`);
  }
}

interface Setting {
  env: string;
  flag: string;
  description: string;
}

/** Every setting, its environment variable and its flag. The README's table follows this list. */
export const SETTINGS = {
  host: { env: 'TERRACE_HOST', flag: '--host', description: 'address to listen on (default 127.0.0.1)' },
  port: { env: 'TERRACE_PORT', flag: '--port', description: 'HTTPS port (default 8443)' },
  hostname: {
    env: 'TERRACE_HOSTNAME',
    flag: '--hostname',
    description: 'public host[:port] used in returned URLs (default localhost:<port>)',
  },
  dataDir: { env: 'TERRACE_DATA_DIR', flag: '--data-dir', description: 'data directory (default ./data)' },
  databaseUrl: { env: 'DATABASE_URL', flag: '--database-url', description: 'PostgreSQL URL instead of embedded PGlite' },
  metricsToken: {
    env: 'TERRACE_METRICS_TOKEN',
    flag: '--metrics-token',
    description: 'bearer token for GET /metrics (Prometheus), at least 32 characters; without it the endpoint is off',
  },
  blobStore: {
    env: 'TERRACE_BLOB_STORE',
    flag: '--blob-store',
    description: 'where state, configurations, logs and plans are kept: filesystem or postgres (default postgres with DATABASE_URL, else filesystem)',
  },
  tlsCert: { env: 'TERRACE_TLS_CERT', flag: '--tls-cert', description: 'PEM certificate (chain) file' },
  tlsKey: { env: 'TERRACE_TLS_KEY', flag: '--tls-key', description: 'PEM private key file' },
  adminToken: {
    env: 'TERRACE_ADMIN_TOKEN',
    flag: '--admin-token',
    description: 'token (32+ characters) that authenticates as the site admin',
  },
  encryptionKey: {
    env: 'TERRACE_ENCRYPTION_KEY',
    flag: '--encryption-key',
    description: '32-byte key, base64 or hex, for secrets at rest (default: generated in the data dir)',
  },
  previousEncryptionKeys: {
    env: 'TERRACE_PREVIOUS_ENCRYPTION_KEYS',
    flag: '--previous-encryption-keys',
    description: 'comma-separated earlier encryption keys that still open values sealed under them (key rotation)',
  },
  rateLimit: { env: 'TERRACE_RATE_LIMIT', flag: '--rate-limit', description: 'requests per second per token (default 30)' },
  logLevel: { env: 'TERRACE_LOG_LEVEL', flag: '--log-level', description: 'pino log level (default info)' },
  maxStateBytes: { env: 'TERRACE_MAX_STATE_BYTES', flag: '--max-state-bytes', description: 'largest state file accepted, in bytes (default 512 MiB)' },
  runConcurrency: { env: 'TERRACE_RUN_CONCURRENCY', flag: '--run-concurrency', description: 'runs planning or applying at once per organization (default 10)' },
  runnerSlots: { env: 'TERRACE_RUNNER_SLOTS', flag: '--runner-slots', description: 'plans and applies this server runs at once; 0 runs none (default 4)' },
  runLease: {
    env: 'TERRACE_RUN_LEASE',
    flag: '--run-lease',
    description: 'how long a plan or apply stays claimed without a heartbeat from its agent before it errors, e.g. 60s (default 60s)',
  },
  planTimeout: { env: 'TERRACE_PLAN_TIMEOUT', flag: '--plan-timeout', description: 'longest a plan may run, e.g. 90m or 2h (default 2h)' },
  applyTimeout: { env: 'TERRACE_APPLY_TIMEOUT', flag: '--apply-timeout', description: 'longest an apply may run, e.g. 90m or 2h (default 2h)' },
  shutdownGrace: {
    env: 'TERRACE_SHUTDOWN_GRACE',
    flag: '--shutdown-grace',
    description: 'at SIGTERM, how long running plans and applies may go on before they are interrupted, e.g. 5m (default 20s)',
  },
  runTaskTimeout: {
    env: 'TERRACE_RUN_TASK_TIMEOUT',
    flag: '--run-task-timeout',
    description: 'how long a run task may go without a progress update before its result errors, e.g. 10m (default 10m)',
  },
  policyEvaluationTimeout: {
    env: 'TERRACE_POLICY_EVALUATION_TIMEOUT',
    flag: '--policy-evaluation-timeout',
    description: 'longest one policy may take to evaluate before it errors, e.g. 30s (default 10s)',
  },
  terraformBinary: {
    env: 'TERRACE_TERRAFORM_BINARY',
    flag: '--terraform-binary',
    description: 'terraform executable for runs: a path, or a name on the PATH (default terraform)',
  },
  runIsolation: {
    env: 'TERRACE_RUN_ISOLATION',
    flag: '--run-isolation',
    description: 'how runs are isolated from the server: auto, bwrap, uid or none (default auto)',
  },
  runUids: { env: 'TERRACE_RUN_UIDS', flag: '--run-uids', description: `uids runs execute under when root, first-last (default ${DEFAULT_RUN_UIDS})` },
  runDir: {
    env: 'TERRACE_RUN_DIR',
    flag: '--run-dir',
    description: "directory for the runs' working directories, outside the data dir (default <tmp>/terrace-runs-<hash of the data dir>)",
  },
  maxConfigurationBytes: {
    env: 'TERRACE_MAX_CONFIGURATION_BYTES',
    flag: '--max-configuration-bytes',
    description: 'largest configuration upload (.tar.gz) accepted, in bytes (default 512 MiB)',
  },
  maxConfigurationUnpackedBytes: {
    env: 'TERRACE_MAX_CONFIGURATION_UNPACKED_BYTES',
    flag: '--max-configuration-unpacked-bytes',
    description: 'most bytes a configuration may hold unpacked, in bytes (default 1 GiB)',
  },
  configurationUnpackTimeout: {
    env: 'TERRACE_CONFIGURATION_UNPACK_TIMEOUT',
    flag: '--configuration-unpack-timeout',
    description: 'longest a configuration may take to check or unpack, e.g. 60s (default 60s)',
  },
  configurationValidations: {
    env: 'TERRACE_CONFIGURATION_VALIDATIONS',
    flag: '--configuration-validations',
    description: 'uploaded configurations checked at once; the others wait (default 2)',
  },
  ipRanges: {
    env: 'TERRACE_IP_RANGES',
    flag: '--ip-ranges',
    description: "comma-separated CIDR ranges of this server's addresses, published at /api/meta/ip-ranges (default none)",
  },
  notificationAllowedHosts: {
    env: 'TERRACE_NOTIFICATION_ALLOWED_HOSTS',
    flag: '--notification-allowed-hosts',
    description: 'comma-separated hosts notification webhooks may go to: example.com, *.example.com, host:port (default any host)',
  },
  smtpUrl: {
    env: 'TERRACE_SMTP_URL',
    flag: '--smtp-url',
    description: 'SMTP server for notification and invitation mail, smtp://user:password@host:port or smtps://… (instead of the TERRACE_SMTP_* settings)',
  },
  smtpHost: { env: 'TERRACE_SMTP_HOST', flag: '--smtp-host', description: 'SMTP server host; without it (or TERRACE_SMTP_URL) no mail is sent' },
  smtpPort: { env: 'TERRACE_SMTP_PORT', flag: '--smtp-port', description: 'SMTP server port (default 465 with TERRACE_SMTP_SECURE, else 587)' },
  smtpSecure: {
    env: 'TERRACE_SMTP_SECURE',
    flag: '--smtp-secure',
    description: 'true: TLS from the start (smtps); false: STARTTLS when offered (default false)',
  },
  smtpUser: { env: 'TERRACE_SMTP_USER', flag: '--smtp-user', description: 'SMTP user name (default none)' },
  smtpPassword: { env: 'TERRACE_SMTP_PASSWORD', flag: '--smtp-password', description: 'SMTP password (default none)' },
  smtpFrom: { env: 'TERRACE_SMTP_FROM', flag: '--smtp-from', description: 'From address of the mail Terrace sends (default terrace@<hostname>)' },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/** Reads `--flag value` / `--flag=value` for known settings; returns the values and the remaining arguments. */
export function parseSettingFlags(argv: readonly string[]): { values: Partial<Record<SettingName, string>>; rest: string[] } {
  const byFlag = new Map<string, SettingName>(Object.entries(SETTINGS).map(([name, s]) => [s.flag, name as SettingName]));
  const values: Partial<Record<SettingName, string>> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = byFlag.get(flag);
    if (!name) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(flag, 'a value is required');
    values[name] = value;
  }
  return { values, rest };
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new ConfigError(name, `"${raw}" is not a port number (1-65535)`);
  return port;
}

function parsePositiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || !Number.isSafeInteger(value)) throw new ConfigError(name, `"${raw}" is not a positive integer`);
  return value;
}

function parseNonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as `<n>s`, `<n>m` or `<n>h` (a bare number is seconds), in milliseconds. */
function parseDuration(name: string, raw: string): number {
  const match = /^(\d{1,7})([smh]?)$/.exec(raw);
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] || 's'] as number) : 0;
  if (ms < 1000) throw new ConfigError(name, `"${raw}" is not a duration such as 90s, 30m or 2h`);
  return ms;
}

/** Comma-separated IPv4 or IPv6 ranges in CIDR notation (`10.0.0.0/8, 2001:db8::/32`). */
function parseCidrList(name: string, raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
      if (extra !== undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix) || bits === 0 || Number(prefix) > bits) {
        throw new ConfigError(name, `"${entry}" is not an IP range in CIDR notation, such as 203.0.113.0/24`);
      }
      return entry;
    });
}

/** Comma-separated host names, each optionally `*.`-prefixed (its subdomains) and with a `:port`. */
function parseHostList(name: string, raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    .map((entry) => {
      if (!/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/.test(entry) && !/^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(entry)) {
        throw new ConfigError(name, `"${entry}" is not a host such as hooks.example.com, *.example.com or 10.0.0.5:8080`);
      }
      return entry;
    });
}

/** The SMTP server: TERRACE_SMTP_URL, or the TERRACE_SMTP_* settings; undefined when neither names a host. */
function parseSmtp(get: (name: SettingName) => string | undefined, label: (name: SettingName) => string, hostname: string): SmtpSettings | undefined {
  const rawUrl = get('smtpUrl');
  let url: URL | undefined;
  if (rawUrl !== undefined) {
    try {
      url = new URL(rawUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError(label('smtpUrl'), 'must be smtp://[user:password@]host[:port] or smtps://…');
    }
  }
  const host = url?.hostname ?? get('smtpHost');
  if (host === undefined) return undefined;
  const rawSecure = get('smtpSecure');
  if (rawSecure !== undefined && rawSecure !== 'true' && rawSecure !== 'false')
    throw new ConfigError(label('smtpSecure'), `"${rawSecure}" is not true or false`);
  const secure = url ? url.protocol === 'smtps:' : rawSecure === 'true';
  const rawPort = (url?.port || undefined) ?? get('smtpPort');
  const decode = (value: string | undefined) => (value ? decodeURIComponent(value) : undefined);
  const from = get('smtpFrom') ?? `terrace@${hostname.replace(/:\d+$/, '')}`;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from) && !/^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(from)) {
    throw new ConfigError(label('smtpFrom'), `"${from}" is not an email address`);
  }
  return Object.freeze({
    host,
    port: rawPort === undefined ? (secure ? 465 : 587) : parsePort(url ? label('smtpUrl') : label('smtpPort'), rawPort),
    secure,
    user: url ? decode(url.username) : get('smtpUser'),
    password: url ? decode(url.password) : get('smtpPassword'),
    from,
  });
}

function readFileSetting(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new ConfigError(name, `file ${path} does not exist`);
  return resolve(path);
}

function decodeKey(name: string, raw: string): Buffer {
  const trimmed = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ConfigError(name, 'must be 32 bytes, written as 64 hex digits or base64');
  return key;
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
