import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { TestServer } from '../harness.js';
import { signInWithBrowser } from './browser.js';
import { cloudBlock, recordRequests, TerraformSandbox } from './terraform.js';

const PASSWORD = 'correct horse battery';

describe('terraform login (real CLI)', () => {
  const recorder = recordRequests();
  const server = new TestServer('pglite', { logStream: recorder.logStream });
  let tf: TerraformSandbox;
  before(async () => {
    await server.start();
    tf = new TerraformSandbox(server.caFile);
  });
  after(async () => {
    tf?.cleanup();
    await server.stop();
  });

  it('obtains a token through the browser flow and stores it for the host', async () => {
    const user = await server.createUser({ password: PASSWORD });
    const login = tf.start(['login', '-no-color', server.hostname]);
    login.write('yes\n');

    // The whole line: output comes in chunks, and a URL cut at a chunk's end would name another port.
    const [authorizeUrl] = await login.waitFor(/https:\/\/\S+\/app\/oauth2\/authorize\?\S+(?=\r?\n)/);
    const url = new URL(authorizeUrl);
    assert.equal(url.host, server.hostname);
    assert.equal(url.searchParams.get('client_id'), 'terraform-cli');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');

    const callback = await signInWithBrowser(server, authorizeUrl, user.username, PASSWORD);
    assert.equal(callback.hostname, 'localhost');
    // The CLI's listener is bound to 127.0.0.1 only; "localhost" may resolve to ::1 first here.
    callback.hostname = '127.0.0.1';
    const landing = await fetch(callback);
    assert.equal(landing.status, 200, await landing.text());

    const result = await login.result;
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /Success! Terraform has obtained and saved an API token\./);

    const stored = tf.storedCredentials();
    assert.deepEqual(Object.keys(stored), [server.hostname]);
    const token = stored[server.hostname]?.token ?? '';
    assert.notEqual(token, user.token, 'a new token, not the one the test user already had');
    assert.equal((await server.api('GET', '/api/v2/organizations', { token })).status, 200);
    assert.equal((await server.api('GET', '/api/v2/organizations', { token: `${token}x` })).status, 401);
    const rows = await server.database.db
      .selectFrom('tokens')
      .select('description')
      .where('user_id', '=', user.id)
      .where('description', '=', 'terraform login')
      .execute();
    assert.equal(rows.length, 1, 'the token belongs to the user who signed in');

    // The next command picks the token up from credentials.tfrc.json (cli-protocol.md §2.4), which
    // terraform reads only when TF_CLI_CONFIG_FILE is unset.
    const org = `login-${user.username}`;
    const created = await server.api('POST', '/api/v2/organizations', {
      token,
      body: { data: { type: 'organizations', attributes: { name: org, email: 'o@example.com' } } },
    });
    assert.equal(created.status, 201, created.text);
    tf.writeFile('main.tf', cloudBlock(server.hostname, org, 'w1'));
    const init = await tf.run(['init', '-input=false', '-no-color'], { env: { TF_CLI_CONFIG_FILE: undefined } });
    assert.doesNotMatch(init.output, /Required token could not be found|unauthorized/, init.output);
    assert.equal(recorder.find('GET', `/api/v2/organizations/${org}/entitlement-set`)?.status, 200, init.output);
  });
});
