import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseUidRange, sweepLeftoverProcesses } from './run-uids.js';
import { BWRAP_PATH, describeIsolation, detectIsolation, type Isolation, IsolationError, type IsolationMode, sandboxCommand } from './sandbox.js';
import { runTerraform, type TerraformExit } from './terraform-process.js';
import { createWorkdir, handOver, type RunWorkdir } from './workdir.js';

const UIDS = { first: 64260, last: 64269 };
const isRoot = process.getuid?.() === 0;
const hasBwrap = existsSync(BWRAP_PATH);

describe('detectIsolation', () => {
  it('takes the strongest mode that works, and says why a stronger one is not in force', async () => {
    assert.deepEqual(await detectIsolation({ setting: 'none', uids: UIDS }), { mode: 'none', reason: 'TERRACE_RUN_ISOLATION=none' });
    const noBwrap = { setting: 'auto', uids: UIDS, bwrapPath: '/nonexistent/bwrap' } as const;
    assert.deepEqual(await detectIsolation({ ...noBwrap, isRoot: true }), { mode: 'uid', reason: 'no bubblewrap: /nonexistent/bwrap is not installed' });
    const unisolated = await detectIsolation({ ...noBwrap, isRoot: false });
    assert.equal(unisolated.mode, 'none');
    assert.match(
      describeIsolation(unisolated),
      /^WARNING: NO RUN ISOLATION \(the server is not root and bubblewrap cannot be used: .*\)\. Runs execute as the server's own user/,
    );
  });

  it('refuses an explicit setting it cannot honour', async () => {
    await assert.rejects(detectIsolation({ setting: 'uid', uids: UIDS, isRoot: false }), IsolationError);
    await assert.rejects(detectIsolation({ setting: 'bwrap', uids: UIDS, bwrapPath: '/nonexistent/bwrap' }), /bubblewrap cannot be used/);
  });

  it('finds bubblewrap working here, for a run uid when root', { skip: !hasBwrap && 'bubblewrap is not installed' }, async () => {
    const isolation = await detectIsolation({ setting: 'auto', uids: UIDS });
    assert.equal(isolation.mode, isRoot ? 'bwrap+uid' : 'bwrap');
    assert.deepEqual(await detectIsolation({ setting: 'bwrap', uids: UIDS }), { mode: isolation.mode, bwrap: BWRAP_PATH });
  });
});

