import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { createPostgresDatabase, freePort, testDatabases } from './harness.js';
import { spawnTerrace, TERRACE_CLI } from './terrace-process.js';

/** The compiled command, run as users run it. PGlite only: its data directory is the point. */
const TOKEN = /^[1-9A-Za-z]{14}\.terrace\.[\w-]{64}$/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string>): ChildProcess {
  // A clean environment: no DATABASE_URL or TERRACE_* setting leaks in from the test run.
  return spawnTerrace(args, { env: { PATH: process.env.PATH ?? '', TERRACE_LOG_LEVEL: 'warn', ...env }, stdio: 'pipe' });
}

function run(args: string[], env: Record<string, string>, input = ''): Promise<Result> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  child.stdin?.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A running `terrace serve` and the lines it printed up to the CA certificate line. */
async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = start(['serve'], env);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const lines = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      if (/^CA certificate for clients.*\n/m.test(stdout)) {
        clearTimeout(timer);
        resolve(stdout.split('\n'));
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return { child, lines };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('the terrace command', () => {
  let dataDir = '';
  let env: Record<string, string> = {};
  let port = 0;
  let adminToken = '';
  let bobToken = '';
  let running: ChildProcess | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'terrace-command-'));
    port = await freePort();
    env = { TERRACE_DATA_DIR: dataDir, TERRACE_PORT: String(port) };
  });
  after(async () => {
    if (running && running.exitCode === null) await stop(running);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function accountDetails(caFile: string, token: string): Promise<{ status: number; body: any }> {
    const agent = new Agent({ connect: { ca: readFileSync(caFile) } });
    try {
      const res = await fetch(`https://localhost:${port}/api/v2/account/details`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
      return { status: res.status, body: await res.json() };
    } finally {
      await agent.close();
    }
  }

  // These two never open the database, so their runs go in parallel.
  it('prints usage for --help on every command and exits 0', async () => {
    const cases = [
      [['--help'], 'Usage: terrace <command>'],
      [['serve', '--help'], 'Usage: terrace serve'],
      [['user', 'create', '--help'], 'Usage: terrace user create'],
      [['token', 'create', '--help'], 'Usage: terrace token create'],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => run([...args], env)));
    cases.forEach(([args, usage], i) => {
      const result = results[i] as Result;
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stdout.startsWith(usage), `${args.join(' ')} printed:\n${result.stdout}`);
    });
  });

  it('prints its version, the one in package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(dirname(TERRACE_CLI), '..', '..', 'package.json'), 'utf8'));
    for (const args of [['--version'], ['version']]) {
      const result = await run(args, env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `terrace ${version}\n`);
    }
  });

  it('stops with one line naming a bad setting', async () => {
    const cases = [
      [['serve'], { TERRACE_PORT: 'abc' }, 'TERRACE_PORT'],
      [['serve', '--port', 'abc'], {}, '--port'],
      [['user', 'create', 'x', '--email', 'x@example.com'], { TERRACE_RATE_LIMIT: '-1' }, 'TERRACE_RATE_LIMIT'],
    ] as const;
    const results = await Promise.all(cases.map(([args, settingEnv]) => run([...args], { ...env, ...settingEnv })));
    cases.forEach(([, , name], i) => {
      const result = results[i] as Result;
      assert.notEqual(result.code, 0);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]?.includes(name), result.stderr);
    });
  });

  it('serves on first start with a new site-admin token and the CA certificate path', async () => {
    const { child, lines } = await serve(env);
    running = child;
    const firstStart = lines.findIndex((l) => l.startsWith('First start: created the site-admin user'));
    assert.ok(firstStart >= 0, lines.join('\n'));
    adminToken =
      lines
        .slice(firstStart)
        .find((l) => TOKEN.test(l.trim()))
        ?.trim() ?? '';
    assert.match(lines[firstStart - 1] ?? '', /^─+$/, 'the token is framed');
    assert.match(adminToken, TOKEN);
    const caFile = lines.find((l) => l.startsWith('CA certificate for clients'))?.split(': ')[1] ?? '';
    assert.equal(caFile, join(dataDir, 'tls', 'ca.pem'));

    const admin = await accountDetails(caFile, adminToken);
    assert.equal(admin.status, 200);
    assert.equal(admin.body.data.type, 'users');
    assert.equal(admin.body.data.attributes.username, 'admin');
    assert.equal((await accountDetails(caFile, `${adminToken}x`)).status, 401);

    // The data directory is this server's alone: a second server is refused.
    const inUse = new RegExp(`data directory ${dataDir} is in use by terrace serve \\(pid ${child.pid}\\)`);
    const second = await run(['serve'], { ...env, TERRACE_PORT: String(await freePort()) });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, inUse);
    assert.equal((statSync(join(dataDir, 'admin.sock')).mode & 0o777).toString(8), '600', 'the admin socket is the server user’s');
  });

  it('runs admin commands through the server that owns the data directory: their writes are there at once and stay', async () => {
    const caFile = join(dataDir, 'tls', 'ca.pem');
    const created = await run(['user', 'create', 'mallory', '--email', 'mallory@example.com', '--password'], env, 'mallory’s long password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Created user mallory \(user-[1-9A-Za-z]{16}\)\n$/);
    const token = await run(['token', 'create', '--user', 'mallory'], env);
    assert.equal(token.code, 0, token.stderr);
    const mallory = await accountDetails(caFile, token.stdout.trim());
    assert.equal(mallory.status, 200, 'the server knows the user and the token at once');
    assert.equal(mallory.body.data.attributes.username, 'mallory');
    const listed = await run(['token', 'list', '--user', 'mallory'], env);
    const id = listed.stdout.split('\t')[0] as string;
    assert.equal((await run(['token', 'revoke', id], env)).code, 0);
    assert.equal((await accountDetails(caFile, token.stdout.trim())).status, 401, 'revoked for the server at once');
    const unknown = await run(['token', 'create', '--user', 'nobody'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'terrace: no user named nobody\n');
    const taken = await run(['user', 'create', 'mallory', '--email', 'm2@example.com'], env);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already taken/);
    assert.equal(await stop(running as ChildProcess), 0);
    assert.equal(existsSync(join(dataDir, 'terrace.lock')), false, 'released at shutdown');
    assert.equal(existsSync(join(dataDir, 'admin.sock')), false, 'the admin socket closed at shutdown');
  });

  it('creates a user with a password read from stdin, and a token for it', async () => {
    const created = await run(['user', 'create', 'bob', '--email', 'bob@example.com', '--password'], env, 'a long enough password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Created user bob \(user-[1-9A-Za-z]{16}\)\n$/);

    const token = await run(['token', 'create', '--user', 'bob', '--description', 'from the command'], env);
    assert.equal(token.code, 0, token.stderr);
    bobToken = token.stdout.trim();
    assert.match(bobToken, TOKEN);
    assert.equal(token.stdout, `${bobToken}\n`, 'the token and nothing else');
  });

  it('lists users, sets a password, lists and revokes tokens', async () => {
    const users = await run(['user', 'list'], env);
    assert.equal(users.code, 0, users.stderr);
    assert.deepEqual(
      users.stdout
        .trim()
        .split('\n')
        .map((line) => [line.split('\t')[0], line.split('\t')[3]]),
      [
        ['admin', 'site admin'],
        ['bob', undefined],
        ['mallory', undefined],
      ],
    );
    const password = await run(['user', 'password', 'bob'], env, 'another long password\n');
    assert.equal(password.code, 0, password.stderr);
    assert.equal(password.stdout, 'Set the password of bob\n');
    const tooShort = await run(['user', 'password', 'bob'], env, 'short\n');
    assert.equal(tooShort.code, 1);
    assert.match(tooShort.stderr, /at least 10 characters/);

    const extra = await run(['token', 'create', '--user', 'bob', '--description', 'to revoke'], env);
    assert.equal(extra.code, 0, extra.stderr);
    const listed = await run(['token', 'list', '--user', 'bob'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    assert.deepEqual(rows.map((row) => row[3]).sort(), ['from the command', 'to revoke']);
    assert.doesNotMatch(listed.stdout, /\.terrace\./, 'no secret in the list');
    const doomed = rows.find((row) => row[3] === 'to revoke')?.[0] as string;
    const revoked = await run(['token', 'revoke', doomed], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `Revoked token ${doomed}\n`);
    assert.deepEqual(
      (await run(['token', 'list', '--user', 'bob'], env)).stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[3]),
      ['from the command'],
    );
    const again = await run(['token', 'revoke', doomed], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not found/);
  });

  it('refuses an unknown user, a taken name and a missing email', async () => {
    const unknown = await run(['token', 'create', '--user', 'nobody'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /nobody/);
    assert.equal(unknown.stdout, '');
    const taken = await run(['user', 'create', 'bob', '--email', 'bob2@example.com'], env);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /already taken/);
    const noEmail = await run(['user', 'create', 'carol'], env);
    assert.equal(noEmail.code, 2);
    assert.match(noEmail.stderr, /--email is required/);
  });

  it('serves again with the same data: no new admin token, both tokens work, and what a crash left in blobs/.tmp is gone', async () => {
    // The temporary files of puts a kill -9 interrupted.
    const temporaryDir = join(dataDir, 'blobs', '.tmp');
    mkdirSync(temporaryDir, { recursive: true });
    for (const name of ['3f2a9c', '77be01']) writeFileSync(join(temporaryDir, name), 'half of a plan');
    const { child, lines } = await serve(env);
    running = child;
    assert.deepEqual(readdirSync(temporaryDir), []);
    assert.ok(!lines.some((l) => l.startsWith('First start')), lines.join('\n'));
    assert.ok(!lines.some((l) => TOKEN.test(l.trim())), 'no token printed');
    const caFile = join(dataDir, 'tls', 'ca.pem');
    const admin = await accountDetails(caFile, adminToken);
    assert.equal(admin.status, 200);
    assert.equal(admin.body.data.attributes.username, 'admin');
    const bob = await accountDetails(caFile, bobToken);
    assert.equal(bob.status, 200);
    assert.equal(bob.body.data.attributes.username, 'bob');
    assert.equal(bob.body.data.attributes.email, 'bob@example.com');
    // Killed, it leaves its lock behind; the next start takes the stale lock over.
    const killed = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await killed;
    assert.equal(existsSync(join(dataDir, 'terrace.lock')), true);
    const restarted = await serve(env);
    running = restarted.child;
    assert.equal((await accountDetails(caFile, bobToken)).status, 200);
    assert.equal(await stop(restarted.child), 0);
  });
});

describe('the terrace command on PostgreSQL', { skip: !testDatabases().includes('postgres') }, () => {
  it('runs admin commands on the database itself while a server runs: the server sees them at once', async () => {
    const { url, database, drop } = await createPostgresDatabase();
    await database.close();
    const dataDir = mkdtempSync(join(tmpdir(), 'terrace-command-pg-'));
    const port = await freePort();
    const env = { TERRACE_DATA_DIR: dataDir, TERRACE_PORT: String(port), DATABASE_URL: url };
    const { child } = await serve(env);
    try {
      const agent = new Agent({ connect: { ca: readFileSync(join(dataDir, 'tls', 'ca.pem')) } });
      const account = async (token: string) =>
        (await fetch(`https://localhost:${port}/api/v2/account/details`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent })).status;
      assert.equal((await run(['user', 'create', 'pat', '--email', 'pat@example.com'], env)).code, 0);
      const token = (await run(['token', 'create', '--user', 'pat'], env)).stdout.trim();
      assert.equal(await account(token), 200);
      const id = (await run(['token', 'list', '--user', 'pat'], env)).stdout.split('\t')[0] as string;
      assert.equal((await run(['token', 'revoke', id], env)).code, 0);
      // The server drops its cached authentication when the database announces the change.
      let status = await account(token);
      for (let attempt = 0; status !== 401 && attempt < 20; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = await account(token);
      }
      assert.equal(status, 401);
      await agent.close();
    } finally {
      await stop(child);
      rmSync(dataDir, { recursive: true, force: true });
      await drop();
    }
  });
});
