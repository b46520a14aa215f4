import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { protectDataDir } from './hardening.js';

const dir = mkdtempSync(join(tmpdir(), 'terrace-hardening-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;
const isRoot = process.getuid?.() === 0;

describe('protectDataDir', () => {
  it('closes the data directory and what lies in it to everyone but the server', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'blobs'), { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'blobs'), 0o775);
    writeFileSync(join(dataDir, 'encryption.key'), 'k', { mode: 0o644 });
    writeFileSync(join(dataDir, 'private'), 'p', { mode: 0o600 });
    await protectDataDir(dataDir);
    assert.deepEqual([dataDir, join(dataDir, 'blobs'), join(dataDir, 'encryption.key'), join(dataDir, 'private')].map(mode), [0o700, 0o700, 0o600, 0o600]);
  });
});

describe('makeNonDumpable', { skip: !isRoot && 'only root can change its effective gid' }, () => {
  /** A root node process holding a secret in its environment, made non-dumpable by makeNonDumpable. */
  async function holder(): Promise<ChildProcess> {
    const script = `import(${JSON.stringify(new URL('./hardening.js', import.meta.url).href)}).then((m) => {
      console.log('ready ' + m.makeNonDumpable());
      setInterval(() => {}, 1000);
    });`;
    const child = spawn(process.execPath, ['-e', script], { env: { HOLDER_SECRET: 'environ-secret' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => child.stdout?.once('data', (chunk) => resolve(String(chunk).trim())));
    assert.equal(line, 'ready true');
    return child;
  }

  /** Reads /proc/<pid>/environ as a run's uid would. */
  function readEnviron(pid: number): string {
    const result = spawnSync('setpriv', ['--reuid', '64292', '--regid', '64292', '--clear-groups', 'cat', `/proc/${pid}/environ`], { encoding: 'utf8' });
    return `${result.status} ${result.stdout}${result.stderr}`;
  }

  it("leaves the server's environment unreadable to a run uid, and its gid as it was", async () => {
    const hardened = await holder();
    try {
      assert.match(readEnviron(hardened.pid as number), /Permission denied/);
      assert.doesNotMatch(readEnviron(hardened.pid as number), /environ-secret/);
      const status = readFileSync(`/proc/${hardened.pid}/status`, 'utf8');
      assert.match(status, /^Gid:\s+0\s+0\s+0\s+0$/m, 'the effective gid is back');
    } finally {
      hardened.kill('SIGKILL');
    }
  });
});
