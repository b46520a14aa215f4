import { DEFAULT_RUN_UIDS } from './runner/run-uids.js';

/** The settings: each one's environment variable, flag and description, and the flags' parsing. */

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
    description:
      'how long a plan or apply stays claimed without a heartbeat from its agent before it errors, or goes back to the queue if the agent never accepted it, e.g. 60s (default 60s)',
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
