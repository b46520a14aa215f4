import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { type WorkspaceAccessLevel, WORKSPACE_LEVEL_PERMISSIONS } from '../auth/access-levels.js';
import { newId, type WorkspaceId } from '../ids.js';
import { StateWorld, terraformData } from '../state-versions/testing.js';
import * as teamWorkspaceStore from '../team-workspace-access/store.js';
import * as teamStore from '../teams/store.js';
import { setBody } from '../variable-sets/testing.js';
import * as variableService from '../variables/service.js';
import { CSRF_FIELD } from './components.js';
import { csrfTokenIn, TEST_PASSWORD, WebClient } from './testing.js';

/** The secrets a page must never show: a sensitive variable's value and a sensitive output's. */
const SECRET_VALUE = `sv-${randomUUID()}`;
const SECRET_OUTPUT = `so-${randomUUID()}`;

const TABS = ['', '/variables', '/variable-sets', '/team-access', '/state-versions', '/notifications', '/run-triggers', '/delete'];

forEachDatabase('web UI workspace settings', (server) => {
  const world = new StateWorld(server);
  const db = () => server.database.db;
  let owner: WebClient;
  let csrf = '';
  /** A workspace with a state (one resource, a plain and a sensitive output) and a sensitive variable. */
  let ws: { id: WorkspaceId; name: string };

  const settings = (name: string, tab = '') => `/app/${world.org}/workspaces/${name}/settings${tab}`;

  async function createTeam(name = unique('team')): Promise<string> {
    const teamId = newId('team');
    await teamStore.insert(db(), {
      id: teamId,
      organizationId: world.orgId,
      now: new Date(),
      name,
      visibility: 'organization',
      ssoTeamId: null,
      allowMemberTokenManagement: true,
      organizationAccess: {},
    });
    return teamId;
  }

  /** A signed-in member of the organization whose only access is a team's `level` on the workspace. */
  async function memberWith(workspaceId: string, level: WorkspaceAccessLevel): Promise<{ web: WebClient; csrf: string }> {
    const user = await server.createUser({ password: TEST_PASSWORD });
    await db()
      .insertInto('organization_memberships')
      .values({ id: newId('ou'), organization_id: world.orgId, user_id: user.id, status: 'active' })
      .execute();
    const teamId = await createTeam();
    await db().insertInto('team_memberships').values({ team_id: teamId, user_id: user.id }).execute();
    await teamWorkspaceStore.insert(db(), { id: newId('tws'), teamId, workspaceId, access: level, permissions: WORKSPACE_LEVEL_PERMISSIONS[level] });
    const web = new WebClient(server);
    return { web, csrf: await web.signIn(user.username) };
  }

  async function variablesOf(workspaceId: string) {
    return variableService.workspaceVariablesForRun(server.adminCtx(), workspaceId);
  }

  async function workspaceRow(id: WorkspaceId) {
    return db().selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  before(async () => {
    await world.setUp();
    owner = new WebClient(server);
    csrf = await owner.signIn(await server.givePassword(world.ownerId, TEST_PASSWORD));
    const created = await world.createWorkspace();
    ws = { id: created.id, name: created.attributes.name };
    await world.lock(ws.id);
    const outputs = { plain: { value: 'shown-output', type: 'string' }, secret: { value: SECRET_OUTPUT, type: 'string', sensitive: true } };
    const version = await world.pushState(ws.id, { serial: 1, lineage: randomUUID(), outputs, resources: [terraformData('one')] });
    await world.processed(version.id);
    assert.equal((await world.unlock(ws.id)).status, 200);
    const variable = { data: { type: 'vars', attributes: { key: 'db_password', value: SECRET_VALUE, category: 'terraform', sensitive: true } } };
    assert.equal((await world.api('POST', `/workspaces/${ws.id}/vars`, world.ownerToken, variable)).status, 201);
  });

  describe('authorization', () => {
    it('shows every tab to the owner and a 404 page to a user who may not see the workspace', async () => {
      const stranger = new WebClient(server);
      await stranger.signIn((await server.createUser({ password: TEST_PASSWORD })).username);
      for (const tab of TABS) {
        const page = await owner.get(settings(ws.name, tab));
        assert.equal(page.status, 200, `${tab}: ${page.text}`);
        assert.match(page.text, /class="tabs"/);
        const hidden = await stranger.get(settings(ws.name, tab));
        assert.equal(hidden.status, 404, tab);
        assert.match(hidden.text, /Not found/);
      }
    });

    it('shows a reader the tabs they may read without a form, a 404 for the others, and refuses their posts', async () => {
      const reader = await memberWith(ws.id, 'read');
      for (const tab of ['', '/variables', '/variable-sets', '/team-access', '/state-versions', '/run-triggers']) {
        const page = await reader.web.get(settings(ws.name, tab));
        assert.equal(page.status, 200, `${tab}: ${page.text}`);
        // The only form a reader gets is the sign-out one.
        assert.equal([...page.text.matchAll(/<form /g)].length, 1, tab);
        assert.doesNotMatch(page.text, /<button type="submit"(?! *>Sign out)/);
      }
      for (const tab of ['/notifications', '/delete']) assert.equal((await reader.web.get(settings(ws.name, tab))).status, 404, tab);
      const overview = await reader.web.get(`/app/${world.org}/workspaces/${ws.name}`);
      assert.doesNotMatch(overview.text, /\/lock"/);

      const [variable] = await variablesOf(ws.id);
      const posts: [string, Record<string, string>][] = [
        [settings(ws.name), { 'terraform-version': '1.10.0', description: 'changed' }],
        [settings(ws.name, '/variables'), { key: 'added', value: 'v', category: 'terraform' }],
        [settings(ws.name, `/variables/${variable?.id}`), { key: 'renamed', value: 'v', category: 'terraform' }],
        [settings(ws.name, `/variables/${variable?.id}/delete`), {}],
        [settings(ws.name, '/team-access'), { team: await createTeam(), access: 'admin' }],
        [settings(ws.name, '/notifications'), { name: 'n', 'destination-type': 'generic', url: 'https://example.com/hook' }],
        [settings(ws.name, '/run-triggers'), { source: ws.id }],
        [settings(ws.name, '/delete'), { confirm: ws.name, mode: 'safe' }],
        [`/app/${world.org}/workspaces/${ws.name}/lock`, { reason: 'mine' }],
        [`/app/${world.org}/workspaces`, { name: unique('reader-ws') }],
      ];
      for (const [path, fields] of posts) {
        const res = await reader.web.post(path, { [CSRF_FIELD]: reader.csrf, ...fields });
        assert.equal(res.status, 404, `${path}: ${res.text}`);
      }
      const row = await workspaceRow(ws.id);
      assert.equal(row?.description, '');
      assert.equal(row?.locked_by_id, null);
      assert.deepEqual(
        (await variablesOf(ws.id)).map((v) => v.key),
        ['db_password'],
      );
      assert.equal((await db().selectFrom('notification_configurations').select('id').where('workspace_id', '=', ws.id).execute()).length, 0);
    });

    it('refuses a post without the CSRF token with 403, changing nothing', async () => {
      for (const [path, fields] of [
        [settings(ws.name), { description: 'no token' }],
        [settings(ws.name, '/variables'), { key: 'no_token', value: 'v', category: 'terraform' }],
        [settings(ws.name, '/delete'), { confirm: ws.name, mode: 'force' }],
        [`/app/${world.org}/workspaces/${ws.name}/lock`, {}],
      ] as const) {
        assert.equal((await owner.post(path, fields)).status, 403, path);
      }
      assert.ok(await workspaceRow(ws.id));
      assert.equal((await workspaceRow(ws.id))?.description, '');
      assert.equal((await variablesOf(ws.id)).length, 1);
    });
  });

  describe('workspaces', () => {
    it('creates a workspace from the list page, and shows a refused name on the form without creating it', async () => {
      const list = await owner.get(`/app/${world.org}/workspaces`);
      assert.match(list.text, /Create workspace/);
      const name = unique('created');
      const fields = { [CSRF_FIELD]: csrf, name, project: world.defaultProjectId, 'execution-mode': 'local', 'auto-apply': 'on' };
      const created = await owner.post(`/app/${world.org}/workspaces`, fields);
      assert.equal(created.status, 303, created.text);
      assert.equal(created.headers.get('location'), `/app/${world.org}/workspaces/${name}`);
      const row = await db().selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
      assert.equal(row.execution_mode, 'local');
      assert.equal(row.auto_apply, true);

      const taken = await owner.post(`/app/${world.org}/workspaces`, fields);
      assert.equal(taken.status, 422);
      assert.match(taken.text, /has already been taken/);
      const invalid = await owner.post(`/app/${world.org}/workspaces`, { ...fields, name: 'no spaces allowed' });
      assert.equal(invalid.status, 422);
      assert.match(invalid.text, /class="form-error"/);
      assert.match(invalid.text, /value="no spaces allowed"/);
      assert.equal((await db().selectFrom('workspaces').select('id').where('name', '=', 'no spaces allowed').execute()).length, 0);
      const reader = await memberWith(ws.id, 'read');
      assert.doesNotMatch((await reader.web.get(`/app/${world.org}/workspaces`)).text, /Create workspace/);
    });

    it('locks and unlocks from the overview with a reason, and shows the resources and latest state', async () => {
      const path = `/app/${world.org}/workspaces/${ws.name}`;
      const before = await owner.get(path);
      assert.match(before.text, /id="resource-count">1</);
      assert.match(before.text, /id="latest-state"><a href="[^"]+\/settings\/state-versions#sv-/);
      assert.equal((await owner.post(`${path}/lock`, { [CSRF_FIELD]: csrf, reason: 'maintenance <now>' })).status, 303);
      const locked = await owner.get(path);
      assert.match(locked.text, /Locked/);
      assert.match(locked.text, /maintenance &lt;now>/);
      assert.match(locked.text, /\/unlock"/);
      assert.doesNotMatch(locked.text, /\/force-unlock"/);
      assert.equal((await owner.post(`${path}/lock`, { [CSRF_FIELD]: csrf })).status, 409);
      assert.equal((await owner.post(`${path}/unlock`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.match((await owner.get(path)).text, /id="lock-state">Unlocked/);
      assert.equal((await workspaceRow(ws.id))?.locked_by_id, null);
    });

    it('offers force-unlock to an admin for another holder’s lock', async () => {
      const other = await world.createWorkspace();
      const teamId = await createTeam();
      await teamWorkspaceStore.insert(db(), {
        id: newId('tws'),
        teamId,
        workspaceId: other.id,
        access: 'write',
        permissions: WORKSPACE_LEVEL_PERMISSIONS.write,
      });
      await world.lock(other.id, await world.insertToken({ kind: 'team', teamId }));
      const path = `/app/${world.org}/workspaces/${other.attributes.name}`;
      const page = await owner.get(path);
      assert.doesNotMatch(page.text, /\/unlock"/);
      assert.match(page.text, /\/force-unlock"/);
      assert.equal((await owner.post(`${path}/unlock`, { [CSRF_FIELD]: csrf })).status, 409);
      assert.equal((await owner.post(`${path}/force-unlock`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal((await workspaceRow(other.id))?.locked_by_id, null);
    });
  });

  describe('settings', () => {
    it('saves the general settings, and shows a refused one on the form without saving any of them', async () => {
      const other = await world.createWorkspace();
      const path = settings(other.attributes.name);
      const fields = { [CSRF_FIELD]: csrf, 'execution-mode': 'local', 'terraform-version': '1.10.5', 'working-directory': 'infra', description: 'described' };
      const saved = await owner.post(path, { ...fields, 'auto-apply': 'on' });
      assert.equal(saved.status, 303, saved.text);
      let row = await workspaceRow(other.id);
      assert.deepEqual(
        [row?.execution_mode, row?.terraform_version, row?.working_directory, row?.description, row?.auto_apply],
        ['local', '1.10.5', 'infra', 'described', true],
      );
      const refused = await owner.post(path, { ...fields, 'terraform-version': 'not-a-version', description: 'half written' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /class="form-error"/);
      assert.match(refused.text, /value="not-a-version"/);
      row = await workspaceRow(other.id);
      assert.equal(row?.description, 'described');
      assert.equal(row?.auto_apply, true);
      const agent = await owner.post(path, { ...fields, 'execution-mode': 'agent' });
      assert.equal(agent.status, 422);
      assert.match(agent.text, /agent-pool-id is required/);
      // Back to the organization's default.
      assert.equal((await owner.post(path, { ...fields, 'execution-mode': '' })).status, 303);
      assert.equal((await workspaceRow(other.id))?.execution_mode, null);
    });

    it('never shows a sensitive value, keeps it when edited without a new one, and replaces it when one is typed', async () => {
      const [secret] = await variablesOf(ws.id);
      assert.ok(secret);
      const edit = settings(ws.name, `/variables/${secret.id}`);
      for (const path of [...TABS.map((tab) => settings(ws.name, tab)), edit, `/app/${world.org}/workspaces/${ws.name}`]) {
        const page = await owner.get(path);
        assert.equal(page.status, 200, path);
        assert.ok(!page.text.includes(SECRET_VALUE), `${path} shows the sensitive value`);
        assert.ok(!page.text.includes(SECRET_OUTPUT), `${path} shows the sensitive output`);
      }
      assert.match((await owner.get(settings(ws.name, '/variables'))).text, /Sensitive — write only/);

      const kept = await owner.post(edit, { [CSRF_FIELD]: csrf, key: 'db_password', value: '', description: 'kept', category: 'terraform' });
      assert.equal(kept.status, 303, kept.text);
      let [stored] = await variablesOf(ws.id);
      assert.deepEqual([stored?.value, stored?.sensitive, stored?.hcl], [SECRET_VALUE, true, false]);
      const refused = await owner.post(edit, {
        [CSRF_FIELD]: csrf,
        key: 'db_password',
        value: 'typed-secret',
        description: 'x'.repeat(600),
        category: 'terraform',
      });
      assert.equal(refused.status, 422);
      assert.ok(!refused.text.includes('typed-secret'));
      assert.ok(!refused.text.includes(SECRET_VALUE));
      const replaced = await owner.post(edit, {
        [CSRF_FIELD]: csrf,
        key: 'db_password',
        value: `${SECRET_VALUE}-2`,
        description: 'kept',
        category: 'terraform',
      });
      assert.equal(replaced.status, 303);
      [stored] = await variablesOf(ws.id);
      assert.equal(stored?.value, `${SECRET_VALUE}-2`);
      assert.ok(!(await owner.get(settings(ws.name, '/variables'))).text.includes(`${SECRET_VALUE}-2`));
    });

    it('creates, edits and deletes variables, and shows a refused key on the form without creating it', async () => {
      const other = await world.createWorkspace();
      const path = settings(other.attributes.name, '/variables');
      const created = await owner.post(path, { [CSRF_FIELD]: csrf, key: 'regions', value: '["a","b"]', category: 'terraform', hcl: 'on' });
      assert.equal(created.status, 303, created.text);
      const hidden = await owner.post(path, { [CSRF_FIELD]: csrf, key: 'TOKEN', value: 'env-secret-value', category: 'env', sensitive: 'on' });
      assert.equal(hidden.status, 303);
      const refused = await owner.post(path, { [CSRF_FIELD]: csrf, key: '1 bad key', value: 'typed-env-secret', category: 'env', sensitive: 'on' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /valid environment variable name/);
      assert.ok(!refused.text.includes('typed-env-secret'));
      const page = await owner.get(path);
      assert.match(page.text, /\[&quot;a&quot;,&quot;b&quot;\]|\[&#34;a&#34;,&#34;b&#34;\]|\["a","b"\]/);
      assert.ok(!page.text.includes('env-secret-value'));
      const variables = await variablesOf(other.id);
      assert.deepEqual(variables.map((v) => [v.key, v.category, v.hcl, v.sensitive]).sort(), [
        ['TOKEN', 'env', false, true],
        ['regions', 'terraform', true, false],
      ]);
      const regions = variables.find((v) => v.key === 'regions');
      const edited = await owner.post(`${path}/${regions?.id}`, { [CSRF_FIELD]: csrf, key: 'regions', value: '["c"]', category: 'terraform' });
      assert.equal(edited.status, 303);
      assert.deepEqual(
        (await variablesOf(other.id)).filter((v) => v.key === 'regions').map((v) => [v.value, v.hcl]),
        [['["c"]', false]],
      );
      assert.equal((await owner.post(`${path}/${regions?.id}/delete`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.deepEqual(
        (await variablesOf(other.id)).map((v) => v.key),
        ['TOKEN'],
      );
      // Another workspace's variable is not this one's.
      const [secret] = await variablesOf(ws.id);
      assert.equal((await owner.post(`${path}/${secret?.id}/delete`, { [CSRF_FIELD]: csrf })).status, 404);
    });

    it('applies and removes a variable set', async () => {
      const name = unique('set');
      const res = await world.api('POST', `/organizations/${world.org}/varsets`, world.ownerToken, setBody({ name, global: false }));
      assert.equal(res.status, 201, res.text);
      const path = settings(ws.name, '/variable-sets');
      assert.match((await owner.get(path)).text, new RegExp(`<option value="${res.body.data.id}">${name}<`));
      assert.equal((await owner.post(path, { [CSRF_FIELD]: csrf, 'variable-set': res.body.data.id })).status, 303);
      const applied = await owner.get(path);
      assert.match(applied.text, new RegExp(`${name}</span>`));
      assert.match(applied.text, /this workspace/);
      assert.equal((await owner.post(`${path}/${res.body.data.id}/remove`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.doesNotMatch((await owner.get(path)).text, new RegExp(`${name}</span>`));
    });

    it('adds, changes and removes a team’s access', async () => {
      const teamName = unique('builders');
      const teamId = await createTeam(teamName);
      const path = settings(ws.name, '/team-access');
      assert.equal((await owner.post(path, { [CSRF_FIELD]: csrf, team: teamId, access: 'plan' })).status, 303);
      const row = await db().selectFrom('team_workspaces').selectAll().where('team_id', '=', teamId).executeTakeFirstOrThrow();
      assert.equal(row.access, 'plan');
      assert.match((await owner.get(path)).text, new RegExp(teamName));
      assert.equal((await owner.post(path, { [CSRF_FIELD]: csrf, team: teamId, access: 'nonsense' })).status, 422);
      assert.equal((await owner.post(`${path}/${row.id}`, { [CSRF_FIELD]: csrf, access: 'write' })).status, 303);
      assert.equal((await db().selectFrom('team_workspaces').select('access').where('id', '=', row.id).executeTakeFirstOrThrow()).access, 'write');
      assert.equal((await owner.post(`${path}/${row.id}/delete`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal((await db().selectFrom('team_workspaces').select('id').where('id', '=', row.id).execute()).length, 0);
    });

    it('lists state versions with a signed download link and the outputs, sensitive ones hidden', async () => {
      const page = await owner.get(settings(ws.name, '/state-versions'));
      assert.match(page.text, /<td>1<span class="badge badge-done">current/);
      assert.match(page.text, /shown-output/);
      assert.match(page.text, /Sensitive — hidden/);
      const link = /<a href="([^"]+)" download=/.exec(page.text)?.[1];
      assert.ok(link, page.text);
      const download = await server.api('GET', new URL(link.replaceAll('&amp;', '&')).pathname);
      assert.equal(download.status, 200);
      assert.match(download.text, /"serial": 1/);
      const reader = await memberWith(ws.id, 'read');
      assert.match((await reader.web.get(settings(ws.name, '/state-versions'))).text, /download=/);
      const runsOnly = await memberWith(ws.id, 'custom');
      assert.equal((await runsOnly.web.get(settings(ws.name, '/state-versions'))).status, 404);
    });

    it('creates, lists and deletes a notification, never showing its token', async () => {
      const path = settings(ws.name, '/notifications');
      const token = `tok-${randomUUID()}`;
      const fields = { [CSRF_FIELD]: csrf, name: 'hook', 'destination-type': 'generic', url: 'https://example.com/hook', token, triggers: 'run:created' };
      const created = await owner.post(path, fields);
      assert.equal(created.status, 303, created.text);
      const page = await owner.get(path);
      assert.match(page.text, /hook/);
      assert.match(page.text, /run:created/);
      assert.ok(!page.text.includes(token));
      const refused = await owner.post(path, { ...fields, name: 'bad', triggers: 'run:nonsense' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /class="form-error"/);
      const rows = await db().selectFrom('notification_configurations').select(['id', 'name']).where('workspace_id', '=', ws.id).execute();
      assert.deepEqual(
        rows.map((r) => r.name),
        ['hook'],
      );
      assert.equal((await owner.post(`${path}/${rows[0]?.id}/delete`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal((await db().selectFrom('notification_configurations').select('id').where('workspace_id', '=', ws.id).execute()).length, 0);
    });

    it('adds and removes a run trigger source', async () => {
      const source = await world.createWorkspace();
      const path = settings(ws.name, '/run-triggers');
      assert.match((await owner.get(path)).text, new RegExp(`<option value="${source.id}">`));
      assert.equal((await owner.post(path, { [CSRF_FIELD]: csrf, source: source.id })).status, 303);
      const page = await owner.get(path);
      assert.match(page.text, new RegExp(`>${source.attributes.name}</a>`));
      const refused = await owner.post(path, { [CSRF_FIELD]: csrf, source: ws.id });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /cannot be its own source/);
      const trigger = await db().selectFrom('run_triggers').select('id').where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
      assert.equal((await owner.post(`${path}/${trigger.id}/delete`, { [CSRF_FIELD]: csrf })).status, 303);
      assert.equal((await db().selectFrom('run_triggers').select('id').where('workspace_id', '=', ws.id).execute()).length, 0);
    });
  });

  describe('delete', () => {
    it('asks for the name, refuses to safe-delete a workspace that manages resources, and deletes an empty one', async () => {
      const path = settings(ws.name, '/delete');
      const unconfirmed = await owner.post(path, { [CSRF_FIELD]: csrf, confirm: 'wrong', mode: 'safe' });
      assert.equal(unconfirmed.status, 422);
      assert.match(unconfirmed.text, /Type the name/);
      const managing = await owner.post(path, { [CSRF_FIELD]: csrf, confirm: ws.name, mode: 'safe' });
      assert.equal(managing.status, 409);
      assert.match(managing.text, /managing 1 resources/);
      assert.ok(await workspaceRow(ws.id));

      const empty = await world.createWorkspace();
      const deleted = await owner.post(settings(empty.attributes.name, '/delete'), { [CSRF_FIELD]: csrf, confirm: empty.attributes.name, mode: 'safe' });
      assert.equal(deleted.status, 303);
      assert.equal(deleted.headers.get('location'), `/app/${world.org}/workspaces`);
      assert.equal(await workspaceRow(empty.id), undefined);
    });

    it('offers force delete to those allowed only', async () => {
      const doomed = await world.createWorkspace();
      const admin = await memberWith(doomed.id, 'admin');
      const path = settings(doomed.attributes.name, '/delete');
      assert.doesNotMatch((await admin.web.get(path)).text, /Force delete/);
      assert.equal((await admin.web.post(path, { [CSRF_FIELD]: admin.csrf, confirm: doomed.attributes.name, mode: 'force' })).status, 403);
      assert.ok(await workspaceRow(doomed.id));
      const page = await owner.get(path);
      assert.match(page.text, /Force delete/);
      const forced = await owner.post(path, { [CSRF_FIELD]: csrfTokenIn(page.text), confirm: doomed.attributes.name, mode: 'force' });
      assert.equal(forced.status, 303);
      assert.equal(await workspaceRow(doomed.id), undefined);
    });
  });
});
