import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestServer } from '../harness.js';
import { acmeOwnerSandbox, cloudBlock, type RequestLog, recordRequests, type TerraformResult, type TerraformSandbox } from './terraform.js';

/** What must never appear once discovery, ping and the entitlement-set check work (cli-protocol.md §1, §2). */
const HANDSHAKE_FAILURES = [/Failed to request discovery document/, /Unsupported Terraform Enterprise version/, /organization "acme" at host/, /unauthorized/i];

describe('terraform init with a cloud block (real CLI)', () => {
  const recorder = recordRequests();
  const requests = recorder.requests;
  const server = new TestServer('pglite', { logStream: recorder.logStream });
  let tf: TerraformSandbox;
  let owner: { id: string; username: string; token: string };

  before(async () => {
    await server.start();
    // Each test writes the token it runs with.
    ({ owner, tf } = await acmeOwnerSandbox(server));
  });
  after(async () => {
    tf?.cleanup();
    await server.stop();
  });

  /** `terraform init` in a fresh directory whose cloud block names `organization`/`w1`, with `token` in the CLI config. */
  async function init(name: string, organization: string, token: string): Promise<{ result: TerraformResult; requests: RequestLog[] }> {
    tf.writeCredentials(server.hostname, token);
    const dir = tf.writeFile('main.tf', cloudBlock(server.hostname, organization, 'w1'), tf.newWorkdir(name));
    const first = requests.length;
    const result = await tf.run(['init', '-input=false', '-no-color'], { cwd: dir });
    return { result, requests: requests.slice(first) };
  }

  const saw = (log: RequestLog[], method: string, path: string) => log.find((r) => r.method === method && r.path === path);

  it('gets past discovery, ping and the entitlement check to the workspace', async () => {
    const { result, requests: log } = await init('ok', 'acme', owner.token);
    for (const failure of HANDSHAKE_FAILURES) assert.doesNotMatch(result.output, failure);
    assert.equal(saw(log, 'GET', '/.well-known/terraform.json')?.status, 200);
    assert.ok(saw(log, 'GET', '/api/v2/ping'), 'pinged');
    assert.equal(saw(log, 'GET', '/api/v2/organizations/acme/entitlement-set')?.status, 200);
    assert.ok(saw(log, 'GET', '/api/v2/organizations/acme/workspaces/w1'), `requested the workspace:\n${result.output}`);
  });

  it('reports an unknown organization as not found', async () => {
    const { result, requests: log } = await init('unknown-org', 'nope', owner.token);
    assert.equal(result.code, 1);
    assert.match(result.output, new RegExp(`organization "nope" at host ${server.hostname} not found`));
    assert.equal(saw(log, 'GET', '/api/v2/organizations/nope/entitlement-set')?.status, 404);
  });

  it("reports another user's organization as not found", async () => {
    const stranger = await server.createUser();
    const { result } = await init('stranger', 'acme', stranger.token);
    assert.equal(result.code, 1);
    assert.match(result.output, new RegExp(`organization "acme" at host ${server.hostname} not found`));
  });

  it('reports a bad token as unauthorized', async () => {
    const { result, requests: log } = await init('bad-token', 'acme', `${owner.token}x`);
    assert.equal(result.code, 1);
    assert.match(result.output, /unauthorized/);
    assert.equal(saw(log, 'GET', '/api/v2/organizations/acme/entitlement-set')?.status, 401);
  });
});
