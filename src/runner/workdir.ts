import { constants, type ReadStream, type WriteStream } from 'node:fs';
import { chmod, copyFile, lchown, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, realpath, rm, rmdir, writeFile } from 'node:fs/promises';
import { domainToASCII } from 'node:url';
import { join } from 'node:path';
import { isTerraformIdentifier, validateKey } from '../variables/rules.js';

/**
 * A run's private working directory and the environment terraform runs in. Nothing of the server's
 * own environment reaches the run: the environment is built from scratch (PATH and HOME minimal,
 * the run's env variables, the documented TFC_* variables, the per-run token).
 *
 * Terraform variables go to an HCL file passed with `-var-file`, not to a `*.auto.tfvars(.json)`
 * file in the configuration:
 * - HCL, because a variable marked `hcl` holds an HCL expression (`{ a = "b" }`, `<<EOT` heredocs,
 *   function calls) that a JSON file cannot carry without an HCL parser here; in HCL it is written
 *   as it is and every other value is written as a quoted, escaped string literal.
 * - `-var-file`, because workspace variables overwrite the configuration's own `*.auto.tfvars`
 *   (concepts/workspaces/variables/index.mdx "Precedence", 14), and Terraform reads `*.auto.tfvars`
 *   files in lexical order, so one of the configuration's could come after ours; `-var-file`
 *   values come after every such file. A saved plan carries its variables, so only the plan needs it.
 */

export interface RunWorkdir {
  /** The run's own directory, mode 0700; everything below belongs to the run (and its uid, after `handOver`). */
  readonly root: string;
  /** Where the configuration version is extracted. */
  readonly configDir: string;
  readonly homeDir: string;
  readonly tmpDir: string;
  /** Removes the whole directory. */
  remove(): Promise<void>;
}

/**
 * Makes `dir` the base of the run directories at start: a directory of this process's user (not a
 * link, not someone else's: the default lives in the shared /tmp), mode 0711 so that a run's uid
 * reaches its own directory without listing the others; and empty, since what a server that died
 * left there (tokens, variables, plans) must not outlive it.
 */
export async function prepareRunDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o711 });
  const stat = await lstat(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.()) throw new Error(`the run directory ${dir} is not a directory of this user`);
  await chmod(dir, 0o711);
  for (const entry of await readdir(dir)) await removeTree(join(dir, entry));
}

/** Removes the base at shutdown when no run is left in it. */
export async function removeRunDir(dir: string): Promise<void> {
  await rmdir(dir).catch(() => {});
}

/** Creates a fresh directory for one run under `parentDir` (created 0711 when missing, see `prepareRunDir`). */
export async function createWorkdir(parentDir: string, runId: string): Promise<RunWorkdir> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`not a run id: ${runId}`);
  await mkdir(parentDir, { recursive: true, mode: 0o711 });
  // mkdtemp creates the directory with mode 0700 and a name nobody can predict; its real path is
  // what `openRunFile` compares with.
  const root = await realpath(await mkdtemp(join(parentDir, `${runId}-`)));
  const workdir: RunWorkdir = {
    root,
    configDir: join(root, 'config'),
    homeDir: join(root, 'home'),
    tmpDir: join(root, 'tmp'),
    remove: () => removeTree(root),
  };
  for (const dir of [workdir.configDir, workdir.homeDir, workdir.tmpDir]) await mkdir(dir, { mode: 0o700 });
  return workdir;
}

/** Removes a tree even where the run took its own write permission away (possible under the server's uid). */
async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    if (!['EACCES', 'EPERM', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await makeWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function makeWritable(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat?.isDirectory()) return;
  await chmod(path, 0o700);
  for (const entry of await readdir(path)) await makeWritable(join(path, entry));
}

/** The uid (and gid, the same number) that owns a run's files in the modes with a run uid. */
export type RunOwner = number;

/**
 * Gives everything the server wrote into the run's directory to the run's uid, before terraform
 * starts. Links are changed themselves, never followed: the configuration may hold links (inside it).
 */
export async function handOver(workdir: RunWorkdir, owner: RunOwner): Promise<void> {
  const walk = async (path: string): Promise<void> => {
    await lchown(path, owner, owner);
    if (!(await lstat(path)).isDirectory()) return;
    for (const entry of await readdir(path)) await walk(join(path, entry));
  };
  await walk(workdir.root);
}

/**
 * A new file the server writes into a run's directory once terraform has run there (e.g. the saved
 * plan): never through a link the run left at that name (O_EXCL), and owned by the run's uid.
 */
export async function createRunFile(path: string, owner: RunOwner | undefined): Promise<WriteStream> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  if (owner !== undefined) await handle.chown(owner, owner);
  return handle.createWriteStream();
}

