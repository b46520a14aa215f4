import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Which terraform runs use and whether a run may use it: the workspace's `terraform-version` (or a
 * plan-only run's own) is honoured when the installed binary satisfies it (workspaces.mdx
 * "terraform-version": an exact version, `latest`, or a constraint such as `~> 1.11.0`).
 */

function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The executable on the process's PATH (or the path given), made absolute: a run's own PATH is minimal. */
export async function resolveBinary(binary: string): Promise<string> {
  const candidates = isAbsolute(binary) || binary.includes('/') ? [binary] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error(`the terraform executable ${JSON.stringify(binary)} was not found (TERRACE_TERRAFORM_BINARY)`);
}

/** The version of `binary` (`terraform version -json`), read without any user configuration. */
export function binaryVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['version', '-json'], { timeout: 30_000, env: { CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' } }, (err, stdout) => {
      if (err) return reject(new Error(`cannot run ${binary} version: ${err.message}`));
      try {
        const version = (JSON.parse(stdout) as { terraform_version?: unknown }).terraform_version;
        if (typeof version !== 'string') throw new Error('no terraform_version');
        resolve(version);
      } catch (parseError) {
        reject(new Error(`cannot read the version of ${binary}: ${(parseError as Error).message}`));
      }
    });
  });
}

type Parsed = { numbers: [number, number, number]; given: number; prerelease: string };

function parse(version: string): Parsed | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/.exec(version.trim());
  if (!match) return undefined;
  const given = match.slice(1, 4).filter((part) => part !== undefined).length;
  return { numbers: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)], given, prerelease: match[4] ?? '' };
}

function compare(a: Parsed, b: Parsed): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a.numbers[i] as number) - (b.numbers[i] as number);
    if (diff !== 0) return Math.sign(diff);
  }
  // A prerelease comes before its release.
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

function satisfiesOne(installed: Parsed, operator: string, wanted: Parsed): boolean {
  const order = compare(installed, wanted);
  switch (operator) {
    case '':
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    default: {
      // ~> X.Y.Z allows X.Y.*; ~> X.Y allows X.*.
      if (order < 0) return false;
      const fixed = Math.max(wanted.given - 1, 1);
      return installed.numbers.slice(0, fixed).every((n, i) => n === wanted.numbers[i]);
    }
  }
}

/** Whether the installed version meets `wanted`: `latest`, an exact version, or comma-separated constraints. */
export function satisfies(installed: string, wanted: string): boolean {
  if (wanted === 'latest') return true;
  const have = parse(installed);
  if (!have) return false;
  return wanted.split(',').every((part) => {
    const match = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/.exec(part);
    const version = match ? parse(match[2] as string) : undefined;
    return version !== undefined && satisfiesOne(have, match?.[1] ?? '', version);
  });
}