describe('sandboxCommand', () => {
  const target = { uid: 64261, binary: '/opt/tf/terraform', args: ['apply', '-input=false'], runDir: '/tmp/runs/run-1-abc', cwd: '/tmp/runs/run-1-abc/config' };

  it('runs the binary as it is without isolation, and under the run uid in the uid mode', () => {
    assert.deepEqual(sandboxCommand({ mode: 'none' }, target), { command: '/opt/tf/terraform', args: ['apply', '-input=false'], spawnOptions: {} });
    assert.deepEqual(sandboxCommand({ mode: 'uid' }, target), {
      command: '/opt/tf/terraform',
      args: ['apply', '-input=false'],
      spawnOptions: { uid: 64261, gid: 64261 },
    });
    assert.throws(() => sandboxCommand({ mode: 'uid' }, { ...target, uid: undefined }), /needs its own uid/);
    assert.throws(() => sandboxCommand({ mode: 'bwrap+uid', bwrap: BWRAP_PATH }, { ...target, uid: 0 }), /needs its own uid/);
  });

  it('puts bubblewrap in namespaces that show only the run directory, the binary and the system', () => {
    const { command, args, spawnOptions } = sandboxCommand({ mode: 'bwrap+uid', bwrap: '/usr/bin/bwrap' }, { ...target, extraReadOnly: ['/srv/mirror'] });
    assert.equal(command, '/usr/bin/env');
    assert.deepEqual(args.slice(0, 2), ['--ignore-signal=INT', '/usr/bin/bwrap'], 'bubblewrap ignores the SIGINT meant for terraform');
    assert.deepEqual(spawnOptions, { uid: 64261, gid: 64261 }, 'bubblewrap starts as the run uid');
    for (const flag of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--as-pid-1', '--die-with-parent']) assert.ok(args.includes(flag), flag);
    assert.ok(!args.includes('--unshare-net'), 'terraform reaches the server over the network');
    assert.ok(!args.includes('--new-session'), 'the process group stays one: SIGINT to it reaches terraform');
    assert.deepEqual(args.slice(args.indexOf('--proc'), args.indexOf('--proc') + 6), ['--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp']);
    const commandStart = args.indexOf('--');
    assert.deepEqual(args.slice(commandStart), ['--', '/usr/bin/env', '--default-signal=INT', '/opt/tf/terraform', 'apply', '-input=false']);
    assert.deepEqual(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2), ['--chdir', target.cwd]);

    // Every path the run sees: the system, the run's own directory (the only writable one), the binary, the extras.
    const binds: string[] = [];
    for (let i = 0; i < commandStart; i++) {
      const flag = args[i] as string;
      if (['--bind', '--ro-bind', '--ro-bind-try'].includes(flag)) {
        assert.equal(args[i + 1], args[i + 2], 'at the same path');
        binds.push(`${flag} ${args[i + 1]}`);
      }
    }
    const writable = binds.filter((bind) => bind.startsWith('--bind '));
    assert.deepEqual(writable, [`--bind ${target.runDir}`]);
    for (const bind of binds.filter((b) => !b.startsWith('--bind '))) {
      assert.match(bind, /^--ro-bind(-try)? (\/usr|\/bin|\/sbin|\/lib\w*|\/etc\/[\w.-]+|\/opt\/tf\/terraform|\/srv\/mirror)$/, bind);
    }
    assert.ok(binds.includes('--ro-bind /opt/tf/terraform'), 'a binary outside /usr is bound');
    const inUsr = sandboxCommand({ mode: 'bwrap', bwrap: '/usr/bin/bwrap' }, { ...target, binary: '/usr/local/bin/terraform' });
    assert.ok(
      !inUsr.args.includes('/usr/local/bin/terraform') || inUsr.args.indexOf('/usr/local/bin/terraform') > inUsr.args.indexOf('--'),
      'one in /usr is there already',
    );
    assert.deepEqual(inUsr.spawnOptions, {}, 'the bwrap mode keeps the server uid');
  });
});

describe('run uids', () => {
  it('parses a range from 1000 up', () => {
    assert.deepEqual(parseUidRange('64000-64099'), { first: 64000, last: 64099 });
    assert.deepEqual(parseUidRange('5000'), { first: 5000, last: 5000 });
    for (const bad of ['', '0-10', '999-2000', '2000-1000', 'a-b', '64000-', '1e5']) assert.equal(parseUidRange(bad), undefined, bad);
  });
});

/** The modes this machine can run; bwrap as root stands for the mode a non-root server gets. */
function availableModes(): IsolationMode[] {
  const modes: IsolationMode[] = ['none'];
  if (hasBwrap) modes.push('bwrap');
  if (isRoot) modes.push('uid');
  if (isRoot && hasBwrap) modes.push('bwrap+uid');
  return modes;
}

/** Processes whose command line contains `marker`, with their parent pid. */
async function processesWith(marker: string): Promise<{ pid: number; ppid: number }[]> {
  const found: { pid: number; ppid: number }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.replaceAll('\0', ' ').includes(marker)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    found.push({ pid: Number(entry), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) });
  }
  return found;
}

