import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { create as createTar, Header, type HeaderData, Pax } from 'tar';
import { type ArchiveLimits, ArchiveError, type ArchiveRefusal, extractConfiguration, validateConfiguration } from './extract.js';

const sandbox = mkdtempSync(join(tmpdir(), 'terrace-extract-'));
after(() => rmSync(sandbox, { recursive: true, force: true }));

const limits: ArchiveLimits = { maxBytes: 1024 * 1024, maxFiles: 100, maxPathBytes: 1024, maxDepth: 64, timeLimitMs: 60_000 };
const small: ArchiveLimits = { ...limits, maxBytes: 100, maxFiles: 5 };

interface Entry extends HeaderData {
  content?: string | Buffer;
}

/** A tar archive written header by header, so that it can hold what no honest packer writes. */
function tarOf(entries: readonly Entry[], trailer = Buffer.alloc(1024)): Buffer {
  const blocks: Buffer[] = [];
  for (const { content, ...data } of entries) {
    const body = Buffer.from(content ?? '');
    const header = Buffer.alloc(512);
    new Header({ mode: 0o644, mtime: new Date(0), size: body.length, type: 'File', ...data }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, trailer]);
}

const gz = (entries: readonly Entry[]) => gzipSync(tarOf(entries));

let count = 0;
/** A fresh parent with the destination inside it, so a test can see that nothing landed next to it. */
function freshDest(): { parent: string; dest: string } {
  const parent = join(sandbox, `case-${++count}`);
  return { parent, dest: join(parent, 'config') };
}

/** Both extraction and the upload's validation refuse `archive` alike. */
async function refusal(archive: Buffer, reason: ArchiveRefusal, message: RegExp, archiveLimits = limits): Promise<void> {
  const { parent, dest } = freshDest();
  const refused = (error: unknown) => {
    assert.ok(error instanceof ArchiveError, String(error));
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  };
  await assert.rejects(extractConfiguration(Readable.from([archive]), dest, archiveLimits), refused);
  assert.deepEqual(readdirSync(parent), ['config'], 'something was written beside the destination');
  await assert.rejects(validateConfiguration(Readable.from([archive]), archiveLimits), refused);
}

