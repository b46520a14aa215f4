import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrganization } from '../../src/organizations/service.js';
import type { TestServer } from '../harness.js';

/** The longest a single terraform command may run before the test kills it. */
export const TERRAFORM_TIMEOUT_MS = 30_000;

export interface TerraformResult {
  /** The exit code; null when the process was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/** A running terraform command: its output so far, a way to answer prompts, and its result. */
export interface TerraformProcess {
  readonly child: ChildProcess;
  /** Resolves with the first match of `pattern` in the output, or rejects when the process exits or the time is up. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes to stdin, e.g. `yes\n` for "Do you want to proceed?". */
  write(text: string): void;
  readonly result: Promise<TerraformResult>;
  output(): string;
}

export interface RunOptions {
  /** Working directory; the sandbox's `workdir` by default. */
  cwd?: string;
  /** Extra environment variables; undefined removes one of the defaults. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** One request as Terrace logged it. */
export interface RequestLog {
  method: string;
  path: string;
  status: number;
}

/**
 * Collects the requests a test server handles, from its log lines: pass `logStream` to the
 * TestServer's options, read `requests` after a command to see what the CLI asked for.
 * @example const recorder = recordRequests(); const server = new TestServer('pglite', { logStream: recorder.logStream })
 */
export function recordRequests(): {
  logStream: { write(line: string): void };
  requests: RequestLog[];
  find(method: string, path: string): RequestLog | undefined;
} {
  const requests: RequestLog[] = [];
  return {
    requests,
    logStream: {
      write(line: string) {
        const entry = JSON.parse(line);
        if (entry.msg === 'request') requests.push({ method: entry.method, path: entry.path, status: entry.status });
      },
    },
    find: (method, path) => requests.findLast((r) => r.method === method && r.path === path),
  };
}

/** HCL for a `terraform { cloud { … } }` block using the name strategy (cli-protocol.md §4.1). */
export function cloudBlock(hostname: string, organization: string, workspace: string): string {
  return `terraform {
  cloud {
    hostname     = ${JSON.stringify(hostname)}
    organization = ${JSON.stringify(organization)}
    workspaces {
      name = ${JSON.stringify(workspace)}
    }
  }
}
`;
}

/**
 * An isolated place to run the real `terraform` (on PATH) against a test server: its own HOME
 * (where `terraform login` writes `.terraform.d/credentials.tfrc.json`), CLI config file and working
 * directory, trusting only the test server's CA. Call `cleanup()` in `after`: it kills any command
 * still running and removes the files.
 * @example const tf = new TerraformSandbox(server.caFile); tf.writeCredentials(server.hostname, token); await tf.run(['init', '-input=false'])
 */
export class TerraformSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'terrace-tf-'));
  readonly home = join(this.root, 'home');
  readonly workdir = join(this.root, 'work');
  readonly cliConfigFile = join(this.root, 'terraform.rc');
  private readonly bin = join(this.root, 'bin');
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly caFile: string) {
    // terraform login (1.11) does not create ~/.terraform.d and fails to save the token without it.
    for (const dir of [join(this.home, '.terraform.d'), this.workdir, this.bin]) mkdirSync(dir, { recursive: true });
    writeFileSync(this.cliConfigFile, '');
    // terraform opens a browser with the first of xdg-open, x-www-browser, www-browser on PATH; this
    // one fails, so nothing opens and the CLI prints the login URL for the test to follow instead.
    writeFileSync(join(this.bin, 'xdg-open'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(this.bin, 'xdg-open'), 0o755);
  }

  /**
   * The environment of every command: nothing inherited that could point terraform elsewhere.
   * While TF_CLI_CONFIG_FILE is set, terraform ignores ~/.terraform.d, including the
   * credentials.tfrc.json that `terraform login` writes: remove it (`{ TF_CLI_CONFIG_FILE: undefined }`)
   * to run with the credentials of an earlier login.
   */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const passThrough = Object.fromEntries(
      ['TMPDIR', 'TF_LOG', 'TF_LOG_PATH'].flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
    );
    const env: Record<string, string | undefined> = {
      ...passThrough,
      PATH: `${this.bin}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      HOME: this.home,
      TF_CLI_CONFIG_FILE: this.cliConfigFile,
      SSL_CERT_FILE: this.caFile,
      CHECKPOINT_DISABLE: '1',
      // Only changes wording (no "run terraform plan" hints); prompts, including login's, still work.
      TF_IN_AUTOMATION: '1',
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  }

  writeCliConfig(hcl: string): void {
    writeFileSync(this.cliConfigFile, hcl);
  }

  /** A `credentials` block for `hostname` in the CLI config file (cli-protocol.md §2.4). */
  writeCredentials(hostname: string, token: string): void {
    this.writeCliConfig(`credentials ${JSON.stringify(hostname)} {\n  token = ${JSON.stringify(token)}\n}\n`);
  }

  /** The tokens `terraform login` stored, by host. */
  storedCredentials(): Record<string, { token: string }> {
    return JSON.parse(readFileSync(join(this.home, '.terraform.d', 'credentials.tfrc.json'), 'utf8')).credentials;
  }

  /** Writes a file into a directory of the sandbox (the working directory by default) and returns that directory. */
  writeFile(name: string, content: string, dir = this.workdir): string {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), content);
    return dir;
  }

  /** A fresh working directory under the sandbox, e.g. one per test. */
  newWorkdir(name: string): string {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Starts `terraform <args>`; stdin stays open for prompts. */
  start(args: string[], options: RunOptions = {}): TerraformProcess {
    const child = spawn('terraform', args, { cwd: options.cwd ?? this.workdir, env: this.env(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.running.add(child);
    let stdout = '';
    let stderr = '';
    let output = '';
    const listeners = new Set<() => void>();
    const notify = () => {
      for (const listener of listeners) listener();
    };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      output += chunk;
      notify();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      output += chunk;
      notify();
    });
    // A prompt answered after the process exited must not crash the test with EPIPE.
    child.stdin?.on('error', () => {});

    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? TERRAFORM_TIMEOUT_MS);
    let exited = false;
    const result = new Promise<TerraformResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        exited = true;
        this.running.delete(child);
        notify();
        resolve({ code, stdout, stderr, output });
      });
    });

    const waitFor = (pattern: RegExp, timeoutMs = TERRAFORM_TIMEOUT_MS): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (!match && !exited) return;
          listeners.delete(check);
          clearTimeout(deadline);
          if (match) resolve(match);
          else reject(new Error(`terraform ${args.join(' ')} exited before printing ${pattern}:\n${output}`));
        };
        const deadline = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`terraform ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });

    return { child, waitFor, write: (text) => child.stdin?.write(text), result, output: () => output };
  }

  /** Runs `terraform <args>` with stdin closed (no prompt can block) and returns its result. */
  async run(args: string[], options: RunOptions = {}): Promise<TerraformResult> {
    const proc = this.start(args, options);
    proc.child.stdin?.end();
    return proc.result;
  }

  cleanup(): void {
    for (const child of this.running) child.kill('SIGKILL');
    this.running.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The world of a CLI test on a started server: a new user owning the organization `acme` (with
 * `settings`), and a sandbox trusting the server whose CLI config holds that user's token.
 */
export async function acmeOwnerSandbox(
  server: TestServer,
  settings: Parameters<typeof createOrganization>[1]['settings'] = {},
): Promise<{ owner: { id: string; username: string; token: string }; tf: TerraformSandbox }> {
  const owner = await server.createUser();
  const ownerCtx = {
    ...server.adminCtx(),
    subject: { kind: 'user' as const, userId: owner.id, username: owner.username, isSiteAdmin: false, tokenId: null },
  };
  await createOrganization(ownerCtx, { name: 'acme', email: 'acme@example.com', settings });
  const tf = new TerraformSandbox(server.caFile);
  tf.writeCredentials(server.hostname, owner.token);
  return { owner, tf };
}