/**
 * A file of the run's directory that the server reads after terraform ran there (the plan, the lock
 * file), as a stream. Terraform ran the configuration's code, which may have replaced the file or a
 * directory above it with a link to a file of the server's (the encryption key, for one): the file
 * opened must be a regular file that really lies inside the run's directory.
 */
export async function openRunFile(workdir: RunWorkdir, path: string): Promise<ReadStream> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!real.startsWith(`${workdir.root}/`) || !(await handle.stat()).isFile()) throw new Error(`${path} is not a file of the run's directory`);
    return handle.createReadStream();
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * A copy of the CA certificate that verifies Terrace, inside the run's directory: the run cannot read
 * the data directory where the original lives. Returns its path, for SSL_CERT_FILE.
 */
export async function copyCaCertificate(workdir: RunWorkdir, caFile: string): Promise<string> {
  const file = join(workdir.root, 'ca.pem');
  await copyFile(caFile, file);
  await chmod(file, 0o644);
  return file;
}

export interface RunVariable {
  key: string;
  value: string;
  /** For terraform variables: the value is an HCL expression, not a string. */
  hcl: boolean;
  category: 'terraform' | 'env';
}

/**
 * An HCL quoted string literal whose value is exactly `value`: quotes, backslashes and control
 * characters escaped, and `${` / `%{` doubled so they are not read as template sequences.
 */
