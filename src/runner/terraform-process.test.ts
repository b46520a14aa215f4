import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../../test/fixtures.js';
import { runTerraform } from './terraform-process.js';

const sandbox = mkdtempSync(join(tmpdir(), 'terrace-process-'));
after(() => rmSync(sandbox, { recursive: true, force: true }));

const env = { PATH: '/usr/bin:/bin', LANG: 'C' };

let scripts = 0;
/** A shell script standing in for terraform. */
function script(body: string): string {
  const file = join(sandbox, `script-${++scripts}.sh`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Alive and not a zombie: a killed process whose parent has gone may wait a while to be reaped. */
function isAlive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

function collect(): { onOutput: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  return { onOutput: (chunk) => chunks.push(chunk), text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('runTerraform', () => {
  it('passes exactly the given environment, nothing of the server', async () => {
    process.env.TERRACE_TEST_SECRET = 'server-only';
    process.env.DATABASE_URL = 'postgres://server-only';
    try {
      const output = collect();
      const exit = await runTerraform({
        binary: script('exec env'),
        args: [],
        cwd: sandbox,
        env: { ...env, TF_IN_AUTOMATION: '1' },
        onOutput: output.onOutput,
      });
      assert.deepEqual(exit, { exitCode: 0, signal: null, timedOut: false, canceled: false });
      const seen = Object.fromEntries(
        output
          .text()
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      );
      // The shell adds PWD (and may add SHLVL and _); nothing else may appear.
      const { PWD, SHLVL, _: underscore, ...rest } = seen;
      assert.equal(PWD, sandbox);
      assert.deepEqual(rest, { ...env, TF_IN_AUTOMATION: '1' });
      assert.ok(SHLVL === undefined || /^\d+$/.test(SHLVL));
      assert.ok(underscore === undefined || underscore.startsWith('/'));
    } finally {
      delete process.env.TERRACE_TEST_SECRET;
      delete process.env.DATABASE_URL;
    }
  });

  it('streams stdout and stderr in order and reports the exit code', async () => {
    const output = collect();
    const exit = await runTerraform({
      binary: script('echo "one $1"; sleep 0.05; echo two >&2; sleep 0.05; echo three; exit 3'),
      args: ['arg'],
      cwd: sandbox,
      env,
      onOutput: output.onOutput,
    });
    assert.deepEqual(exit, { exitCode: 3, signal: null, timedOut: false, canceled: false });
    assert.equal(output.text(), 'one arg\ntwo\nthree\n');
  });

  it('cancels with SIGINT, which the process may handle to stop cleanly', async () => {
    const controller = new AbortController();
    const output = collect();
    const started = Date.now();
    const running = runTerraform({
      binary: script("trap 'echo interrupted; exit 130' INT\necho ready\nwhile :; do sleep 0.05; done"),
      args: [],
      cwd: sandbox,
      env,
      signal: controller.signal,
      killGraceMs: 10_000,
      onOutput: (chunk) => {
        output.onOutput(chunk);
        if (output.text().includes('ready')) controller.abort();
      },
    });
    const exit = await running;
    assert.deepEqual(exit, { exitCode: 130, signal: null, timedOut: false, canceled: true });
    assert.equal(output.text(), 'ready\ninterrupted\n');
    assert.ok(Date.now() - started < 5_000);
  });

  it('kills the whole process group with SIGKILL when SIGINT is ignored', async () => {
    const controller = new AbortController();
    const pidFile = join(sandbox, 'child.pid');
    const output = collect();
    const running = runTerraform({
      // The background sleep stands for a provider plugin: it must die with the group.
      binary: script(`trap '' INT\nsleep 1000 &\necho $! > ${pidFile}\necho ready\nwait`),
      args: [],
      cwd: sandbox,
      env,
      signal: controller.signal,
      killGraceMs: 200,
      onOutput: (chunk) => {
        output.onOutput(chunk);
        if (output.text().includes('ready')) controller.abort();
      },
    });
    const exit = await running;
    assert.deepEqual(exit, { exitCode: null, signal: 'SIGKILL', timedOut: false, canceled: true });
    const child = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => isAlive(child), (alive) => !alive, `the background child ${child} to die`, { timeoutMs: 5_000, intervalMs: 20 });
  });

  it('interrupts at the time limit and says so', async () => {
    const started = Date.now();
    const exit = await runTerraform({ binary: script("trap 'exit 1' INT\nwhile :; do sleep 0.05; done"), args: [], cwd: sandbox, env, timeoutMs: 300 });
    assert.deepEqual(exit, { exitCode: 1, signal: null, timedOut: true, canceled: false });
    assert.ok(Date.now() - started >= 300);
  });

  it('ends what the process left running once it exits, without waiting for it', async () => {
    const pidFile = join(sandbox, 'orphan.pid');
    const started = Date.now();
    const exit = await runTerraform({ binary: script(`sleep 1000 &\necho $! > ${pidFile}`), args: [], cwd: sandbox, env });
    assert.equal(exit.exitCode, 0);
    assert.ok(Date.now() - started < 1_500, 'waited for the orphan holding the output pipes');
    const orphan = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => isAlive(orphan), (alive) => !alive, `the orphan ${orphan} to die`, { timeoutMs: 5_000, intervalMs: 20 });
  });

  it('does not start when already canceled, and rejects when the binary is missing', async () => {
    const controller = new AbortController();
    controller.abort();
    const marker = join(sandbox, 'started');
    const exit = await runTerraform({ binary: script(`touch ${marker}`), args: [], cwd: sandbox, env, signal: controller.signal });
    assert.deepEqual(exit, { exitCode: null, signal: null, timedOut: false, canceled: true });
    assert.equal(existsSync(marker), false);
    await assert.rejects(runTerraform({ binary: join(sandbox, 'no-such-terraform'), args: [], cwd: sandbox, env }), { code: 'ENOENT' });
  });

  it('finds terraform on the PATH it is given and runs it', async () => {
    const output = collect();
    const exit = await runTerraform({
      args: ['version', '-json'],
      cwd: sandbox,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: sandbox },
      onOutput: output.onOutput,
    });
    assert.equal(exit.exitCode, 0);
    assert.match(JSON.parse(output.text()).terraform_version, /^\d+\.\d+\.\d+/);
  });
});
