import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { WorkspaceWorld } from '../workspaces/testing.js';
import { DENY_FORBIDDEN_REGO, policiesHcl, publishPolicySet, uploadPolicySetVersion } from './testing.js';

/** OPA policy sets (issue 18, policy-sets.mdx), through the API as go-tfe and the tfe provider send them. */

const setBody = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => ({
  data: { type: 'policy-sets', attributes: { kind: 'opa', ...attributes }, ...(relationships ? { relationships } : {}) },
});
const linkage = (type: string, ids: string[]) => ({ data: ids.map((id) => ({ type, id })) });

forEachDatabase('policy sets', (server) => {
  const world = new WorkspaceWorld(server);
  before(() => world.setUp());

  it('creates, shows, lists, updates and deletes an OPA set with its workspaces, projects and exclusions', async () => {
    const [ws1, ws2, projectId] = [await world.insertWorkspace(), await world.insertWorkspace(), await world.insertProject()];
    const name = unique('prod');
    const created = await world.api(
      'POST',
      `/organizations/${world.org}/policy-sets`,
      world.ownerToken,
      setBody(
        { name, description: 'Production checks', overridable: true, 'policy-tool-version': '0.61.0' },
        { workspaces: linkage('workspaces', [ws1]), projects: linkage('projects', [projectId]), 'workspace-exclusions': linkage('workspaces', [ws2]) },
      ),
    );
    assert.equal(created.status, 201, created.text);
    const set = created.body.data;
    assert.match(set.id, /^polset-/);
    assert.equal(set.attributes.name, name);
    assert.equal(set.attributes.kind, 'opa');
    assert.equal(set.attributes.overridable, true);
    assert.equal(set.attributes.global, false);
    assert.equal(set.attributes.versioned, true);
    assert.equal(set.attributes['policy-tool-version'], '0.61.0');
    assert.equal(set.attributes['workspace-count'], 1);
    assert.equal(set.attributes['policy-count'], 0);
    assert.deepEqual(set.relationships.workspaces.data, [{ type: 'workspaces', id: ws1 }]);
    assert.deepEqual(set.relationships.projects.data, [{ type: 'projects', id: projectId }]);
    assert.deepEqual(set.relationships['workspace-exclusions'].data, [{ type: 'workspaces', id: ws2 }]);
    assert.equal(set.relationships['current-version'].data, null);

    const listed = await world.api(
      'GET',
      `/organizations/${world.org}/policy-sets?search[name]=${name.slice(0, 8)}&filter[kind]=opa&include=workspaces`,
      world.ownerToken,
    );
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.data.map((s: { id: string }) => s.id),
      [set.id],
    );
    assert.deepEqual(
      listed.body.included.map((r: { id: string }) => r.id),
      [ws1],
    );
    const sentinel = await world.api('GET', `/organizations/${world.org}/policy-sets?filter[kind]=sentinel`, world.ownerToken);
    assert.deepEqual(sentinel.body.data, []);

    const updated = await world.api('PATCH', `/policy-sets/${set.id}`, world.ownerToken, setBody({ global: true, description: null }));
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.data.attributes.global, true);
    assert.equal(updated.body.data.attributes.description, null);
    // A global set applies everywhere: its attachments go, its exclusions stay.
    assert.deepEqual(updated.body.data.relationships.workspaces.data, []);
    assert.deepEqual(updated.body.data.relationships.projects.data, []);
    assert.deepEqual(updated.body.data.relationships['workspace-exclusions'].data, [{ type: 'workspaces', id: ws2 }]);

    assert.equal((await world.api('DELETE', `/policy-sets/${set.id}`, world.ownerToken)).status, 204);
    assertError(await world.api('GET', `/policy-sets/${set.id}`, world.ownerToken), 404);
  });

  it('refuses Sentinel, VCS sources, individual policies, duplicate names and foreign workspaces', async () => {
    const base = `/organizations/${world.org}/policy-sets`;
    assertInvalid(await world.api('POST', base, world.ownerToken, setBody({ name: unique('s'), kind: 'sentinel' })), '/data/attributes/kind', /not available/);
    // Sentinel is the documented default kind.
    assertInvalid(
      await world.api('POST', base, world.ownerToken, { data: { type: 'policy-sets', attributes: { name: unique('s') } } }),
      '/data/attributes/kind',
    );
    assertInvalid(
      await world.api('POST', base, world.ownerToken, setBody({ name: unique('s'), 'vcs-repo': { identifier: 'a/b' } })),
      '/data/attributes/vcs-repo',
    );
    assertInvalid(
      await world.api('POST', base, world.ownerToken, setBody({ name: unique('s') }, { policies: linkage('policies', ['pol-1']) })),
      '/data/relationships/policies',
    );
    assertInvalid(await world.api('POST', base, world.ownerToken, setBody({ name: 'bad name!' })), '/data/attributes/name');
    const foreign = await world.insertWorkspace(world.otherDefaultProjectId, world.otherOrgId);
    assertInvalid(
      await world.api('POST', base, world.ownerToken, setBody({ name: unique('s') }, { workspaces: linkage('workspaces', [foreign]) })),
      '/data/relationships/workspaces',
      /not found/,
    );
    const name = unique('dup');
    assert.equal((await world.api('POST', base, world.ownerToken, setBody({ name }))).status, 201);
    assertInvalid(await world.api('POST', base, world.ownerToken, setBody({ name: name.toUpperCase() })), '/data/attributes/name', /taken/);
    assertError(await world.api('POST', base, world.ownerToken, { data: { type: 'workspaces', attributes: {} } }), 400);
  });

  it('attaches and detaches workspaces, projects and exclusions through the relationship endpoints', async () => {
    const id = await publishPolicySet(server, world.ownerToken, world.org, {
      name: unique('rel'),
      files: { 'policies.hcl': policiesHcl('advisory'), 'forbidden.rego': DENY_FORBIDDEN_REGO },
    });
    const [ws, projectId] = [await world.insertWorkspace(), await world.insertProject()];
    for (const [path, type, target] of [
      ['workspaces', 'workspaces', ws],
      ['projects', 'projects', projectId],
      ['workspace-exclusions', 'workspaces', ws],
    ] as const) {
      assert.equal((await world.api('POST', `/policy-sets/${id}/relationships/${path}`, world.ownerToken, linkage(type, [target]))).status, 204);
    }
    let shown = await world.api('GET', `/policy-sets/${id}?include=current_version`, world.ownerToken);
    assert.deepEqual(shown.body.data.relationships.workspaces.data, [{ type: 'workspaces', id: ws }]);
    assert.deepEqual(shown.body.data.relationships.projects.data, [{ type: 'projects', id: projectId }]);
    assert.deepEqual(shown.body.data.relationships['workspace-exclusions'].data, [{ type: 'workspaces', id: ws }]);
    assert.equal(shown.body.data.attributes['policy-count'], 1);
    assert.equal(shown.body.included[0].type, 'policy-set-versions');
    assert.equal(shown.body.included[0].attributes.status, 'ready');
    for (const [path, type, target] of [
      ['workspaces', 'workspaces', ws],
      ['workspace-exclusions', 'workspaces', ws],
    ] as const) {
      assert.equal((await world.api('DELETE', `/policy-sets/${id}/relationships/${path}`, world.ownerToken, linkage(type, [target]))).status, 204);
    }
    shown = await world.api('GET', `/policy-sets/${id}`, world.ownerToken);
    assert.deepEqual(shown.body.data.relationships.workspaces.data, []);
    assert.deepEqual(shown.body.data.relationships['workspace-exclusions'].data, []);
    assertInvalid(await world.api('POST', `/policy-sets/${id}/relationships/workspaces`, world.ownerToken, linkage('workspaces', ['ws-nope'])), '/data');
    assertError(await world.api('POST', `/policy-sets/${id}/relationships/projects`, world.ownerToken, linkage('workspaces', [ws])), 400);
  });

  it('uploads versions: policies.hcl and Rego make a ready version; bad ones are errored with the reason', async () => {
    const created = await world.api('POST', `/organizations/${world.org}/policy-sets`, world.ownerToken, setBody({ name: unique('ver') }));
    const id = created.body.data.id;
    const good = await uploadPolicySetVersion(server, world.ownerToken, id, {
      'policies.hcl': policiesHcl('mandatory'),
      'rules/forbidden.rego': DENY_FORBIDDEN_REGO,
    });
    assert.equal(good.status, 200, good.text);
    const version = await world.api('GET', `/policy-set-versions/${good.versionId}`, world.ownerToken);
    assert.equal(version.body.data.attributes.status, 'ready');
    assert.equal(version.body.data.attributes.source, 'tfe-api');
    assert.equal(version.body.data.links.upload, undefined);
    for (const [files, reason] of [
      [{ 'forbidden.rego': DENY_FORBIDDEN_REGO }, /no policies.hcl/],
      [{ 'policies.hcl': policiesHcl('mandatory') }, /no \.rego/],
      [{ 'policies.hcl': 'policy "p" { query = "deny" }', 'a.rego': DENY_FORBIDDEN_REGO }, /data\.<package>\.<rule>/],
      [{ 'policies.hcl': 'policy "p" {\n query = "data.a.deny"\n enforcement_level = "hard"\n}', 'a.rego': DENY_FORBIDDEN_REGO }, /advisory or mandatory/],
      [{ 'policies.hcl': policiesHcl('advisory'), 'a.rego': 'package a\n\ndeny contains x if { y := 1 }' }, /unsafe|x/],
      [{ 'policies.hcl': policiesHcl('advisory'), 'a.rego': 'package a\n\ndeny contains {' }, /./],
    ] as const) {
      const bad = await uploadPolicySetVersion(server, world.ownerToken, id, files);
      assert.equal(bad.status, 422, bad.text);
      assert.match(JSON.parse(bad.text).errors[0].detail, reason);
      const errored = await world.api('GET', `/policy-set-versions/${bad.versionId}`, world.ownerToken);
      assert.equal(errored.body.data.attributes.status, 'errored');
      assert.match(errored.body.data.attributes.error, reason);
    }
    // The current version is still the good one; the newest is the last errored one.
    const shown = await world.api('GET', `/policy-sets/${id}`, world.ownerToken);
    assert.equal(shown.body.data.relationships['current-version'].data.id, good.versionId);
    assert.notEqual(shown.body.data.relationships['newest-version'].data.id, good.versionId);
  });

  it('needs Manage Policies: a member gets 404, the organization token manages', async () => {
    const created = await world.api('POST', `/organizations/${world.org}/policy-sets`, world.orgToken, setBody({ name: unique('tok') }));
    assert.equal(created.status, 201, created.text);
    assertError(await world.api('GET', `/policy-sets/${created.body.data.id}`, world.memberToken), 404);
    assertError(await world.api('GET', `/organizations/${world.org}/policy-sets`, world.memberToken), 404);
    assertError(await world.api('GET', `/policy-sets/${created.body.data.id}`, world.strangerToken), 404);
    assertError(await world.api('POST', `/policy-sets/${created.body.data.id}/versions`, world.memberToken), 404);
  });
});