export function hclString(value: string): string {
  const escaped = value.replace(/[\\"\p{Cc}]|\$\{|%\{/gu, (match) => {
    switch (match) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '${':
        return '$${';
      case '%{':
        return '%%{';
      default:
        return `\\u${match.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
  return `"${escaped}"`;
}

/**
 * The `-var-file` contents for the run's terraform variables (env variables are left out): HCL for
 * keys that are identifiers, and JSON for the others (HCP Terraform accepts keys such as UUIDs; no
 * configuration can declare them, so terraform only warns about them), or null when there are none.
 */
export function terraformVariablesFiles(variables: readonly RunVariable[]): { hcl: string; json: string | null } {
  const terraform = variables.filter((variable) => variable.category === 'terraform');
  // A newline after every value ends a heredoc.
  const hcl = terraform
    .filter((variable) => isTerraformIdentifier(variable.key))
    .map((variable) => `${variable.key} = ${variable.hcl ? variable.value : hclString(variable.value)}\n`)
    .join('');
  const others = terraform.filter((variable) => !isTerraformIdentifier(variable.key));
  return { hcl, json: others.length === 0 ? null : JSON.stringify(Object.fromEntries(others.map((variable) => [variable.key, variable.value]))) };
}

/** Writes the variables files into the run's directory and returns their paths, for `-var-file=<path>` each. */
export async function writeTerraformVariables(workdir: RunWorkdir, variables: readonly RunVariable[]): Promise<string[]> {
  const { hcl, json } = terraformVariablesFiles(variables);
  const files: [string, string][] = [[join(workdir.root, 'terrace.tfvars'), hcl]];
  if (json !== null) files.push([join(workdir.root, 'terrace-other.tfvars.json'), json]);
  for (const [file, content] of files) await writeFile(file, content, { mode: 0o600 });
  return files.map(([file]) => file);
}

/**
 * The CLI configuration of the run: the per-run token as a `credentials` block, which works for any
 * hostname, unlike `TF_TOKEN_*` variables, which cannot name a host with a port (cli-protocol.md §11,
 * 23). Returns its path, for `TF_CLI_CONFIG_FILE`.
 */
export async function writeCliConfig(workdir: RunWorkdir, hostname: string, token: string): Promise<string> {
  const file = join(workdir.root, 'terraform.rc');
  await writeFile(file, `credentials ${hclString(hostname)} {\n  token = ${hclString(token)}\n}\n`, { mode: 0o600 });
  return file;
}

/**
 * The `TF_TOKEN_…` variable name for a hostname: dots become `_`, hyphens `__`, other characters
 * punycode (Terraform "Environment Variable Credentials"); undefined for a host with a port or an
 * IP literal, which such a name cannot express.
 */
export function tokenVariableName(hostname: string): string | undefined {
  const ascii = domainToASCII(hostname);
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(ascii) || /^[\d.]+$/.test(ascii)) return undefined;
  return `TF_TOKEN_${ascii.replaceAll('.', '_').replaceAll('-', '__')}`;
}

/** A POSIX shell single-quoted word (GIT_SSH_COMMAND is run by a shell). */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Where a run's SSH key and the host keys its ssh meets live, inside the run's directory. */
export function sshFiles(workdir: RunWorkdir): { key: string; knownHosts: string } {
  return { key: join(workdir.root, 'ssh-key'), knownHosts: join(workdir.root, 'ssh-known-hosts') };
}

/**
 * Writes the workspace's SSH key (concepts/workspaces/settings/ssh-keys.mdx) where only the run reads
 * it (0600, inside the run's 0700 directory), with the line ends and final newline ssh insists on.
 * Returns its path; the phase removes it once `terraform init` has cloned the modules.
 */
export async function writeSshKey(workdir: RunWorkdir, key: string): Promise<string> {
  const file = sshFiles(workdir).key;
  const normalized = key.replace(/\r\n?/g, '\n');
  await writeFile(file, normalized.endsWith('\n') ? normalized : `${normalized}\n`, { mode: 0o600 });
  return file;
}

/**
 * The GIT_SSH_COMMAND that makes git's module downloads use the key and nothing else: no agent, no
 * key of the home directory, no prompt. A run's directory is new each time, so host keys are taken
 * on first use (HCP Terraform does not check them either: there is nowhere to configure them).
 */
export function gitSshCommand(workdir: RunWorkdir, keyFile: string): string {
  const options = ['IdentitiesOnly=yes', 'BatchMode=yes', 'StrictHostKeyChecking=accept-new', `UserKnownHostsFile=${sshFiles(workdir).knownHosts}`];
  return ['ssh', '-i', shellQuote(keyFile), ...options.flatMap((option) => ['-o', shellQuote(option)])].join(' ');
}

/**
 * /etc/passwd as a sandboxed run sees it: the system's and a line for the run's uid, without which ssh
 * stops at once ("No user exists for uid"). Written into the run's directory; returns its path.
 */
export async function writeRunPasswd(workdir: RunWorkdir, uid: number): Promise<string> {
  const system = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const file = join(workdir.root, 'passwd');
  const own = `terrace-run:x:${uid}:${uid}:Terrace run:${workdir.homeDir}:/usr/sbin/nologin\n`;
  await writeFile(file, `${system}${system === '' || system.endsWith('\n') ? '' : '\n'}${own}`, { mode: 0o644 });
  return file;
}

export const DEFAULT_RUN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunEnvironmentInput {
  workdir: RunWorkdir;
  /** The effective variables; only env-category ones are used here. */
  variables: readonly RunVariable[];
  /** The run, for the `TFC_*` variables; a module test has none. */
  run?: { id: string; workspaceName: string; organizationName: string; projectName: string };
  /** Terrace's hostname (with port, if any) as the run reaches it, and the per-run token. */
  hostname: string;
  token: string;
  /** From `writeCliConfig`. */
  cliConfigFile: string;
  /** The CA bundle that verifies Terrace's certificate, for a self-signed one. */
  caFile?: string;
  /** PATH for terraform and what it starts (provisioners, credential helpers). */
  path?: string;
  /** The run's `debugging-mode`: TF_LOG=TRACE (run.mdx "Create a Run"). */
  debugging?: boolean;
  /** From `writeSshKey`: git clones modules over ssh with it. */
  sshKeyFile?: string | undefined;
}

/**
 * The complete environment of the run's terraform process. The run's env variables come first; the
 * values Terrace sets win over them, since the run depends on them: where terraform finds its token,
 * configuration and certificate, and the documented TFC_* values (concepts/run/run-environment.mdx
 * "Environment Variables", also readable as Terraform input variables of the same name, hence
 * TF_VAR_TFC_*). TFC_CONFIGURATION_VERSION_GIT_* are left out: they describe a VCS ingress.
 */
export function runEnvironment(input: RunEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of input.variables) {
    if (variable.category !== 'env') continue;
    env[validateKey(variable.key, 'env')] = variable.value;
  }
  const tfc: Record<string, string> = input.run
    ? {
        TFC_RUN_ID: input.run.id,
        TFC_WORKSPACE_NAME: input.run.workspaceName,
        TFC_WORKSPACE_SLUG: `${input.run.organizationName}/${input.run.workspaceName}`,
        TFC_PROJECT_NAME: input.run.projectName,
      }
    : {};
  for (const [name, value] of Object.entries(tfc)) {
    env[name] = value;
    env[`TF_VAR_${name}`] = value;
  }
  Object.assign(env, {
    PATH: input.path ?? DEFAULT_RUN_PATH,
    HOME: input.workdir.homeDir,
    TMPDIR: input.workdir.tmpDir,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    TF_CLI_CONFIG_FILE: input.cliConfigFile,
  });
  const tokenName = tokenVariableName(input.hostname);
  if (tokenName) env[tokenName] = input.token;
  if (input.caFile) env.SSL_CERT_FILE = input.caFile;
  if (input.debugging) env.TF_LOG = 'TRACE';
  if (input.sshKeyFile) env.GIT_SSH_COMMAND = gitSshCommand(input.workdir, input.sshKeyFile);
  return env;
}
