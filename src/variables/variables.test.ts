import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, it } from 'node:test';
import { OrganizationWorld } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { keyId } from '../crypto/sealing.js';
import * as variableService from './service.js';

const SECRET = `hunter2-${randomBytes(8).toString('hex')}`;
const SECRET_2 = `swordfish-${randomBytes(8).toString('hex')}`;

function varBody(attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { data: { type: 'vars', attributes, ...extra } };
}

const tfVar = (key: string, value = 'v', more: Record<string, unknown> = {}) => varBody({ key, value, category: 'terraform', ...more });

const logLines: string[] = [];

forEachDatabase(
  'workspace variables',
  (server) => {
    const world = new OrganizationWorld(server);
    let otherOrgToken = '';
    let ws = '';
    let otherWs = '';
    let theirWs = '';

    const api = (method: string, path: string, token: string, body?: unknown) => world.api(method, path, token, body);

    async function storedRow(id: string) {
      return server.database.db.selectFrom('variables').select(['value', 'sealed_value']).where('id', '=', id).executeTakeFirstOrThrow();
    }

    async function create(body: unknown, workspaceId = ws, token = world.ownerToken) {
      return api('POST', `/workspaces/${workspaceId}/vars`, token, body);
    }

    before(async () => {
      await world.setUp();
      ws = await world.insertWorkspace(world.defaultProjectId, world.orgId, 'app');
      otherWs = await world.insertWorkspace(world.defaultProjectId, world.orgId, 'other');
      theirWs = await world.insertWorkspace(world.otherDefaultProjectId, world.otherOrgId, 'app');
      otherOrgToken = await world.insertToken({ kind: 'organization', organizationId: world.otherOrgId });
    });

    it('creates, lists, shows, updates and deletes a variable', async () => {
      const created = await create(varBody({ key: 'region', value: 'eu-west-1', description: 'where', category: 'terraform', hcl: false }));
      assert.equal(created.status, 201, created.text);
      const v = created.body.data;
      assert.equal(v.type, 'vars');
      assert.match(v.id, /^var-/);
      assert.deepEqual(
        { ...v.attributes, 'created-at': undefined, 'version-id': undefined },
        {
          key: 'region',
          value: 'eu-west-1',
          description: 'where',
          sensitive: false,
          category: 'terraform',
          hcl: false,
          'created-at': undefined,
          'version-id': undefined,
        },
      );
      assert.match(v.attributes['created-at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(v.attributes['version-id'], /^[0-9a-f]{36}$/);
      assert.deepEqual(v.relationships.configurable, {
        data: { id: ws, type: 'workspaces' },
        links: { related: `/api/v2/organizations/${world.org}/workspaces/app` },
      });
      assert.equal(v.links.self, `/api/v2/workspaces/${ws}/vars/${v.id}`);

      const listed = await api('GET', `/workspaces/${ws}/vars`, world.ownerToken);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.data, [v]);

      const shown = await api('GET', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.data, v);

      const updated = await api('PATCH', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken, varBody({ value: '{ a = 1 }', hcl: true }, { id: v.id }));
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.data.attributes.value, '{ a = 1 }');
      assert.equal(updated.body.data.attributes.hcl, true);
      assert.equal(updated.body.data.attributes.key, 'region');
      assert.equal(updated.body.data.attributes.description, 'where');
      assert.notEqual(updated.body.data.attributes['version-id'], v.attributes['version-id']);

      // Every update gets a new version-id, even one that changes nothing (as go-tfe's tests expect).
      const unchanged = await api('PATCH', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken, varBody({}));
      assert.equal(unchanged.status, 200);
      assert.notEqual(unchanged.body.data.attributes['version-id'], updated.body.data.attributes['version-id']);
      assert.equal(unchanged.body.data.attributes.value, '{ a = 1 }');

      const renamed = await api('PATCH', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken, varBody({ key: 'AWS_REGION', category: 'env' }));
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.data.attributes.category, 'env');

      const deleted = await api('DELETE', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken);
      assert.equal(deleted.status, 204);
      assert.equal((await api('GET', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken)).status, 404);
      assert.equal((await api('DELETE', `/workspaces/${ws}/vars/${v.id}`, world.ownerToken)).status, 404);
      assert.deepEqual((await api('GET', `/workspaces/${ws}/vars`, world.ownerToken)).body.data, []);
    });

    it('defaults value and description to empty and keeps HCL values as given', async () => {
      const res = await create(varBody({ key: 'empty', category: 'terraform', description: null }));
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.data.attributes.value, '');
      assert.equal(res.body.data.attributes.description, '');
      const hcl = '{\n  a = [1, 2]  # not reformatted\n}';
      const h = await create(tfVar('hcl_map', hcl, { hcl: true }));
      assert.equal(h.body.data.attributes.value, hcl);
      assert.equal((await storedRow(h.body.data.id)).value, hcl);
    });

    it('never returns or stores in clear a sensitive value', async () => {
      const created = await create(varBody({ key: 'DB_PASSWORD', value: SECRET, category: 'env', sensitive: true }));
      assert.equal(created.status, 201, created.text);
      const id = created.body.data.id;
      assert.equal(created.body.data.attributes.value, null);
      assert.equal(created.body.data.attributes.sensitive, true);
      assert.ok(!created.text.includes(SECRET));

      const listed = await api('GET', `/workspaces/${ws}/vars`, world.ownerToken);
      assert.equal(listed.body.data.find((x: { id: string }) => x.id === id).attributes.value, null);
      assert.ok(!listed.text.includes(SECRET));
      const shown = await api('GET', `/workspaces/${ws}/vars/${id}`, world.ownerToken);
      assert.equal(shown.body.data.attributes.value, null);

      const row = await storedRow(id);
      assert.equal(row.value, null);
      assert.ok(row.sealed_value?.startsWith(`v1.${keyId(server.config.encryptionKey)}.`));
      assert.ok(!row.sealed_value?.includes(SECRET));

      // Other attributes may change (go-tfe updates the category of a sensitive variable); the value stays sealed.
      const described = await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.ownerToken, varBody({ description: 'the password' }));
      assert.equal(described.status, 200);
      assert.equal(described.body.data.attributes.value, null);
      assert.equal((await storedRow(id)).sealed_value, row.sealed_value);

      const rewritten = await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.ownerToken, varBody({ value: SECRET_2 }));
      assert.equal(rewritten.status, 200);
      assert.equal(rewritten.body.data.attributes.value, null);
      const after = await storedRow(id);
      assert.equal(after.value, null);
      assert.notEqual(after.sealed_value, row.sealed_value);

      const runVars = await variableService.workspaceVariablesForRun(server.adminCtx(), ws);
      assert.deepEqual(
        runVars.find((x) => x.id === id),
        { id, key: 'DB_PASSWORD', value: SECRET_2, category: 'env', hcl: false, sensitive: true },
      );
    });

    it('refuses to make a sensitive variable non-sensitive', async () => {
      const created = await create(tfVar('token', SECRET, { sensitive: true }));
      const id = created.body.data.id;
      const before = await storedRow(id);
      const res = await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.ownerToken, varBody({ sensitive: false, value: 'now visible' }));
      assert.equal(res.status, 422);
      assert.equal(res.body.errors[0].source.pointer, '/data/attributes/sensitive');
      assert.deepEqual(await storedRow(id), before);
      // Saying sensitive again is fine.
      assert.equal((await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.ownerToken, varBody({ sensitive: true }))).status, 200);
    });

    it('moves the value into the sealed column when a variable becomes sensitive', async () => {
      const created = await create(tfVar('api_key', SECRET));
      const id = created.body.data.id;
      assert.equal(created.body.data.attributes.value, SECRET);
      const res = await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.ownerToken, varBody({ sensitive: true }));
      assert.equal(res.status, 200);
      assert.equal(res.body.data.attributes.value, null);
      assert.equal(res.body.data.attributes.sensitive, true);
      const row = await storedRow(id);
      assert.equal(row.value, null);
      assert.ok(row.sealed_value && !row.sealed_value.includes(SECRET));
      const runVars = await variableService.workspaceVariablesForRun(server.adminCtx(), ws);
      assert.equal(runVars.find((x) => x.id === id)?.value, SECRET);
    });

    it('allows one key per workspace and category', async () => {
      assert.equal((await create(tfVar('dup'))).status, 201);
      const again = await create(tfVar('dup', 'other'));
      assert.equal(again.status, 422);
      assert.equal(again.body.errors[0].source.pointer, '/data/attributes/key');
      assert.match(again.body.errors[0].detail, /already been taken/);
      // Same key, other category or other workspace: allowed.
      assert.equal((await create(varBody({ key: 'dup', category: 'env' }))).status, 201);
      assert.equal((await create(tfVar('dup'), otherWs)).status, 201);
      // Renaming onto a taken key is refused too.
      const other = await create(tfVar('dup2'));
      const renamed = await api('PATCH', `/workspaces/${ws}/vars/${other.body.data.id}`, world.ownerToken, varBody({ key: 'dup' }));
      assert.equal(renamed.status, 422);
      assert.equal(renamed.body.errors[0].source.pointer, '/data/attributes/key');
    });

    it('validates keys by category', async () => {
      // HCP Terraform also takes terraform keys that are no identifier (go-tfe and tfe provider users rely on it).
      for (const key of ['my_var', 'my-var', '_x', 'x1', 'ünïcode', '1abc', 'a b', 'a.b', '-a', '0b4e6f9c-3d2a-4e8b-9c1d-2f6a7b8c9d0e']) {
        assert.equal((await create(tfVar(key))).status, 201, key);
      }
      for (const key of ['TF_LOG', '_A1', 'lower_case']) assert.equal((await create(varBody({ key, category: 'env' }))).status, 201, key);
      const invalid: Array<[string, string]> = [
        ['terraform', ''],
        ['terraform', 'a\nb'],
        ['terraform', 'tab\there'],
        ['terraform', 'x'.repeat(129)],
        ['env', 'MY-VAR'],
        ['env', '1X'],
        ['env', 'A B'],
        ['env', 'A=B'],
        ['env', 'ünï'],
        ['env', ''],
      ];
      for (const [category, key] of invalid) {
        const res = await create(varBody({ key, category }));
        assert.equal(res.status, 422, `${category} ${key}`);
        assert.equal(res.body.errors[0].source.pointer, '/data/attributes/key');
      }
      // Changing the category re-checks the key.
      const dashed = await create(tfVar('with-dash'));
      const moved = await api('PATCH', `/workspaces/${ws}/vars/${dashed.body.data.id}`, world.ownerToken, varBody({ category: 'env' }));
      assert.equal(moved.status, 422);
      assert.equal(moved.body.errors[0].source.pointer, '/data/attributes/key');
    });

    it('refuses invalid attributes with 422 and a pointer', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ key: 'a', category: 'policy-set' }, 'category'],
        [{ key: 'a', category: 'Terraform' }, 'category'],
        [{ key: 'a' }, 'category'],
        [{ category: 'terraform' }, 'key'],
        [{ key: 1, category: 'terraform' }, 'key'],
        [{ key: 'a', category: 'terraform', hcl: 'yes' }, 'hcl'],
        [{ key: 'a', category: 'terraform', sensitive: 1 }, 'sensitive'],
        [{ key: 'a', category: 'terraform', value: 42 }, 'value'],
        [{ key: 'a', category: 'terraform', description: 'd'.repeat(513) }, 'description'],
        [{ key: 'a', category: 'terraform', value: 'v'.repeat(256 * 1024 + 1) }, 'value'],
      ];
      for (const [attributes, field] of cases) {
        const res = await create(varBody(attributes));
        assert.equal(res.status, 422, JSON.stringify(attributes).slice(0, 80));
        assert.equal(res.body.errors[0].source.pointer, `/data/attributes/${field}`);
      }
      const patch = await create(tfVar('patch_me'));
      const bad = await api('PATCH', `/workspaces/${ws}/vars/${patch.body.data.id}`, world.ownerToken, varBody({ category: 'policy-set' }));
      assert.equal(bad.status, 422);
      assert.equal(bad.body.errors[0].source.pointer, '/data/attributes/category');
    });

    it('answers malformed documents with 400', async () => {
      const existing = await create(tfVar('doc_checks'));
      const varPath = `/workspaces/${ws}/vars/${existing.body.data.id}`;
      for (const [method, path] of [
        ['POST', `/workspaces/${ws}/vars`],
        ['PATCH', varPath],
        ['POST', '/vars'],
        ['PATCH', `/vars/${existing.body.data.id}`],
      ] as const) {
        assert.equal((await api(method, path, world.ownerToken, '{"data": {')).status, 400, `${method} ${path} bad JSON`);
        const wrongType = await api(method, path, world.ownerToken, { data: { type: 'variables', attributes: { key: 'x', category: 'terraform' } } });
        assert.equal(wrongType.status, 400, `${method} ${path} wrong type`);
        assert.equal(wrongType.body.errors[0].source.pointer, '/data/type');
        assert.equal((await api(method, path, world.ownerToken, { data: [] })).status, 400);
      }
    });

    it('answers 404 for unknown workspaces and variables, and for a variable reached through another workspace', async () => {
      const missing = 'ws-doesnotexist1234';
      assert.equal((await api('GET', `/workspaces/${missing}/vars`, world.ownerToken)).status, 404);
      assert.equal((await create(tfVar('x'), missing)).status, 404);
      const v = await create(tfVar('mine', 'keep'));
      const id = v.body.data.id;
      assert.equal((await api('PATCH', `/workspaces/${missing}/vars/${id}`, world.ownerToken, varBody({ value: 'x' }))).status, 404);
      assert.equal((await api('DELETE', `/workspaces/${missing}/vars/${id}`, world.ownerToken)).status, 404);
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', varBody({ value: 'hijacked' })],
        ['DELETE', undefined],
      ] as const) {
        const res = await api(method, `/workspaces/${otherWs}/vars/${id}`, world.ownerToken, body);
        assert.equal(res.status, 404, method);
      }
      assert.equal((await storedRow(id)).value, 'keep');
      assert.equal((await api('GET', `/workspaces/${ws}/vars/var-doesnotexist`, world.ownerToken)).status, 404);
      assert.equal((await api('PATCH', `/workspaces/${ws}/vars/var-doesnotexist`, world.ownerToken, varBody({ value: 'x' }))).status, 404);
    });

    it('lets the organization token manage variables, and hides them from other organizations and non-owners', async () => {
      const created = await create(tfVar('from_org_token'), ws, world.orgToken);
      assert.equal(created.status, 201, created.text);
      const id = created.body.data.id;
      assert.equal((await api('GET', `/workspaces/${ws}/vars`, world.orgToken)).status, 200);
      assert.equal((await api('PATCH', `/workspaces/${ws}/vars/${id}`, world.orgToken, varBody({ value: 'changed' }))).status, 200);
      for (const token of [otherOrgToken, world.memberToken, world.strangerToken]) {
        assert.equal((await api('GET', `/workspaces/${ws}/vars`, token)).status, 404);
        assert.equal((await api('GET', `/workspaces/${ws}/vars/${id}`, token)).status, 404);
        assert.equal((await create(tfVar('intruder'), ws, token)).status, 404);
        assert.equal((await api('PATCH', `/workspaces/${ws}/vars/${id}`, token, varBody({ value: 'x' }))).status, 404);
        assert.equal((await api('DELETE', `/workspaces/${ws}/vars/${id}`, token)).status, 404);
        assert.equal((await api('GET', `/vars?filter%5Borganization%5D%5Bname%5D=${world.org}&filter%5Bworkspace%5D%5Bname%5D=app`, token)).status, 404);
        assert.equal((await api('PATCH', `/vars/${id}`, token, varBody({ value: 'x' }))).status, 404);
        assert.equal((await api('DELETE', `/vars/${id}`, token)).status, 404);
      }
      assert.equal((await storedRow(id)).value, 'changed');
      assert.equal((await api('DELETE', `/workspaces/${ws}/vars/${id}`, world.orgToken)).status, 204);
    });

    it('answers 401 for a bad or expired token', async () => {
      for (const token of ['not-a-token', world.expiredToken]) {
        assert.equal((await api('GET', `/workspaces/${ws}/vars`, token)).status, 401);
        assert.equal((await create(tfVar('x'), ws, token)).status, 401);
        assert.equal((await api('GET', '/vars', token)).status, 401);
      }
      assert.equal((await server.api('GET', `/api/v2/workspaces/${ws}/vars`)).status, 401);
    });

    it('serves the legacy /vars endpoints with their filters', async () => {
      const org = world.org;
      const filter = (o: string, w: string) => `/vars?filter%5Borganization%5D%5Bname%5D=${o}&filter%5Bworkspace%5D%5Bname%5D=${w}`;

      const withWorkspace = (body: { data: object }, type: string, id: string) => ({
        data: { ...body.data, relationships: { workspace: { data: { type, id } } } },
      });
      const byRel = await api('POST', '/vars', world.ownerToken, withWorkspace(tfVar('legacy_rel', 'r'), 'workspaces', otherWs));
      assert.equal(byRel.status, 201, byRel.text);
      assert.equal(byRel.body.data.links.self, `/api/v2/vars/${byRel.body.data.id}`);
      assert.equal(byRel.body.data.relationships.configurable.data.id, otherWs);

      const byFilter = await api('POST', '/vars', world.ownerToken, {
        ...tfVar('legacy_filter', SECRET, { sensitive: true }),
        filter: { organization: { name: org }, workspace: { name: 'other' } },
      });
      assert.equal(byFilter.status, 201, byFilter.text);
      assert.equal(byFilter.body.data.attributes.value, null);

      const listed = await api('GET', filter(org, 'other'), world.ownerToken);
      assert.equal(listed.status, 200);
      const keys = listed.body.data.map((v: { attributes: { key: string } }) => v.attributes.key);
      assert.ok(keys.includes('legacy_rel') && keys.includes('legacy_filter'));
      assert.ok(listed.body.data.every((v: { relationships: { configurable: { data: { id: string } } } }) => v.relationships.configurable.data.id === otherWs));
      assert.ok(!listed.text.includes(SECRET));

      assert.equal((await api('GET', filter(org, 'nope'), world.ownerToken)).status, 404);
      assert.equal((await api('GET', filter('no-such-org', 'other'), world.ownerToken)).status, 404);
      const half = await api('GET', `/vars?filter%5Borganization%5D%5Bname%5D=${org}`, world.ownerToken);
      assert.equal(half.status, 422);
      assert.equal(half.body.errors[0].source.parameter, 'filter[workspace][name]');

      const noWorkspace = await api('POST', '/vars', world.ownerToken, tfVar('orphan'));
      assert.equal(noWorkspace.status, 422);
      assert.equal(noWorkspace.body.errors[0].source.pointer, '/data/relationships/workspace');
      const wrongRel = await api('POST', '/vars', world.ownerToken, withWorkspace(tfVar('x'), 'projects', otherWs));
      assert.equal(wrongRel.status, 422);
      assert.equal(wrongRel.body.errors[0].source.pointer, '/data/relationships/workspace');
      const unknownWs = await api('POST', '/vars', world.ownerToken, withWorkspace(tfVar('x'), 'workspaces', 'ws-nope'));
      assert.equal(unknownWs.status, 404);

      const id = byRel.body.data.id;
      const patched = await api('PATCH', `/vars/${id}`, world.ownerToken, varBody({ value: 'patched' }));
      assert.equal(patched.status, 200);
      assert.equal(patched.body.data.attributes.value, 'patched');
      assert.equal(patched.body.data.links.self, `/api/v2/vars/${id}`);
      assert.equal((await api('PATCH', '/vars/var-nope', world.ownerToken, varBody({ value: 'x' }))).status, 404);
      assert.equal((await api('DELETE', `/vars/${id}`, world.ownerToken)).status, 204);
      assert.equal((await api('DELETE', `/vars/${id}`, world.ownerToken)).status, 404);
    });

    it('lists, without filters, every variable the caller may read, paginated', async () => {
      // The other organization's workspace gets a variable the owner must not see.
      const theirs = await create(tfVar('theirs'), theirWs, otherOrgToken);
      assert.equal(theirs.status, 201, theirs.text);

      const total =
        (await api('GET', `/workspaces/${ws}/vars`, world.ownerToken)).body.data.length +
        (await api('GET', `/workspaces/${otherWs}/vars`, world.ownerToken)).body.data.length;
      const page1 = await api('GET', '/vars?page%5Bsize%5D=5', world.ownerToken);
      assert.equal(page1.status, 200);
      assert.equal(page1.body.data.length, 5);
      assert.equal(page1.body.meta.pagination['total-count'], total);
      assert.equal(page1.body.meta.pagination['next-page'], 2);
      const ids = new Set<string>();
      for (let n = 1; n <= page1.body.meta.pagination['total-pages']; n++) {
        const page = await api('GET', `/vars?page%5Bsize%5D=5&page%5Bnumber%5D=${n}`, world.ownerToken);
        for (const v of page.body.data) ids.add(v.id);
      }
      assert.equal(ids.size, total);
      assert.ok(!ids.has(theirs.body.data.id));

      const asOrgToken = await api('GET', '/vars?page%5Bsize%5D=100', otherOrgToken);
      assert.deepEqual(
        asOrgToken.body.data.map((v: { id: string }) => v.id),
        [theirs.body.data.id],
      );
      assert.equal((await api('GET', '/vars', world.memberToken)).body.meta.pagination['total-count'], 0);
      // The stranger owns the other organization; a user in none reads nothing.
      assert.deepEqual(
        (await api('GET', '/vars?page%5Bsize%5D=100', world.strangerToken)).body.data.map((v: { id: string }) => v.id),
        [theirs.body.data.id],
      );
      assert.equal((await api('GET', '/vars', (await server.createUser()).token)).body.data.length, 0);
      assert.equal((await api('GET', '/vars?page%5Bsize%5D=101', world.ownerToken)).status, 422);
      const admin = await api('GET', '/vars?page%5Bsize%5D=1', server.adminToken);
      assert.equal(admin.body.meta.pagination['total-count'], total + 1);
    });

    it('writes no variable value to the logs', () => {
      assert.ok(logLines.length > 20);
      const leaked = logLines.filter((line) => line.includes(SECRET) || line.includes(SECRET_2) || line.includes('hijacked'));
      assert.deepEqual(leaked, []);
    });
  },
  { logStream: { write: (line: string) => void logLines.push(line) } },
);
