import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { create as createTar } from 'tar';
import { Uploader } from '../../src/configuration-versions/testing.js';
import { readOnlyUser, TEST_PASSWORD } from '../../src/web/testing.js';
import { TestServer, testDatabases } from '../harness.js';
import { acmeOwnerSandbox, type TerraformSandbox } from '../cli/terraform.js';

/**
 * The web UI in a real browser (issue 21): Debian's Chromium driven by puppeteer-core, against a server
 * whose built-in runner runs the real terraform. Screenshots go to test-artifacts/screenshots (not committed).
 */

const SCREENSHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
/** `greeting` is set in the workspace's variables page by the browser. */
const MAIN_TF = `variable "greeting" {
  type = string
}

resource "terraform_data" "greeting" {
  input = var.greeting
  provisioner "local-exec" {
    command = "echo applied-by-terrace \${var.greeting}"
  }
}
`;

/** Chromium from the PATH: .ci/run installs Debian's package when it is missing. */
function chromiumPath(): string {
  return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

for (const kind of testDatabases()) {
  describe(`web UI in Chromium [${kind}]`, { timeout: 300_000 }, () => {
    const server = new TestServer(kind, { env: { TERRACE_RUNNER_SLOTS: '1' } });
    const uploader = new Uploader(server);
    let browser: Browser;
    let page: Page;
    let tf: TerraformSandbox;
    let owner: { id: string; username: string; token: string };
    /** The run the first test applies: the read-only member looks at it. */
    let appliedRunId = '';
    /** What the page logged as errors: a CSP violation (an inline style, a script from elsewhere) shows here. */
    const consoleErrors: string[] = [];

    before(async () => {
      await server.start();
      ({ owner, tf } = await acmeOwnerSandbox(server));
      await server.givePassword(owner.id, TEST_PASSWORD);
      mkdirSync(SCREENSHOTS, { recursive: true });
      // As root (CI), Chromium's own sandbox cannot start; the test server's certificate is self-signed.
      browser = await puppeteer.launch({ executablePath: chromiumPath(), headless: true, acceptInsecureCerts: true, args: ['--no-sandbox'] });
      page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      page.on('console', (message) => {
        // Browsers ask for /favicon.ico by themselves; Terrace has none.
        if (message.type() === 'error' && !message.location().url?.endsWith('/favicon.ico')) consoleErrors.push(`${message.text()} ${message.location().url}`);
      });
    });
    after(async () => {
      await browser?.close();
      tf?.cleanup();
      await uploader.close();
      await server.stop();
    });

    const api = (method: string, path: string, body?: unknown) => server.api(method, `/api/v2${path}`, { token: owner.token, body });
    const shoot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${kind}-${name}.png`), fullPage: true });
    const text = (selector: string) => page.$eval(selector, (element) => element.textContent ?? '');
    /** Waits until the element's text matches: the page changes it by itself (event stream, htmx). */
    const waitForText = (selector: string, pattern: RegExp, timeout: number) =>
      page.waitForFunction(
        (sel: string, source: string) => new RegExp(source).test((globalThis as any).document.querySelector(sel)?.textContent ?? ''),
        { timeout },
        selector,
        pattern.source,
      );

    /** Uploads MAIN_TF as the workspace's configuration and returns the workspace's id. */
    async function uploadConfiguration(name: string): Promise<string> {
      const workspace = await api('GET', `/organizations/acme/workspaces/${name}`);
      assert.equal(workspace.status, 200, workspace.text);
      const version = await api('POST', `/workspaces/${workspace.body.data.id}/configuration-versions`, {
        data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
      });
      assert.equal(version.status, 201, version.text);
      const dir = tf.newWorkdir(`upload-${name}`);
      tf.writeFile('main.tf', MAIN_TF, dir);
      const archive: Buffer[] = [];
      for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, ['main.tf'])) archive.push(chunk as Buffer);
      assert.equal((await uploader.put(version.body.data.attributes['upload-url'], Buffer.concat(archive))).status, 200);
      return workspace.body.data.id;
    }

    it('signs in, creates a workspace and sets its variable in the pages, follows a run live, confirms it and sees it applied', async () => {
      await page.goto(`${server.url}/app`);
      assert.match(page.url(), /\/app\/sign-in\?next=%2Fapp$/);
      await page.type('#username', owner.username);
      await page.type('#password', TEST_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      assert.equal(new URL(page.url()).pathname, '/app');
      await shoot('organizations');

      // Boosted links: htmx swaps the body and pushes the address.
      await page.click('a[href="/app/acme/workspaces"]');
      await page.waitForSelector('#workspace-name');
      await shoot('workspaces');
      // The create form on the list page: the boosted post lands on the new workspace's overview.
      await page.type('#workspace-name', 'web');
      await page.click('form[action="/app/acme/workspaces"] button.primary');
      await page.waitForSelector('#lock-state');
      assert.equal(new URL(page.url()).pathname, '/app/acme/workspaces/web');
      assert.equal(await text('#lock-state'), 'Unlocked');
      assert.equal(await text('#resource-count'), '0');

      await page.click('a[href="/app/acme/workspaces/web/settings"]');
      await page.waitForSelector('#terraform-version');
      await shoot('workspace-settings-general');
      await page.click('a[href="/app/acme/workspaces/web/settings/variables"]');
      await page.waitForSelector('#variable-key');
      await page.type('#variable-key', 'greeting');
      await page.type('#variable-value', 'hello-from-the-browser');
      await page.click('form[action="/app/acme/workspaces/web/settings/variables"] button.primary');
      await waitForText('main table', /greeting/, 10_000);
      assert.match(await text('main table'), /hello-from-the-browser/);
      await shoot('workspace-settings-variables');
      const workspaceId = await uploadConfiguration('web');

      const created = await api('POST', '/runs', {
        data: {
          type: 'runs',
          attributes: { message: 'from the browser test' },
          relationships: { workspace: { data: { type: 'workspaces', id: workspaceId } } },
        },
      });
      assert.equal(created.status, 201, created.text);
      const runId: string = created.body.data.id;
      appliedRunId = runId;

      // The address the CLI prints ("To view this run in a browser") lands on the run page.
      await page.goto(`${server.url}/app/acme/web/runs/${runId}`);
      assert.equal(new URL(page.url()).pathname, `/app/acme/workspaces/web/runs/${runId}`);
      // The plan's log arrives through the event stream, coloured: the page itself was drawn before it.
      await waitForText('#plan-log', /Plan: 1 to add/, 120_000);
      // Structured run output (the default): the messages, as the CLI shows them, not the JSON lines.
      assert.doesNotMatch(await text('#plan-log'), /"@message"/);
      assert.ok(await page.$('#plan-log span.ansi-bold'), 'the change summary stands out');
      const confirm = await page.waitForSelector('button.primary', { timeout: 60_000 });
      assert.equal(await confirm?.evaluate((button) => button.textContent), 'Confirm & apply');
      assert.match(await text('#plan-summary'), /\+1/);
      // The plan's resource changes, read from its redacted JSON plan, come with the summary.
      await waitForText('#plan-changes', /To create \(1\)\s*terraform_data\.greeting/, 30_000);
      await shoot('run-planned');

      await confirm?.click();
      await waitForText('#run-status', /^applied$/, 120_000);
      await waitForText('#apply-log', /Apply complete!/, 30_000);
      // The variable set in the page reached the run.
      assert.match(await text('#apply-log'), /applied-by-terrace hello-from-the-browser/);
      assert.equal(await page.$('button.primary'), null, 'nothing left to confirm');
      assert.match(await text('#run-timeline'), /confirmed.*applying.*applied/s);
      assert.match(await text('#plan-changes'), /terraform_data\.greeting/);
      await shoot('run-applied');
      assert.equal((await api('GET', `/runs/${runId}`)).body.data.attributes.status, 'applied');

      await page.goto(`${server.url}/app/acme/workspaces/web`);
      assert.equal(await text('#resource-count'), '1');
      assert.deepEqual(consoleErrors, []);
    });

    it('creates a team in the organization settings and gives it organization access', async () => {
      await page.goto(`${server.url}/app/acme/settings/teams`);
      await page.type('#team-name', 'browser-team');
      await Promise.all([page.waitForSelector('#access-manage-teams'), page.click('form[action="/app/acme/settings/teams"] button')]);
      // Ticking "manage teams" brings "manage membership" with it once saved.
      await page.click('#access-manage-teams');
      await page.click('form[action$="/access"] button');
      await page.waitForFunction(() => (globalThis as any).document.querySelector('#access-manage-membership')?.checked === true, { timeout: 10_000 });
      await shoot('team');
      const teams = await api('GET', '/organizations/acme/teams?q=browser-team');
      assert.equal(teams.body.data[0]?.attributes['organization-access']['manage-teams'], true);
      assert.deepEqual(consoleErrors, []);
    });

    it('locks and unlocks the workspace, and draws every settings tab', async () => {
      await page.goto(`${server.url}/app/acme/workspaces/web`);
      await page.type('#lock-reason', 'browser maintenance');
      await page.click('form[action="/app/acme/workspaces/web/lock"] button');
      await waitForText('#lock-state', /browser maintenance/, 10_000);
      await shoot('workspace-locked');
      await page.click('form[action="/app/acme/workspaces/web/unlock"] button');
      await waitForText('#lock-state', /^Unlocked$/, 10_000);
      for (const tab of ['variable-sets', 'team-access', 'state-versions', 'notifications', 'run-triggers', 'delete']) {
        await page.goto(`${server.url}/app/acme/workspaces/web/settings/${tab}`);
        assert.ok(await page.$('nav.tabs a[aria-current=page]'), tab);
        await shoot(`workspace-settings-${tab}`);
      }
      assert.match(await (await page.goto(`${server.url}/app/acme/workspaces/web/settings/state-versions`))!.text(), /\.tfstate/);
      assert.deepEqual(consoleErrors, []);
      // Safe delete refuses: the workspace manages the applied resource. The 409 page is swapped in (the
      // browser logs its status, the only console error).
      await page.goto(`${server.url}/app/acme/workspaces/web/settings/delete`);
      await page.type('#confirm', 'web');
      await page.click('button[value=safe]');
      await waitForText('.form-error', /managing 1 resources/, 10_000);
      await shoot('workspace-delete-refused');
      assert.deepEqual(
        (consoleErrors as string[]).map((error) => error.replace(/^.*status of (\d+).*$/, '$1')),
        ['409'],
      );
    });

    it('signs out: the pages ask for the password again', async () => {
      await Promise.all([page.waitForNavigation(), page.click('.sign-out button')]);
      assert.equal(new URL(page.url()).pathname, '/app/sign-in');
      await page.goto(`${server.url}/app/acme/workspaces`);
      assert.equal(new URL(page.url()).pathname, '/app/sign-in');
    });

    it('shows a read-only member the run without a button, another workspace as Not found, and refuses a form posted without its CSRF token', async () => {
      // An organization's API id is its name; the membership row wants its internal id.
      const organization = await server.database.db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow();
      const web = await api('GET', '/organizations/acme/workspaces/web');
      const hidden = await api('POST', '/organizations/acme/workspaces', { data: { type: 'workspaces', attributes: { name: 'hidden' } } });
      assert.equal(hidden.status, 201, hidden.text);
      const reader = await readOnlyUser(server, organization.id, web.body.data.id);
      await page.type('#username', reader);
      await page.type('#password', TEST_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);

      await page.goto(`${server.url}/app/acme/workspaces/web/runs/${appliedRunId}`);
      await waitForText('#run-status', /^applied$/, 10_000);
      assert.deepEqual(await page.$$eval('form', (forms) => forms.map((form) => form.getAttribute('action'))), ['/app/sign-out']);
      await page.goto(`${server.url}/app/acme/workspaces/web`);
      assert.equal(await page.$('form[action$="/lock"]'), null, 'no lock form for a reader');
      await shoot('read-only-workspace');

      const outside = await page.goto(`${server.url}/app/acme/workspaces/hidden`);
      assert.equal(outside?.status(), 404);
      assert.match(await text('main'), /does not exist, or you may not see it/);

      // A post as a forged form would send it: the session cookie, no CSRF field.
      const status = await page.evaluate(async () => {
        const res = await fetch('/app/sign-out', { method: 'POST', body: new URLSearchParams({}), credentials: 'same-origin' });
        return res.status;
      });
      assert.equal(status, 403);
      await page.goto(`${server.url}/app/acme/workspaces/web`);
      assert.equal(new URL(page.url()).pathname, '/app/acme/workspaces/web', 'still signed in: the forged sign-out did nothing');
    });
  });
}
