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

/** A setting read from `env`, or from the flag named after it: `TERRACE_RUN_LEASE` → `--run-lease`. */
function setting(env: string, description: string): Setting {
  const name = env.replace(/^TERRACE_/, '').toLowerCase();
  return { env, flag: `--${name.replaceAll('_', '-')}`, description };
}

/** Every setting, its environment variable and its flag. The README's table follows this list. */
export const SETTINGS = {
  host: setting('TERRACE_HOST', 'address to listen on (default 127.0.0.1)'),
  port: setting('TERRACE_PORT', 'HTTPS port (default 8443)'),
  hostname: setting('TERRACE_HOSTNAME', 'public host[:port] used in returned URLs (default localhost:<port>)'),
  dataDir: setting('TERRACE_DATA_DIR', 'data directory (default ./data)'),
  databaseUrl: setting('DATABASE_URL', 'PostgreSQL URL instead of embedded PGlite'),
  metricsToken: setting('TERRACE_METRICS_TOKEN', 'bearer token for GET /metrics (Prometheus), at least 32 characters; without it the endpoint is off'),
  blobStore: setting(
    'TERRACE_BLOB_STORE',
    'where state, configurations, logs and plans are kept: filesystem or postgres (default postgres with DATABASE_URL, else filesystem)',
  ),
  tlsCert: setting('TERRACE_TLS_CERT', 'PEM certificate (chain) file'),
  tlsKey: setting('TERRACE_TLS_KEY', 'PEM private key file'),
  adminToken: setting('TERRACE_ADMIN_TOKEN', 'token (32+ characters) that authenticates as the site admin'),
  encryptionKey: setting('TERRACE_ENCRYPTION_KEY', '32-byte key, base64 or hex, for secrets at rest (default: generated in the data dir)'),
  previousEncryptionKeys: setting(
    'TERRACE_PREVIOUS_ENCRYPTION_KEYS',
    'comma-separated earlier encryption keys that still open values sealed under them (key rotation)',
  ),
  rateLimit: setting('TERRACE_RATE_LIMIT', 'requests per second per token (default 30)'),
  logLevel: setting('TERRACE_LOG_LEVEL', 'pino log level (default info)'),
  maxStateBytes: setting('TERRACE_MAX_STATE_BYTES', 'largest state file accepted, in bytes (default 512 MiB)'),
  runConcurrency: setting('TERRACE_RUN_CONCURRENCY', 'runs planning or applying at once per organization (default 10)'),
  runnerSlots: setting('TERRACE_RUNNER_SLOTS', 'plans and applies this server runs at once; 0 runs none (default 4)'),
  runLease: setting(
    'TERRACE_RUN_LEASE',
    'how long a plan or apply stays claimed without a heartbeat from its agent before it errors, or goes back to the queue if the agent never accepted it, e.g. 60s (default 60s)',
  ),
  planTimeout: setting('TERRACE_PLAN_TIMEOUT', 'longest a plan may run, e.g. 90m or 2h (default 2h)'),
  applyTimeout: setting('TERRACE_APPLY_TIMEOUT', 'longest an apply may run, e.g. 90m or 2h (default 2h)'),
  shutdownGrace: setting(
    'TERRACE_SHUTDOWN_GRACE',
    'at SIGTERM, how long running plans and applies may go on before they are interrupted, e.g. 5m (default 20s)',
  ),
  runTaskTimeout: setting('TERRACE_RUN_TASK_TIMEOUT', 'how long a run task may go without a progress update before its result errors, e.g. 10m (default 10m)'),
  policyEvaluationTimeout: setting('TERRACE_POLICY_EVALUATION_TIMEOUT', 'longest one policy may take to evaluate before it errors, e.g. 30s (default 10s)'),
  terraformBinary: setting('TERRACE_TERRAFORM_BINARY', 'terraform executable for runs: a path, or a name on the PATH (default terraform)'),
  runIsolation: setting('TERRACE_RUN_ISOLATION', 'how runs are isolated from the server: auto, bwrap, uid or none (default auto)'),
  runUids: setting('TERRACE_RUN_UIDS', `uids runs execute under when root, first-last (default ${DEFAULT_RUN_UIDS})`),
  runDir: setting('TERRACE_RUN_DIR', "directory for the runs' working directories, outside the data dir (default <tmp>/terrace-runs-<hash of the data dir>)"),
  maxConfigurationBytes: setting('TERRACE_MAX_CONFIGURATION_BYTES', 'largest configuration upload (.tar.gz) accepted, in bytes (default 512 MiB)'),
  maxConfigurationUnpackedBytes: setting('TERRACE_MAX_CONFIGURATION_UNPACKED_BYTES', 'most bytes a configuration may hold unpacked, in bytes (default 1 GiB)'),
  configurationUnpackTimeout: setting('TERRACE_CONFIGURATION_UNPACK_TIMEOUT', 'longest a configuration may take to check or unpack, e.g. 60s (default 60s)'),
  configurationValidations: setting('TERRACE_CONFIGURATION_VALIDATIONS', 'uploaded configurations checked at once; the others wait (default 2)'),
  ipRanges: setting('TERRACE_IP_RANGES', "comma-separated CIDR ranges of this server's addresses, published at /api/meta/ip-ranges (default none)"),
  notificationAllowedHosts: setting(
    'TERRACE_NOTIFICATION_ALLOWED_HOSTS',
    'comma-separated hosts notification webhooks may go to: example.com, *.example.com, host:port (default any host)',
  ),
  smtpUrl: setting(
    'TERRACE_SMTP_URL',
    'SMTP server for notification and invitation mail, smtp://user:password@host:port or smtps://… (instead of the TERRACE_SMTP_* settings)',
  ),
  smtpHost: setting('TERRACE_SMTP_HOST', 'SMTP server host; without it (or TERRACE_SMTP_URL) no mail is sent'),
  smtpPort: setting('TERRACE_SMTP_PORT', 'SMTP server port (default 465 with TERRACE_SMTP_SECURE, else 587)'),
  smtpSecure: setting('TERRACE_SMTP_SECURE', 'true: TLS from the start (smtps); false: STARTTLS when offered (default false)'),
  smtpUser: setting('TERRACE_SMTP_USER', 'SMTP user name (default none)'),
  smtpPassword: setting('TERRACE_SMTP_PASSWORD', 'SMTP password (default none)'),
  smtpFrom: setting('TERRACE_SMTP_FROM', 'From address of the mail Terrace sends (default terrace@<hostname>)'),
} satisfies Record<string, Setting>;

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
