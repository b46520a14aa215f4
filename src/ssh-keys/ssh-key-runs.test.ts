// run-tests: one job per database
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { RunWorld } from '../runs/testing.js';

/**
 * A run whose configuration clones a module over git+ssh uses the workspace's SSH key (issue 16): git's
 * ssh gets `-i <key file>` with IdentitiesOnly, the key file lies in the run's directory with mode 0600,
 * and neither the file nor the key outlives `terraform init` or reaches the log. There is no sshd on the
 * test machines: a listener on loopback stands for the git server and, while ssh waits for its greeting,
 * looks at the ssh process (its arguments, environment and key file, through /proc) before hanging up.
 */

interface SeenSsh {
  argv: string[];
  gitSshCommand: string | undefined;
  keyFile: string;
  key: string;
  mode: number;
}

/** The ssh client connected to `port`, found through /proc. */
function findSsh(port: number): SeenSsh | undefined {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!argv[0]?.endsWith('ssh') || !argv.includes('IdentitiesOnly=yes') || !argv.includes(String(port))) continue;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const keyFile = argv[argv.indexOf('-i') + 1] as string;
    // Through the process's root: in the bwrap modes the file is where the sandbox shows it.
    const inRoot = `/proc/${pid}/root${keyFile}`;
    return {
      argv,
      gitSshCommand: environ.find((entry) => entry.startsWith('GIT_SSH_COMMAND='))?.slice('GIT_SSH_COMMAND='.length),
      keyFile,
      key: readFileSync(inRoot, 'utf8'),
      mode: statSync(inRoot).mode & 0o777,
    };
  }
  return undefined;
}

forEachDatabase(
  'ssh keys in runs',
  (server) => {
    const world = new RunWorld(server);
    const keyDir = mkdtempSync(join(tmpdir(), 'terrace-ssh-key-test-'));
    let listener: Server;
    let port = 0;
    const seen: (SeenSsh | undefined)[] = [];
    before(async () => {
      await world.setUp();
      listener = createServer((socket) => {
        seen.push(findSsh(port));
        socket.end('SSH-2.0-TerraceTest\r\n');
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      port = (listener.address() as { port: number }).port;
    });
    after(() => {
      listener.close();
      rmSync(keyDir, { recursive: true, force: true });
    });

    it('hands the workspace’s key to git’s ssh during init, in a 0600 file of the run’s directory that is gone afterwards, never in the log', async () => {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'terrace-test', '-f', join(keyDir, 'id')]);
      // Windows line ends, as a key pasted from a browser on Windows may come: the run gets Unix ones.
      const privateKey = readFileSync(join(keyDir, 'id'), 'utf8').replace(/\n/g, '\r\n');
      const key = await world.api('POST', `/organizations/${world.org}/ssh-keys`, world.ownerToken, {
        data: { type: 'ssh-keys', attributes: { name: 'git', value: privateKey } },
      });
      assert.equal(key.status, 201, key.text);
      const ws = await world.createWorkspace();
      const assigned = await world.api('PATCH', `/workspaces/${ws.id}/relationships/ssh-key`, world.ownerToken, {
        data: { type: 'workspaces', attributes: { id: key.body.data.id } },
      });
      assert.equal(assigned.status, 200, assigned.text);
      await world.uploadConfiguration(ws.id, { 'main.tf': `module "private" {\n  source = "git::ssh://git@127.0.0.1:${port}/modules/private.git"\n}\n` });
      const run = await world.createRun(ws.id);
      const ended = await world.waitForStatus(run.id, ['planned', 'errored', 'canceled'], 180_000);
      assert.equal(ended.attributes.status, 'errored', 'the fake git server hangs up');

      const ssh = seen.find((s) => s !== undefined);
      assert.ok(ssh, `git ran ssh with the key (connections: ${seen.length})`);
      assert.equal(ssh.key, privateKey.replace(/\r\n/g, '\n'), 'the key as stored, with Unix line ends');
      assert.equal(ssh.mode, 0o600);
      assert.ok(ssh.keyFile.startsWith(`${server.config.runDir}/${run.id}-`), `${ssh.keyFile} is in the run's directory`);
      assert.ok(ssh.gitSshCommand?.startsWith(`ssh -i '${ssh.keyFile}' -o 'IdentitiesOnly=yes'`), ssh.gitSshCommand);
      assert.equal(existsSync(ssh.keyFile), false, 'gone with the run');

      const log = await world.phaseLog(run.id, 'plan');
      assert.match(log, /private\.git|127\.0\.0\.1/, 'init failed on the module');
      const body = privateKey.split('\r\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
      for (const line of body) assert.equal(log.includes(line), false, 'no line of the key in the log');
    });
  },
  { env: { TERRACE_RUNNER_SLOTS: '1' } },
);
