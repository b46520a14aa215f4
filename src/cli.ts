import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { AdminCommandError, isOperatorError, sendAdminCommand } from './admin/client.js';
import type { AdminRequest } from './admin/requests.js';
import { loadConfig } from './config.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
import { DEFAULT_RUN_UIDS, parseUidRange } from './runner/run-uids.js';
import { ISOLATION_SETTINGS, type IsolationSetting } from './runner/sandbox.js';
import { ConfigError, parseSettingFlags, SETTINGS } from './settings.js';
import { PACKAGE_ROOT } from './package-files.js';

// The server, the database and the agent are imported where a command needs them: `--version`, `--help`
// and a command sent to a running server start without loading them.

const SETTINGS_HELP = Object.values(SETTINGS)
  .map((s) => `  ${`${s.flag} VALUE`.padEnd(24)} ${s.env.padEnd(24)} ${s.description}`)
  .join('\n');

const HELP: Record<string, string> = {
  main: `Usage: terrace <command> [options]

Commands:
  serve                          serve the API over HTTPS
  user create NAME --email E     create a user
  user list                      list the users
  user password NAME             set or reset a user's password (from stdin, or prompted)
  token create --user NAME       create an API token for a user
  token list --user NAME         list a user's tokens (id, created, last used, description)
  token revoke ID                revoke a user token
  secrets rotate                 re-seal every secret under the current encryption key
  agent --url URL                run an agent: plans and applies for an agent pool
  --version                      print the version

Run "terrace <command> --help" for a command's options.`,
  serve: `Usage: terrace serve [settings]

Settings (flag, environment variable, meaning):
${SETTINGS_HELP}`,
  user: `Usage: terrace user create NAME --email EMAIL [--admin] [--password] [settings]
       terrace user list [settings]
       terrace user password NAME [settings]      (the password from stdin, or prompted)

  --email EMAIL   the user's email address (required)
  --admin         make the user a site admin
  --password      set a password (for "terraform login" and the web sign-in): read from stdin, or prompted
Settings as for "terrace serve" (the database ones matter here).`,
  token: `Usage: terrace token create --user NAME [--description TEXT] [settings]
       terrace token list --user NAME [settings]
       terrace token revoke ID [settings]

"create" prints a new API token for the user; "list" shows the user's tokens without their secrets;
"revoke" deletes one. Settings as for "terrace serve".`,
  secrets: `Usage: terrace secrets rotate [--batch-size N] [settings]

Re-seals every encrypted value (sensitive variables, sensitive state outputs, run variables) under
TERRACE_ENCRYPTION_KEY, N values per transaction (default 500). Values sealed under a key in
TERRACE_PREVIOUS_ENCRYPTION_KEYS open again; values already under the current key are left alone,
so the command can run again after an interruption.
Settings as for "terrace serve".`,
  agent: `Usage: terrace agent --url URL [--name NAME] [--work-dir DIR] [--ca-file FILE] [--terraform-binary PATH]

Runs an agent of an agent pool: it asks the Terrace server at URL for plans and applies of the
workspaces that use the pool, and runs them with terraform, one at a time. The agent token comes
from TERRACE_AGENT_TOKEN (create one with POST /api/v2/agent-pools/<id>/authentication-tokens).

  --url URL                 the server, e.g. https://terrace.example.com
  --name NAME               the agent's name in the agents list (default: the host name)
  --work-dir DIR            where run directories are created (default: <tmp>/terrace-agent)
  --ca-file FILE            a CA certificate to trust for the server (its data/tls/ca.pem when generated)
  --terraform-binary PATH   the terraform the runs use (default: terraform on the PATH)
  --isolation MODE          auto (default), bwrap, uid or none: how runs are kept away from the agent,
                            as TERRACE_RUN_ISOLATION for the server's runner
  --run-uid UID             the uid runs execute under when the agent is root (default 64000); give
                            each agent on one machine its own`,
};

/** Parses `--name value` / `--name=value` / `--flag` options; returns them and the positional arguments. */
function parseOptions(
  args: string[],
  valued: readonly string[],
  booleans: readonly string[],
): { options: Record<string, string | true>; positional: string[] } {
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(2, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg.slice(2), undefined];
    if (booleans.includes(name)) options[name] = true;
    else if (valued.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { options, positional };
}

class UsageError extends Error {}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  process.stderr.write('Password: ');
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Mute the echo of typed characters.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const password = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return password;
}

/**
 * Runs an admin command and prints what it prints: through the server that owns the embedded database
 * (its admin socket), or on the database itself, migrated first, when no server owns it or with PostgreSQL.
 */
async function runAdmin(flags: ReturnType<typeof parseSettingFlags>['values'], request: AdminRequest): Promise<void> {
  const config = loadConfig(process.env, flags);
  let releaseDataDir = () => {};
  if (config.databaseUrl === undefined) {
    try {
      releaseDataDir = lockDataDir(config.dataDir, 'admin command');
    } catch (err) {
      const output = err instanceof DataDirInUseError ? await sendAdminCommand(config.dataDir, request) : undefined;
      if (output === undefined) throw err;
      return void process.stdout.write(output);
    }
  }
  // The command opens the embedded database, runs a few statements and exits: V8's optimizing
  // compile of PGlite's WASM (on background threads) would cost a third of its CPU and never pay off.
  // Set before PGlite compiles the module; `terrace serve` keeps it, its queries run for hours.
  if (config.databaseUrl === undefined) setFlagsFromString('--liftoff-only');
  const [{ openConfiguredDatabase }, { migrateToLatest }, { ensureSiteAdmin }, { openConfiguredBlobStore }, { runAdminCommand, siteAdminContext }] =
    await Promise.all([
      import('./db/database.js'),
      import('./db/migrate.js'),
      import('./users/bootstrap.js'),
      import('./blobs/open.js'),
      import('./admin/commands.js'),
    ]);
  const database = await openConfiguredDatabase(config).catch((err: unknown) => {
    releaseDataDir();
    throw err;
  });
  try {
    await migrateToLatest(database.db);
    const firstToken = await ensureSiteAdmin(database.db);
    if (firstToken) process.stderr.write(`Created the site-admin user "admin"; its API token (shown once): ${firstToken}\n`);
    const ctx = await siteAdminContext(database.db, config, openConfiguredBlobStore(config, database));
    process.stdout.write(await runAdminCommand(ctx, request));
  } finally {
    await database.close();
    releaseDataDir();
  }
}

