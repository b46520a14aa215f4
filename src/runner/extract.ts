import { constants } from 'node:fs';
import { copyFile, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

/**
 * Configuration version archives (`.tar.gz`), read as a stream under a budget: `validateConfiguration`
 * checks one without writing anything (the upload), `extractConfiguration` writes it into a run's
 * directory. Only regular files, directories, and links that stay inside pass: an absolute path, a
 * `..` component, a link that leads outside (directly or through other links), a device or FIFO, or
 * an archive past its budget (unpacked bytes, entries, path length and depth, time) is refused with
 * an `ArchiveError` at the first entry that crosses the line, whose message the caller records as the
 * configuration version's error (api-docs/configuration-versions.mdx, status `errored`).
 *
 * Every check is made on the entry's header as it is parsed, before its content is read: a header
 * declaring 2 GiB is refused without inflating a byte of it. Links are resolved in memory once the
 * whole archive is known (a link may point at a later entry), so that extraction creates symbolic
 * links last, only once they are all known to stay inside, and no write ever goes through one.
 * go-slug, which packs the CLI's uploads, keeps links that stay inside as links.
 */

export type ArchiveRefusal =
  | 'corrupt'
  | 'absolute-path'
  | 'path-traversal'
  | 'path-too-long'
  | 'too-deep'
  | 'link-escape'
  | 'special-file'
  | 'conflict'
  | 'too-large'
  | 'too-many-files'
  | 'too-slow';

export class ArchiveError extends Error {
  constructor(
    readonly reason: ArchiveRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface ArchiveLimits {
  /** Total size of the files' contents, hard-link copies included. */
  maxBytes: number;
  /** Entries of any kind: files, directories, links. */
  maxFiles: number;
  /** Bytes of an entry's path (and a link's target). */
  maxPathBytes: number;
  /** Components of an entry's path. */
  maxDepth: number;
  /** Wall-clock time for the whole archive. */
  timeLimitMs: number;
}

/** Entries, path length and depth: far beyond any configuration, well within what a file system holds. */
export const ARCHIVE_MAX_FILES = 100_000;
export const ARCHIVE_MAX_PATH_BYTES = 1024;
export const ARCHIVE_MAX_DEPTH = 64;
/** NAME_MAX of Linux file systems: a longer name cannot be written anyway. */
const MAX_NAME_BYTES = 255;

export interface ArchiveSummary {
  files: number;
  bytes: number;
}

/** Tar headers around the contents: a header and a pax extension of up to three blocks per entry, and the closing padding. */
const HEADER_BYTES_PER_ENTRY = 4 * 512;
const TRAILER_BYTES = 20 * 512;
/** As Linux's limit on links followed in one path lookup. */
const MAX_LINK_HOPS = 40;

type Kind = 'directory' | 'file' | 'symlink';

/** What extraction does with an entry that passed the checks; validation only drains it. */
type EntryWriter = (entry: ReadEntry, item: { path: string; kind: 'directory' | 'file' } | { path: string; kind: 'hardlink'; from: string }) => Promise<void>;

interface Walked extends ArchiveSummary {
  links: { path: string; target: string }[];
}

/**
 * The rules and the budget, applied entry by entry on the headers alone: what the archive has
 * claimed so far (each path's kind, each file's size, the symbolic links) and what it has spent.
 */
class EntryRules {
  private readonly kinds = new Map<string, Kind>();
  private readonly sizes = new Map<string, number>();
  readonly result: Walked = { files: 0, bytes: 0, links: [] };
  private readonly deadline: number;

  constructor(private readonly limits: ArchiveLimits) {
    this.deadline = Date.now() + limits.timeLimitMs;
  }

  checkTime(): void {
    if (Date.now() > this.deadline) throw new ArchiveError('too-slow', `the archive took longer than ${this.limits.timeLimitMs / 1000} s to unpack`);
  }

  private addBytes(bytes: number, path: string): void {
    this.result.bytes += bytes;
    if (this.result.bytes > this.limits.maxBytes) throw new ArchiveError('too-large', `the archive holds more than ${this.limits.maxBytes} bytes (at ${path})`);
  }

  private checkPath(path: string, raw: string): void {
    const { maxPathBytes, maxDepth } = this.limits;
    if (Buffer.byteLength(raw) > maxPathBytes) throw new ArchiveError('path-too-long', `${raw.slice(0, 100)}… is longer than ${maxPathBytes} bytes`);
    const parts = path.split('/');
    if (parts.length > maxDepth) throw new ArchiveError('too-deep', `${raw.slice(0, 100)}… is more than ${maxDepth} directories deep`);
    if (parts.some((part) => Buffer.byteLength(part) > MAX_NAME_BYTES)) {
      throw new ArchiveError('path-too-long', `a name in ${raw.slice(0, 100)}… is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }

  /** Records an entry and its parent directories, refusing a path that appears twice or lies inside a non-directory. */
  private claim(path: string, kind: Kind): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const existing = this.kinds.get(ancestor);
      if (existing && existing !== 'directory') throw new ArchiveError('conflict', `${path} lies inside ${ancestor}, which is a ${existing}, not a directory`);
      this.kinds.set(ancestor, 'directory');
    }
    const existing = this.kinds.get(path);
    if (existing && (existing !== 'directory' || kind !== 'directory')) throw new ArchiveError('conflict', `${path} appears twice in the archive`);
    this.kinds.set(path, kind);
  }

  /** The checks of one entry, on its header alone; what to write, if anything. */
  check(entry: ReadEntry): Parameters<EntryWriter>[1] | undefined {
    this.result.files++;
    if (this.result.files > this.limits.maxFiles) throw new ArchiveError('too-many-files', `the archive holds more than ${this.limits.maxFiles} entries`);
    this.checkTime();
    const path = relativePath(entry.path);
    this.checkPath(path, entry.path);
    if (path === '' && entry.type !== 'Directory') throw new ArchiveError('corrupt', `${entry.path} is a ${entry.type} without a name`);
    switch (entry.type) {
      case 'Directory':
        if (path === '') return undefined;
        this.claim(path, 'directory');
        return { path, kind: 'directory' };
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.claim(path, 'file');
        this.sizes.set(path, entry.size);
        this.addBytes(entry.size, path);
        return { path, kind: 'file' };
      case 'SymbolicLink':
        this.symbolicLink(path, entry.linkpath ?? '');
        return undefined;
      case 'Link':
        return this.hardLink(path, entry.linkpath ?? '');
      default:
        throw new ArchiveError('special-file', `${path} is a ${entry.type}; only files, directories and links are allowed`);
    }
  }

  private symbolicLink(path: string, linkTarget: string): void {
    if (Buffer.byteLength(linkTarget) > this.limits.maxPathBytes) {
      throw new ArchiveError('path-too-long', `the target of symbolic link ${path} is longer than ${this.limits.maxPathBytes} bytes`);
    }
    const lexical = posix.normalize(posix.join(posix.dirname(path), linkTarget));
    if (posix.isAbsolute(linkTarget) || lexical === '..' || lexical.startsWith('../')) {
      throw new ArchiveError('link-escape', `symbolic link ${path} points outside the configuration (${linkTarget})`);
    }
    this.claim(path, 'symlink');
    this.result.links.push({ path, target: linkTarget });
  }

  private hardLink(path: string, linkpath: string): Parameters<EntryWriter>[1] {
    const from = relativePath(linkpath);
    if (this.kinds.get(from) !== 'file')
      throw new ArchiveError('link-escape', `hard link ${path} does not point to a file earlier in the archive (${linkpath})`);
    this.claim(path, 'file');
    const size = this.sizes.get(from) ?? 0;
    this.sizes.set(path, size);
    // A copy, not a link: the two names stay independent, and the size counts twice, as it would unpacked elsewhere.
    this.addBytes(size, path);
    return { path, kind: 'hardlink', from };
  }

  /** Once every link is known: follows each one through the others (a → b/.., b → .) within the tree. */
  checkLinks(): void {
    const targets = new Map(this.result.links.map((link) => [link.path, link.target]));
    for (const link of this.result.links) {
      if (!staysInside(targets, link.path))
        throw new ArchiveError('link-escape', `symbolic link ${link.path} leads outside the configuration (${link.target})`);
    }
  }
}

/**
 * Reads the archive once, checking each entry as its header arrives and handing those that pass to
 * `write` one at a time (backpressure: the parser waits for the writes). Returns the symbolic links,
 * which the caller creates last.
 */
async function walk(source: Readable, limits: ArchiveLimits, write: EntryWriter | undefined): Promise<Walked> {
  const rules = new EntryRules(limits);
  const maxTarBytes = limits.maxBytes + limits.maxFiles * HEADER_BYTES_PER_ENTRY + TRAILER_BYTES;
  let tarBytes = 0;
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  let queue = Promise.resolve();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      tarBytes += chunk.length;
      if (tarBytes > maxTarBytes) return callback(new ArchiveError('too-large', `the archive unpacks to more than ${maxTarBytes} bytes`));
      try {
        rules.checkTime();
      } catch (error) {
        return callback(error as Error);
      }
      if (parser.write(chunk)) callback();
      else parser.once('drain', () => callback());
    },
    final(callback) {
      parser.once('end', () => queue.then(() => callback(), callback));
      parser.end();
    },
  });
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    sink.destroy(failure);
  };
  // Also when the source stalls: nothing else would notice the time passing.
  const timer = setTimeout(
    () => fail(new ArchiveError('too-slow', `the archive took longer than ${limits.timeLimitMs / 1000} s to unpack`)),
    limits.timeLimitMs,
  );
  parser.on('error', fail);
  parser.on('entry', (entry: ReadEntry) => {
    let item: Parameters<EntryWriter>[1] | undefined;
    try {
      // Checked as they are parsed, before any waits, so that the first entry past a limit stops the archive.
      item = failure ? undefined : rules.check(entry);
    } catch (error) {
      entry.resume();
      fail(error);
      return;
    }
    if (!item || !write) {
      entry.resume();
      return;
    }
    const writeItem = item;
    queue = queue
      .then(() => (failure ? void entry.resume() : write(entry, writeItem)))
      .catch((error) => {
        entry.resume();
        fail(error);
      });
  });

  try {
    await pipeline(source, createGunzip(), sink);
    await queue;
    if (failure) throw failure;
    rules.checkLinks();
  } catch (error) {
    throw asArchiveError(error);
  } finally {
    clearTimeout(timer);
  }
  return rules.result;
}

/** Checks `source` (a gzip-compressed tar) against the rules and the budget, writing nothing. */
export async function validateConfiguration(source: Readable, limits: ArchiveLimits): Promise<ArchiveSummary> {
  const { files, bytes } = await walk(source, limits, undefined);
  return { files, bytes };
}

/**
 * Checks `source` as validateConfiguration does and returns the text of the regular files `wanted`
 * picks by path (a file over `maxFileBytes` is left out): what the registry reads of a module.
 */
export async function readFiles(
  source: Readable,
  limits: ArchiveLimits,
  wanted: (path: string) => boolean,
  maxFileBytes: number,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await walk(source, limits, async (entry, item) => {
    if (item.kind !== 'file' || !wanted(item.path)) {
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry) {
      size += (chunk as Buffer).length;
      if (size <= maxFileBytes) chunks.push(chunk as Buffer);
    }
    if (size <= maxFileBytes) files.set(item.path, Buffer.concat(chunks).toString('utf8'));
  });
  return files;
}

/**
 * Extracts `source` (a gzip-compressed tar) into `destDir`, which must be empty or missing. On
 * failure the directory may hold part of the archive: the caller removes the run's directory.
 */
export async function extractConfiguration(source: Readable, destDir: string, limits: ArchiveLimits): Promise<ArchiveSummary> {
  await mkdir(destDir, { recursive: true, mode: 0o700 });
  const { files, bytes, links } = await walk(source, limits, async (entry, item) => {
    const target = join(destDir, item.path);
    if (item.kind === 'directory') {
      entry.resume();
      await mkdir(target, { recursive: true, mode: 0o700 });
      return;
    }
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    if (item.kind === 'hardlink') {
      entry.resume();
      await copyFile(join(destDir, item.from), target, constants.COPYFILE_EXCL);
      return;
    }
    const mode = (entry.mode ?? 0o644) & 0o111 ? 0o700 : 0o600;
    // O_EXCL and O_NOFOLLOW: never through or over anything already there.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const file = await open(target, flags, mode);
    await pipeline(entry, file.createWriteStream());
  });
  try {
    for (const link of links) {
      await mkdir(dirname(join(destDir, link.path)), { recursive: true, mode: 0o700 });
      await symlink(link.target, join(destDir, link.path));
    }
  } catch (error) {
    throw asArchiveError(error);
  }
  return { files, bytes };
}

/** The entry's path relative to the archive root; refuses absolute paths and `..`. */
function relativePath(raw: string): string {
  if (raw.startsWith('/')) throw new ArchiveError('absolute-path', `${raw} is an absolute path`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new ArchiveError('path-traversal', `${raw} contains ".."`);
  return parts.join('/');
}

/** Resolves `path` component by component, following the archive's symbolic links (`targets`) as the kernel would; false when it leaves the root. */
function staysInside(targets: ReadonlyMap<string, string>, path: string): boolean {
  const resolved: string[] = [];
  const pending = path.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return false;
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const target = targets.get(resolved.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS || posix.isAbsolute(target)) return false;
    resolved.pop();
    pending.unshift(...target.split('/'));
  }
  return true;
}

function asArchiveError(error: unknown): unknown {
  if (error instanceof ArchiveError) return error;
  const { code, tarCode } = error as { code?: string; tarCode?: string };
  const message = error instanceof Error ? error.message : String(error);
  // zlib's Z_DATA_ERROR / Z_BUF_ERROR (not gzip, or cut short); node-tar's TAR_* in strict mode.
  if (code?.startsWith('Z_')) return new ArchiveError('corrupt', `not a valid gzip stream: ${message}`);
  if (tarCode) return new ArchiveError('corrupt', `not a valid tar archive: ${message}`);
  if (code === 'ENAMETOOLONG') return new ArchiveError('corrupt', 'a path in the archive is longer than the file system allows');
  return error;
}