describe('terraform in each isolation mode', { timeout: 300_000 }, () => {
  let root = '';
  let secretFile = '';
  let uid = UIDS.first;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'terrace-sandbox-'));
    // A run's uid must reach its own directory through the base (0711), never list it.
    await chmod(root, 0o711);
    // As the data directory is: the server's alone.
    await mkdir(join(root, 'data'), { mode: 0o700 });
    secretFile = join(root, 'data', 'encryption.key');
    await writeFile(secretFile, 'the-server-secret\n', { mode: 0o600 });
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function phase(
    isolation: Isolation,
    main: string,
    signal?: AbortSignal,
  ): Promise<{ exit: TerraformExit; output: string; workdir: RunWorkdir; runUid: number | undefined }> {
    const workdir = await createWorkdir(join(root, 'runs'), 'run-test');
    await writeFile(join(workdir.configDir, 'main.tf'), main);
    const runUid = isolation.mode === 'uid' || isolation.mode === 'bwrap+uid' ? uid++ : undefined;
    if (runUid !== undefined) await handOver(workdir, runUid);
    const env = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: workdir.homeDir,
      TMPDIR: workdir.tmpDir,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
    };
    let output = '';
    const options = {
      binary: 'terraform',
      cwd: workdir.configDir,
      env,
      onOutput: (chunk: Buffer) => {
        output += chunk.toString('utf8');
      },
      killGraceMs: 20_000,
      sandbox: { isolation, uid: runUid, runDir: workdir.root },
    };
    const init = await runTerraform({ ...options, args: ['init', '-input=false', '-no-color'] });
    assert.equal(init.exitCode, 0, output);
    const exit = await runTerraform({ ...options, args: ['apply', '-auto-approve', '-input=false', '-no-color'], ...(signal ? { signal } : {}) });
    return { exit, output, workdir, runUid };
  }

  for (const mode of availableModes()) {
    const isolation: Isolation = { mode, ...(mode.startsWith('bwrap') ? { bwrap: BWRAP_PATH } : {}) };

    it(`${mode}: terraform and sh run without a passwd entry, and see what the mode allows`, async () => {
      const main = `resource "terraform_data" "probe" {
  provisioner "local-exec" {
    command = <<-EOT
      echo "uid=$(id -u) home=$HOME"
      getent passwd "$(id -u)" >/dev/null || echo "no passwd entry"
      cat '${secretFile}' || echo "secret unreadable"
      echo "processes=$(ls -d /proc/[0-9]* | wc -l)"
      setsid sh -c 'echo $$ > "$HOME/escaped.pid"; exec sleep 302' >/dev/null 2>&1 </dev/null &
      # Only once it has its own session: before that, terraform's end would take it with the group.
      while [ ! -s "$HOME/escaped.pid" ]; do sleep 0.05; done
      echo probe-done
    EOT
  }
}
`;
      const { exit, output, workdir, runUid } = await phase(isolation, main);
      assert.equal(exit.exitCode, 0, output);
      assert.match(output, /probe-done/);
      assert.match(output, new RegExp(`uid=${runUid ?? process.getuid?.()} home=${workdir.homeDir}`));
      if (runUid !== undefined) assert.match(output, /no passwd entry/);
      if (mode === 'none') assert.match(output, /the-server-secret/, 'without isolation a run reads what the server can');
      else {
        assert.doesNotMatch(output, /the-server-secret/);
        assert.match(output, /secret unreadable/);
      }
      if (mode.startsWith('bwrap')) {
        const count = Number(/processes=(\d+)/.exec(output)?.[1]);
        assert.ok(count > 0 && count < 10, `only the sandbox's processes in /proc:\n${output}`);
      }
      // A process that left terraform's group: gone with the PID namespace, or swept under the run uid.
      const escaped = await processesWith('sleep 302');
      if (mode.startsWith('bwrap')) assert.deepEqual(escaped, [], 'nothing outlives the sandbox');
      if (mode === 'uid' && runUid !== undefined) {
        assert.equal(escaped.length, 1, 'a uid alone does not hold a process that left the group');
        assert.equal(await sweepLeftoverProcesses({ first: runUid, last: runUid }), 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(await processesWith('sleep 302'), []);
      }
      for (const leftover of escaped) if (mode === 'none') process.kill(leftover.pid, 'SIGKILL');
      await workdir.remove();
    });

    it(`${mode}: SIGINT reaches terraform, which stops gracefully, and nothing survives`, async () => {
      const main = `resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo slow-started; sleep 303"
  }
}
`;
      const controller = new AbortController();
      const timer = setInterval(async () => {
        if ((await processesWith('sleep 303')).length > 0) controller.abort();
      }, 200);
      const { exit, output, workdir } = await phase(isolation, main, controller.signal).finally(() => clearInterval(timer));
      assert.equal(exit.canceled, true);
      // Terraform handled the interrupt and exited on its own: no SIGKILL after the grace period.
      assert.deepEqual([exit.exitCode, exit.signal], [1, null], output);
      assert.match(output, /Interrupt received|execution halted/, output);
      assert.deepEqual(await processesWith('sleep 303'), [], 'the provisioner is gone');
      assert.deepEqual(await processesWith(workdir.root), [], 'nothing of the run is left, none reparented to PID 1');
      await workdir.remove();
    });
  }
});