/** The version in package.json, which ships with the compiled code (dist/src/cli.js → ../../package.json). */
function terraceVersion(): string {
  const packageJson = join(PACKAGE_ROOT, 'package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  const { values: flags, rest } = parseSettingFlags(argv);
  const [command, sub, ...args] = rest;
  if (command === '--version' || command === 'version') return void process.stdout.write(`terrace ${terraceVersion()}\n`);
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (!command || command === 'help' || (wantsHelp && !HELP[command])) return void process.stdout.write(`${HELP.main}\n`);
  if (wantsHelp) return void process.stdout.write(`${HELP[command]}\n`);

  if (command === 'serve') {
    if (sub !== undefined) throw new UsageError(`unexpected argument ${sub}`);
    const { serve } = await import('./serve.js');
    return serve(loadConfig(process.env, flags), (line) => process.stdout.write(`${line}\n`));
  }
  if (command === 'user' && sub === 'create') {
    const { options, positional } = parseOptions(args, ['email'], ['admin', 'password']);
    const [username, extra] = positional;
    if (!username || extra !== undefined) throw new UsageError('give exactly one user name');
    if (typeof options.email !== 'string') throw new UsageError('--email is required');
    const password = options.password ? await readPassword() : undefined;
    return runAdmin(flags, {
      command: 'user create',
      username,
      email: options.email,
      admin: options.admin === true,
      ...(password === undefined ? {} : { password }),
    });
  }
  if (command === 'user' && sub === 'list') {
    if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
    return runAdmin(flags, { command: 'user list' });
  }
  if (command === 'user' && sub === 'password') {
    const { positional } = parseOptions(args, [], []);
    const [username, extra] = positional;
    if (!username || extra !== undefined) throw new UsageError('give exactly one user name');
    return runAdmin(flags, { command: 'user password', username, password: await readPassword() });
  }
  if (command === 'token' && sub === 'list') {
    const { options, positional } = parseOptions(args, ['user'], []);
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    if (typeof options.user !== 'string') throw new UsageError('--user is required');
    return runAdmin(flags, { command: 'token list', user: options.user });
  }
  if (command === 'token' && sub === 'revoke') {
    const { positional } = parseOptions(args, [], []);
    const [id, extra] = positional;
    if (!id || extra !== undefined) throw new UsageError('give exactly one token id (see "terrace token list")');
    return runAdmin(flags, { command: 'token revoke', id });
  }
  if (command === 'token' && sub === 'create') {
    const { options, positional } = parseOptions(args, ['user', 'description'], []);
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    if (typeof options.user !== 'string') throw new UsageError('--user is required');
    return runAdmin(flags, { command: 'token create', user: options.user, description: typeof options.description === 'string' ? options.description : null });
  }
  if (command === 'agent') {
    const { options, positional } = parseOptions(
      [...(sub === undefined ? [] : [sub]), ...args],
      ['url', 'name', 'work-dir', 'ca-file', 'terraform-binary', 'isolation', 'run-uid'],
      [],
    );
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    if (typeof options.url !== 'string') throw new UsageError('--url is required');
    const token = process.env.TERRACE_AGENT_TOKEN;
    if (!token) throw new UsageError('TERRACE_AGENT_TOKEN must hold the agent token');
    const { runRemoteAgent } = await import('./agent/main.js');
    const option = (name: string) => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
    const isolation = option('isolation') ?? 'auto';
    if (!(ISOLATION_SETTINGS as readonly string[]).includes(isolation)) throw new UsageError(`--isolation must be one of ${ISOLATION_SETTINGS.join(', ')}`);
    const runUid = parseUidRange(option('run-uid') ?? String(parseUidRange(DEFAULT_RUN_UIDS)?.first));
    if (!runUid || runUid.first !== runUid.last) throw new UsageError('--run-uid must be one uid, from 1000');
    return runRemoteAgent({
      isolation: isolation as IsolationSetting,
      runUid: runUid.first,
      url: options.url,
      token,
      name: option('name'),
      workDir: option('work-dir') ?? join(tmpdir(), 'terrace-agent'),
      caFile: option('ca-file'),
      terraformBinary: option('terraform-binary') ?? 'terraform',
    });
  }
  if (command === 'secrets' && sub === 'rotate') {
    const { options, positional } = parseOptions(args, ['batch-size'], []);
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const batchSize = options['batch-size'] === undefined ? 500 : Number(options['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch-size must be a positive integer');
    return runAdmin(flags, { command: 'secrets rotate', batchSize });
  }
  throw new UsageError(`unknown command "${[command, sub].filter(Boolean).join(' ')}"`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof UsageError || isOperatorError(err) || err instanceof DataDirInUseError || err instanceof AdminCommandError) {
    process.stderr.write(`terrace: ${err.message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
  process.stderr.write(`terrace: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