describe('extractConfiguration', () => {
  it('extracts files, directories, inner links and hard links, with private modes', async () => {
    const { dest } = freshDest();
    const archive = gz([
      { path: './', type: 'Directory', mode: 0o755 },
      { path: './main.tf', content: 'terraform {}\n' },
      { path: 'modules/net/', type: 'Directory', mode: 0o777 },
      { path: 'modules/net/main.tf', content: 'variable "x" {}\n', mode: 0o666 },
      { path: 'scripts/run.sh', content: '#!/bin/sh\n', mode: 0o755 },
      { path: 'env/prod/net', type: 'SymbolicLink', linkpath: '../../modules/net' },
      { path: 'root-link', type: 'SymbolicLink', linkpath: '.' },
      { path: 'copy.tf', type: 'Link', linkpath: 'main.tf' },
    ]);
    const result = await extractConfiguration(Readable.from([archive]), dest, limits);
    assert.deepEqual(result, { files: 8, bytes: 13 + 16 + 10 + 13 });
    assert.equal(readFileSync(join(dest, 'main.tf'), 'utf8'), 'terraform {}\n');
    assert.equal(readFileSync(join(dest, 'copy.tf'), 'utf8'), 'terraform {}\n');
    assert.equal(readFileSync(join(dest, 'env/prod/net/main.tf'), 'utf8'), 'variable "x" {}\n');
    assert.equal(readlinkSync(join(dest, 'env/prod/net')), '../../modules/net');
    assert.equal(readlinkSync(join(dest, 'root-link')), '.');
    assert.equal(statSync(join(dest, 'modules/net/main.tf')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dest, 'scripts/run.sh')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dest, 'modules/net')).mode & 0o777, 0o700);
    assert.equal(statSync(dest).mode & 0o777, 0o700);
  });

  it('extracts what node-tar packs, long paths and large files included', async () => {
    const source = join(sandbox, 'packed-source');
    const deep = join(source, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    const big = Buffer.alloc(200_000, 'x');
    writeFileSync(join(deep, `${'c'.repeat(90)}.tf`), big);
    const main = 'output "x" { value = 1 }\n';
    writeFileSync(join(source, 'main.tf'), main);
    const archive = createTar({ gzip: true, cwd: source, portable: true }, ['.']);
    const { dest } = freshDest();
    const result = await extractConfiguration(archive as unknown as Readable, dest, limits);
    assert.equal(result.bytes, big.length + main.length);
    assert.equal(readFileSync(join(dest, 'main.tf'), 'utf8'), main);
    assert.deepEqual(readFileSync(join(dest, 'a'.repeat(60), 'b'.repeat(60), `${'c'.repeat(90)}.tf`)), big);
  });

  it('refuses absolute paths, in entries and in hard links', async () => {
    await refusal(gz([{ path: '/etc/terrace-escape', content: 'x' }]), 'absolute-path', /^\/etc\/terrace-escape is an absolute path$/);
    await refusal(gz([{ path: 'copy', type: 'Link', linkpath: '/etc/passwd' }]), 'absolute-path', /\/etc\/passwd is an absolute path/);
  });

  it('refuses ".." escapes', async () => {
    await refusal(gz([{ path: '../escape.tf', content: 'x' }]), 'path-traversal', /\.\.\/escape\.tf contains "\.\."/);
    await refusal(gz([{ path: 'a/../../escape.tf', content: 'x' }]), 'path-traversal', /contains "\.\."/);
    // Even when it would stay inside: no honest packer writes it.
    await refusal(gz([{ path: 'a/../b.tf', content: 'x' }]), 'path-traversal', /contains "\.\."/);
    await refusal(
      gz([
        { path: 'x.tf', content: 'x' },
        { path: 'copy', type: 'Link', linkpath: '../x.tf' },
      ]),
      'path-traversal',
      /contains "\.\."/,
    );
  });

  it('refuses symbolic links that point outside, directly or through other links', async () => {
    await refusal(
      gz([{ path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
      'link-escape',
      /symbolic link passwd points outside the configuration \(\/etc\/passwd\)/,
    );
    await refusal(gz([{ path: 'sub/up', type: 'SymbolicLink', linkpath: '../../outside' }]), 'link-escape', /symbolic link sub\/up points outside/);
    // `sub` is the root itself, so `sub/..` is the root's parent, though it reads as the root.
    await refusal(
      gz([
        { path: 'sub', type: 'SymbolicLink', linkpath: '.' },
        { path: 'up', type: 'SymbolicLink', linkpath: 'sub/..' },
      ]),
      'link-escape',
      /symbolic link up leads outside the configuration \(sub\/\.\.\)/,
    );
    await refusal(
      gz([
        { path: 'a', type: 'SymbolicLink', linkpath: 'b' },
        { path: 'b', type: 'SymbolicLink', linkpath: 'a' },
      ]),
      'link-escape',
      /symbolic link a leads outside/,
    );
  });

  it('refuses hard links to anything but a file earlier in the archive', async () => {
    await refusal(
      gz([{ path: 'copy', type: 'Link', linkpath: 'later.tf' }]),
      'link-escape',
      /hard link copy does not point to a file earlier in the archive \(later\.tf\)/,
    );
    await refusal(
      gz([
        { path: 'dir', type: 'Directory' },
        { path: 'copy', type: 'Link', linkpath: 'dir' },
      ]),
      'link-escape',
      /hard link copy/,
    );
  });

  it('refuses devices and FIFOs', async () => {
    for (const type of ['CharacterDevice', 'BlockDevice', 'FIFO'] as const) {
      await refusal(gz([{ path: 'dev', type, size: 0 }]), 'special-file', new RegExp(`^dev is a ${type}; only files, directories and links are allowed$`));
    }
  });

  it('refuses entries that appear twice or lie inside a file or a link', async () => {
    await refusal(
      gz([
        { path: 'a.tf', content: '1' },
        { path: 'a.tf', content: '2' },
      ]),
      'conflict',
      /^a\.tf appears twice in the archive$/,
    );
    await refusal(
      gz([
        { path: 'a', content: '1' },
        { path: 'a/b.tf', content: '2' },
      ]),
      'conflict',
      /^a\/b\.tf lies inside a, which is a file, not a directory$/,
    );
    await refusal(
      gz([
        { path: 'link', type: 'SymbolicLink', linkpath: 'real' },
        { path: 'link/b.tf', content: '2' },
      ]),
      'conflict',
      /lies inside link, which is a symlink/,
    );
  });

  it('enforces the entry count and the size, hard-link copies included', async () => {
    const files = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `f${i}.tf`, content: 'x' }));
    await extractConfiguration(Readable.from([gz(files(5))]), freshDest().dest, small);
    await refusal(gz(files(6)), 'too-many-files', /^the archive holds more than 5 entries$/, small);
    await refusal(gz([{ path: 'big.tf', content: Buffer.alloc(101) }]), 'too-large', /^the archive holds more than 100 bytes \(at big\.tf\)$/, small);
    await refusal(
      gz([
        { path: 'a.tf', content: Buffer.alloc(60) },
        { path: 'b.tf', type: 'Link', linkpath: 'a.tf' },
      ]),
      'too-large',
      /more than 100 bytes \(at b\.tf\)/,
      small,
    );
  });

  it('stops reading a stream that unpacks to far more than its entries (a gzip bomb)', async () => {
    const bomb = gzipSync(tarOf([{ path: 'a.tf', content: 'x' }], Buffer.alloc(50 * 1024 * 1024)));
    assert.ok(bomb.length < 100_000);
    await refusal(bomb, 'too-large', /^the archive unpacks to more than \d+ bytes$/, small);
  });

  it('refuses what is not a gzip-compressed tar archive', async () => {
    await refusal(Buffer.from('just some text, long enough to be looked at'), 'corrupt', /^not a valid gzip stream/);
    await refusal(gz([{ path: 'a.tf', content: 'x' }]).subarray(0, 30), 'corrupt', /^not a valid gzip stream/);
    await refusal(gzipSync(Buffer.alloc(2048, 'z')), 'corrupt', /^not a valid tar archive/);
    const truncated = tarOf([{ path: 'a.tf', content: Buffer.alloc(5000) }]).subarray(0, 1024);
    await refusal(gzipSync(truncated), 'corrupt', /^not a valid tar archive/);
    const badChecksum = tarOf([{ path: 'a.tf', content: 'x' }]);
    badChecksum[0] = 'b'.charCodeAt(0);
    await refusal(gzipSync(badChecksum), 'corrupt', /^not a valid tar archive/);
  });

  it('refuses a file without a name, and paths too long or too deep', async () => {
    await refusal(gz([{ path: '.', content: 'x' }]), 'corrupt', /^\. is a File without a name$/);
    const withPax = (path: string, type: Entry['type'] = 'File', linkpath?: string) => {
      const header = Buffer.alloc(512);
      new Header({ path: 'placeholder', mode: 0o644, size: type === 'File' ? 1 : 0, mtime: new Date(0), type, linkpath: linkpath ? 'placeholder' : '' }).encode(
        header,
        0,
      );
      const body = type === 'File' ? [Buffer.from('x'), Buffer.alloc(511)] : [];
      return gzipSync(Buffer.concat([new Pax({ path, ...(linkpath ? { linkpath } : {}) }).encode(), header, ...body, Buffer.alloc(1024)]));
    };
    await refusal(withPax(`${'x'.repeat(300)}.tf`), 'path-too-long', /^a name in x+… is longer than 255 bytes$/);
    await refusal(withPax(`${'d/'.repeat(600)}main.tf`), 'path-too-long', /is longer than 1024 bytes$/);
    await refusal(withPax(`${'d/'.repeat(64)}main.tf`), 'too-deep', /is more than 64 directories deep$/);
    await refusal(withPax('link', 'SymbolicLink', 'a/'.repeat(600)), 'path-too-long', /^the target of symbolic link link is longer than 1024 bytes$/);
    const deepest = `${'d/'.repeat(63)}main.tf`;
    const { dest } = freshDest();
    await extractConfiguration(Readable.from([withPax(deepest)]), dest, limits);
    assert.equal(readFileSync(join(dest, deepest), 'utf8'), 'x');
  });

  it('refuses an archive that takes longer than its time limit, also when its source stalls', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(gz([{ path: 'a.tf', content: 'x' }]).subarray(0, 20));
    await assert.rejects(
      validateConfiguration(stalled, { ...limits, timeLimitMs: 200 }),
      (error) => error instanceof ArchiveError && error.reason === 'too-slow' && /^the archive took longer than 0\.2 s to unpack$/.test(error.message),
    );
    async function* slowly() {
      for (const entry of [gz([{ path: 'a.tf', content: 'x' }])]) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        yield entry;
      }
    }
    await assert.rejects(
      extractConfiguration(Readable.from(slowly()), freshDest().dest, { ...limits, timeLimitMs: 100 }),
      (error) => error instanceof ArchiveError && error.reason === 'too-slow',
    );
  });

  it('passes on an error of the source stream as it is', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(extractConfiguration(source, freshDest().dest, limits), (error: Error) => {
      assert.equal(error.message, 'connection reset');
      assert.ok(!(error instanceof ArchiveError));
      return true;
    });
  });
});
