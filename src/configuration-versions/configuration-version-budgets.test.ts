// run-tests: one job per database
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { forEachDatabase } from '../../test/harness.js';
import { ConfigurationVersionWorld, Uploader } from './testing.js';

/**
 * The budget of an uploaded archive (issue 13), with the default limits: refused at the first entry
 * past a limit, quickly, without unpacking anything to disk. The archives are generated as streams.
 */

const MiB = 1024 * 1024;

function header(path: string, size = 0): Buffer {
  const block = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size, mtime: new Date(0), type: 'File' }).encode(block, 0);
  return block;
}

/** A file whose path needs a pax header (longer than ustar holds). */
function paxFile(path: string): Buffer {
  return Buffer.concat([new Pax({ path }).encode(), header('placeholder', 1), Buffer.from('x'), Buffer.alloc(511)]);
}

/**
 * 16 files of 128 MiB of zeros (2 GiB) in about 2 MB: concatenated gzip members, the zeros compressed
 * once and repeated, as gunzip reads them as one stream.
 */
async function* twoGiBOfZeros(): AsyncGenerator<Buffer> {
  const zeros = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  for (let file = 0; file < 16; file++) {
    yield gzipSync(header(`zeros-${file}`, 128 * MiB));
    for (let piece = 0; piece < 8; piece++) yield zeros;
  }
  yield gzipSync(Buffer.alloc(1024));
}

/** 100,001 empty files (one past the entry limit), gzipped once: making the archive costs more CPU than the server's check of it, and four uploads send it. */
let pastEntryLimit: Buffer | undefined;
function emptyFilesPastEntryLimit(): Buffer {
  pastEntryLimit ??= gzipSync(Buffer.concat([...Array.from({ length: 100_001 }, (_, i) => header(`f/${i}.tf`)), Buffer.alloc(1024)]));
  return pastEntryLimit;
}

forEachDatabase(
  'configuration version budgets',
  (server) => {
    const world = new ConfigurationVersionWorld(server);
    const uploader = new Uploader(server);
    let workspaceId = '';
    // A temporary directory of this file's own (the machine's is shared with other test runs), watched for anything unpacked into it.
    const privateTmp = mkdtempSync(join(tmpdir(), 'terrace-budgets-'));
    const sharedTmp = process.env.TMPDIR;
    before(async () => {
      await world.setUp();
      workspaceId = (await world.createWorkspace()).id;
      process.env.TMPDIR = privateTmp;
    });
    after(async () => {
      if (sharedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = sharedTmp;
      rmSync(privateTmp, { recursive: true, force: true });
      await uploader.close();
    });

    /** Uploads `body` to a new version: the PUT's status, the version's attributes, the seconds taken and whether anything appeared in the temporary directory. */
    async function upload(body: Buffer | AsyncIterable<Buffer>) {
      const cv = await world.createVersion(workspaceId);
      assert.equal(tmpdir(), privateTmp);
      let scratch = false;
      const watcher = setInterval(() => {
        scratch ||= readdirSync(privateTmp).length > 0;
      }, 20);
      const started = Date.now();
      const res = await uploader.put(cv.attributes['upload-url'], body).finally(() => clearInterval(watcher));
      const seconds = (Date.now() - started) / 1000;
      const shown = await world.api('GET', `/configuration-versions/${cv.id}`, world.ownerToken);
      return { res, attributes: shown.body.data.attributes, seconds, scratch };
    }

    it('refuses 2 GiB of zeros in 2 MB at the first file past 1 GiB, quickly and without unpacking it to disk', async () => {
      const { res, attributes, seconds, scratch } = await upload(twoGiBOfZeros());
      assert.equal(res.status, 422, res.text);
      assert.equal(attributes.status, 'errored');
      assert.equal(attributes.error, 'too-large');
      assert.equal(attributes['error-message'], 'the archive holds more than 1073741824 bytes (at zeros-8)');
      assert.ok(seconds < 30, `${seconds} s`);
      assert.equal(scratch, false, 'nothing unpacked into the temporary directory');
    });

    it('refuses 100,001 empty files at the entry limit, quickly', async () => {
      const { res, attributes, seconds } = await upload(emptyFilesPastEntryLimit());
      assert.equal(res.status, 422, res.text);
      assert.equal(attributes.error, 'too-many-files');
      assert.equal(attributes['error-message'], 'the archive holds more than 100000 entries');
      assert.ok(seconds < 30, `${seconds} s`);
    });

    it('refuses paths longer than 1,024 bytes and deeper than 64 directories, and accepts up to the limits', async () => {
      const archive = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
      const segment = `${'l'.repeat(100)}/`;
      const long = await upload(archive(paxFile('main.tf'), paxFile(`${segment.repeat(10)}${'y'.repeat(20)}.tf`)));
      assert.equal(long.res.status, 422, long.res.text);
      assert.equal(long.attributes.error, 'path-too-long');
      assert.match(long.attributes['error-message'], /^l{100}… is longer than 1024 bytes$/);
      const deep = await upload(archive(paxFile(`${'d/'.repeat(64)}x.tf`)));
      assert.equal(deep.attributes.error, 'too-deep');
      assert.match(deep.attributes['error-message'], /is more than 64 directories deep$/);
      const atLimits = await upload(archive(paxFile(`${'d/'.repeat(63)}x.tf`), paxFile(`${segment.repeat(10)}${'y'.repeat(10)}.tf`)));
      assert.equal(atLimits.res.status, 200, atLimits.res.text);
      assert.equal(atLimits.attributes.status, 'uploaded');
    });

    it('checks archives one at a time (TERRACE_CONFIGURATION_VALIDATIONS=1); those waiting are checked in turn', async () => {
      const results = await Promise.all([1, 2, 3].map(() => upload(emptyFilesPastEntryLimit())));
      for (const { res, attributes } of results) {
        assert.equal(res.status, 422, res.text);
        assert.equal(attributes.error, 'too-many-files');
      }
    });
  },
  { env: { TERRACE_CONFIGURATION_VALIDATIONS: '1' } },
);
