import { constants } from 'node:fs';
import { copyFile, mkdir, open, readlink, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

/**
 * Safe extraction of a configuration version's `.tar.gz` into a run's directory. Only regular files,
 * directories, and links that stay inside are written: an absolute path, a `..` component, a link
 * that leads outside (directly or through other links), a device or FIFO, too many entries or too
 * many bytes refuse the whole archive with an `ArchiveError`, whose message the caller records as
 * the configuration version's error (api-docs/configuration-versions.mdx, status `errored`).
 *
 * Regular files and directories are written first; symbolic links are created only at the end, so
 * no write ever goes through a link, and every link is then checked by resolving it within the
 * tree. go-slug, which packs the CLI's uploads, keeps links that stay inside as links.
 */

export type ArchiveRefusal = 'corrupt' | 'absolute-path' | 'path-traversal' | 'link-escape' | 'special-file' | 'conflict' | 'too-large' | 'too-many-files';

export class ArchiveError extends Error {
  constructor(
    readonly reason: ArchiveRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface ExtractLimits {
  /** Total size of the files' contents. */
  maxBytes: number;
  /** Entries of any kind: files, directories, links. */
  maxFiles: number;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

/** Tar headers around the contents: a header and a pax extension of up to three blocks per entry, and the closing padding. */
const HEADER_BYTES_PER_ENTRY = 4 * 512;
const TRAILER_BYTES = 20 * 512;
/** As Linux's limit on links followed in one path lookup. */
const MAX_LINK_HOPS = 40;

type Kind = 'directory' | 'file' | 'symlink';

/**
 * Extracts `source` (a gzip-compressed tar) into `destDir`, which must be empty or missing. On
 * failure the directory may hold part of the archive: the caller removes the run's directory.
 */
export async function extractConfiguration(source: Readable, destDir: string, limits: ExtractLimits): Promise<ExtractResult> {
  await mkdir(destDir, { recursive: true, mode: 0o700 });
  const kinds = new Map<string, Kind>();
  const sizes = new Map<string, number>();
  const links: { path: string; target: string }[] = [];
  const result: ExtractResult = { files: 0, bytes: 0 };
  const maxTarBytes = limits.maxBytes + limits.maxFiles * HEADER_BYTES_PER_ENTRY + TRAILER_BYTES;
  let tarBytes = 0;

  const addBytes = (bytes: number, path: string) => {
    result.bytes += bytes;
    if (result.bytes > limits.maxBytes) throw new ArchiveError('too-large', `the archive holds more than ${limits.maxBytes} bytes (at ${path})`);
  };

  /** Records an entry and its parent directories, refusing a path that appears twice or lies inside a non-directory. */
  const claim = (path: string, kind: Kind) => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const existing = kinds.get(ancestor);
      if (existing && existing !== 'directory') throw new ArchiveError('conflict', `${path} lies inside ${ancestor}, which is a ${existing}, not a directory`);
      kinds.set(ancestor, 'directory');
    }
    const existing = kinds.get(path);
    if (existing && (existing !== 'directory' || kind !== 'directory')) throw new ArchiveError('conflict', `${path} appears twice in the archive`);
    kinds.set(path, kind);
  };

  const handle = async (entry: ReadEntry): Promise<void> => {
    const path = relativePath(entry.path);
    if (path === '' && entry.type !== 'Directory') throw new ArchiveError('corrupt', `${entry.path} is a ${entry.type} without a name`);
    const target = join(destDir, path);
    switch (entry.type) {
      case 'Directory':
        entry.resume();
        if (path === '') return;
        claim(path, 'directory');
        await mkdir(target, { recursive: true, mode: 0o700 });
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        claim(path, 'file');
        sizes.set(path, entry.size);
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        const mode = (entry.mode ?? 0o644) & 0o111 ? 0o700 : 0o600;
        // O_EXCL and O_NOFOLLOW: never through or over anything already there.
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
        const file = await open(target, flags, mode);
        await pipeline(entry, file.createWriteStream());
        return;
      }
      case 'SymbolicLink': {
        entry.resume();
        const linkTarget = entry.linkpath ?? '';
        const lexical = posix.normalize(posix.join(posix.dirname(path), linkTarget));
        if (posix.isAbsolute(linkTarget) || lexical === '..' || lexical.startsWith('../')) {
          throw new ArchiveError('link-escape', `symbolic link ${path} points outside the configuration (${linkTarget})`);
        }
        claim(path, 'symlink');
        links.push({ path, target: linkTarget });
        return;
      }
      case 'Link': {
        entry.resume();
        const from = relativePath(entry.linkpath ?? '');
        if (kinds.get(from) !== 'file')
          throw new ArchiveError('link-escape', `hard link ${path} does not point to a file earlier in the archive (${entry.linkpath})`);
        claim(path, 'file');
        addBytes(sizes.get(from) ?? 0, path);
        sizes.set(path, sizes.get(from) ?? 0);
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        // A copy, not a link: the two names stay independent, and the size counts twice, as it would unpacked elsewhere.
        await copyFile(join(destDir, from), target, constants.COPYFILE_EXCL);
        return;
      }
      default:
        entry.resume();
        throw new ArchiveError('special-file', `${path} is a ${entry.type}; only files, directories and links are allowed`);
    }
  };

  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  let queue = Promise.resolve();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      tarBytes += chunk.length;
      if (tarBytes > maxTarBytes) return callback(new ArchiveError('too-large', `the archive unpacks to more than ${maxTarBytes} bytes`));
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
  parser.on('error', fail);
  parser.on('entry', (entry: ReadEntry) => {
    // Counted as they are parsed, before any waits, so a flood of small entries stops early.
    result.files++;
    try {
      if (result.files > limits.maxFiles) throw new ArchiveError('too-many-files', `the archive holds more than ${limits.maxFiles} entries`);
      if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') addBytes(entry.size, entry.path);
    } catch (error) {
      entry.resume();
      fail(error);
      return;
    }
    queue = queue
      .then(() => (failure ? void entry.resume() : handle(entry)))
      .catch((error) => {
        entry.resume();
        fail(error);
      });
  });

  try {
    await pipeline(source, createGunzip(), sink);
    await queue;
    if (failure) throw failure;
    for (const link of links) {
      await mkdir(dirname(join(destDir, link.path)), { recursive: true, mode: 0o700 });
      await symlink(link.target, join(destDir, link.path));
    }
    // Now that every link exists, follow each one through the others (a → b/.., b → .) within the tree.
    for (const link of links) {
      if (!(await staysInside(destDir, link.path))) {
        throw new ArchiveError('link-escape', `symbolic link ${link.path} leads outside the configuration (${link.target})`);
      }
    }
  } catch (error) {
    throw asArchiveError(error);
  }
  return result;
}

/** The entry's path relative to the archive root; refuses absolute paths and `..`. */
function relativePath(raw: string): string {
  if (raw.startsWith('/')) throw new ArchiveError('absolute-path', `${raw} is an absolute path`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new ArchiveError('path-traversal', `${raw} contains ".."`);
  return parts.join('/');
}

/** Resolves `path` under `root` component by component, following links as the kernel would; false when it leaves `root`. */
async function staysInside(root: string, path: string): Promise<boolean> {
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
    let target: string;
    try {
      target = await readlink(join(root, ...resolved));
    } catch (error) {
      // Not a link (EINVAL), or not there (ENOENT, ENOTDIR): a plain component.
      if (['EINVAL', 'ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) continue;
      throw error;
    }
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
