import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { DENY_FORBIDDEN_REGO, policiesHcl, publishPolicySet } from '../policy-sets/testing.js';
import { WorkspaceWorld } from '../workspaces/testing.js';

/** Individual OPA policies (issue 18, policies.mdx) and the sets that hold them; their evaluation is in test/cli/policies.test.ts. */

const QUERY = 'data.terraform.policies.forbidden.deny';
const policyBody = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>) => ({
  data: { type: 'policies', attributes: { kind: 'opa', ...attributes }, ...(relationships ? { relationships } : {}) },
});
const setsOf = (ids: string[]) => ({ 'policy-sets': { data: ids.map((id) => ({ type: 'policy-sets', id })) } });

forEachDatabase('policies', (server) => {
  const world = new WorkspaceWorld(server);
  let setId = '';
  before(async () => {
    await world.setUp();
    const set = await world.api('POST', `/organizations/${world.org}/policy-sets`, world.ownerToken, {
      data: { type: 'policy-sets', attributes: { name: unique('individual'), kind: 'opa' } },
    });
    setId = set.body.data.id;
  });

  const upload = (id: string, code: string, token = world.ownerToken) =>
    server.api('PUT', `/api/v2/policies/${id}/upload`, { token, body: code, headers: { 'content-type': 'application/octet-stream' } });

  it('creates a policy in a set, uploads and downloads its code, updates, lists and deletes it', async () => {
    const name = unique('no-forbidden');
    const created = await world.api(
      'POST',
      `/organizations/${world.org}/policies`,
      world.ownerToken,
      policyBody({ name, description: 'No forbidden inputs', query: 'terraform.policies.forbidden.deny', 'enforcement-level': 'mandatory' }, setsOf([setId])),
    );
    assert.equal(created.status, 201, created.text);
    const policy = created.body.data;
    assert.match(policy.id, /^pol-/);
    assert.equal(policy.attributes.query, QUERY, 'the docs leave data. out: it is added');
    assert.equal(policy.attributes['enforcement-level'], 'mandatory');
    assert.deepEqual(policy.attributes.enforce, [{ path: `${name}.rego`, mode: 'mandatory' }]);
    assert.equal(policy.attributes['policy-set-count'], 1);
    assert.equal(policy.links.upload, `/api/v2/policies/${policy.id}/upload`);
    assert.equal(policy.links.download, undefined);

    assert.equal((await upload(policy.id, DENY_FORBIDDEN_REGO)).status, 200);
    const downloaded = await world.api('GET', `/policies/${policy.id}/download`, world.ownerToken);
    assert.equal(downloaded.text, DENY_FORBIDDEN_REGO);
    const refused = await upload(policy.id, 'package x\n\ndeny contains y if { z := 1 }');
    assert.equal(refused.status, 422, refused.text);
    assert.match(refused.body.errors[0].detail, /does not compile/);

    const set = await world.api('GET', `/policy-sets/${setId}?include=policies`, world.ownerToken);
    assert.equal(set.body.data.attributes.versioned, false);
    assert.equal(set.body.data.attributes['policy-count'], 1);
    assert.deepEqual(set.body.data.relationships.policies.data, [{ type: 'policies', id: policy.id }]);
    assert.equal(set.body.included[0].id, policy.id);
    // A set with individual policies takes no uploaded version, and a versioned set no individual policy.
    assertInvalid(await world.api('POST', `/policy-sets/${setId}/versions`, world.ownerToken), '/data', /individual policies/);
    const versioned = await publishPolicySet(server, world.ownerToken, world.org, {
      name: unique('versioned'),
      files: { 'policies.hcl': policiesHcl('advisory'), 'main.rego': DENY_FORBIDDEN_REGO },
    });
    assertInvalid(
      await world.api('POST', `/policy-sets/${versioned}/relationships/policies`, world.ownerToken, { data: [{ type: 'policies', id: policy.id }] }),
      '/data',
      /versioned/,
    );

    const updated = await world.api('PATCH', `/policies/${policy.id}`, world.ownerToken, policyBody({ 'enforcement-level': 'advisory', description: null }));
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.body.data.attributes['enforcement-level'], 'advisory');
    assert.equal(updated.body.data.attributes.description, null);
    assertInvalid(await world.api('PATCH', `/policies/${policy.id}`, world.ownerToken, policyBody({ name: 'renamed' })), '/data/attributes/name');

    const listed = await world.api('GET', `/organizations/${world.org}/policies?search[name]=${name}`, world.ownerToken);
    assert.deepEqual(
      listed.body.data.map((p: { id: string }) => p.id),
      [policy.id],
    );
    assert.equal((await world.api('DELETE', `/policies/${policy.id}`, world.ownerToken)).status, 204);
    assertError(await world.api('GET', `/policies/${policy.id}`, world.ownerToken), 404);
    const emptied = await world.api('GET', `/policy-sets/${setId}`, world.ownerToken);
    assert.deepEqual(emptied.body.data.relationships.policies.data, []);
  });

  it('refuses Sentinel, a missing query, a bad level, a duplicate name and a foreign set; needs Manage Policies', async () => {
    const base = `/organizations/${world.org}/policies`;
    assertInvalid(await world.api('POST', base, world.ownerToken, policyBody({ name: unique('s'), kind: 'sentinel', query: QUERY })), '/data/attributes/kind');
    assertInvalid(
      await world.api('POST', base, world.ownerToken, { data: { type: 'policies', attributes: { name: unique('s'), query: QUERY } } }),
      '/data/attributes/kind',
    );
    assertInvalid(await world.api('POST', base, world.ownerToken, policyBody({ name: unique('s') })), '/data/attributes/query');
    assertInvalid(
      await world.api('POST', base, world.ownerToken, policyBody({ name: unique('s'), query: QUERY, 'enforcement-level': 'hard-mandatory' })),
      '/data/attributes/enforcement-level',
    );
    const name = unique('dup');
    assert.equal((await world.api('POST', base, world.ownerToken, policyBody({ name, query: QUERY }))).status, 201);
    assertInvalid(await world.api('POST', base, world.ownerToken, policyBody({ name, query: QUERY })), '/data/attributes/name', /taken/);
    const foreignSet = await world.api('POST', `/organizations/${world.otherOrg}/policy-sets`, world.strangerToken, {
      data: { type: 'policy-sets', attributes: { name: unique('theirs'), kind: 'opa' } },
    });
    const orphan = unique('orphan');
    assertError(await world.api('POST', base, world.ownerToken, policyBody({ name: orphan, query: QUERY }, setsOf([foreignSet.body.data.id]))), 404);
    // All or nothing: the refused policy was not kept.
    const listed = await world.api('GET', `${base}?search[name]=${orphan}`, world.ownerToken);
    assert.deepEqual(listed.body.data, []);
    assertError(await world.api('GET', base, world.memberToken), 404);
    assertError(await world.api('POST', base, world.strangerToken, policyBody({ name: unique('x'), query: QUERY })), 404);
  });
});
