import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld } from '../teams/testing.js';

const accessBody = (attributes: Record<string, unknown>, workspaceId?: string, teamId?: string) => ({
  data: {
    type: 'team-workspaces',
    attributes,
    relationships: {
      ...(workspaceId ? { workspace: { data: { type: 'workspaces', id: workspaceId } } } : {}),
      ...(teamId ? { team: { data: { type: 'teams', id: teamId } } } : {}),
    },
  },
});

/** The implied permissions of team-access.mdx and permissions.mdx "Fixed Permission Sets". */
const IMPLIED = {
  read: { runs: 'read', variables: 'read', 'state-versions': 'read', 'sentinel-mocks': 'none', 'workspace-locking': false, 'run-tasks': false },
  plan: { runs: 'plan', variables: 'read', 'state-versions': 'read', 'sentinel-mocks': 'none', 'workspace-locking': false, 'run-tasks': false },
  write: { runs: 'apply', variables: 'write', 'state-versions': 'write', 'sentinel-mocks': 'read', 'workspace-locking': true, 'run-tasks': false },
  admin: { runs: 'apply', variables: 'write', 'state-versions': 'write', 'sentinel-mocks': 'read', 'workspace-locking': true, 'run-tasks': true },
};

const PERMISSION_KEYS = [
  'can-update',
  'can-queue-run',
  'can-queue-apply',
  'can-read-variable',
  'can-update-variable',
  'can-read-state-versions',
  'can-read-state-outputs',
  'can-lock',
];

forEachDatabase('team workspace access', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  it('adds each fixed level with its implied permissions, and shows, lists and removes it', async () => {
    const ws = await w.createWorkspace();
    for (const [access, implied] of Object.entries(IMPLIED)) {
      const team = await w.createTeam({ visibility: 'organization' });
      const res = await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access }, ws.id, team.id));
      assertStatus(res, 200);
      assert.match(res.body.data.id, /^tws-/);
      assert.deepEqual(res.body.data.attributes, { access, ...implied });
      assert.deepEqual(res.body.data.relationships.team, { data: { id: team.id, type: 'teams' }, links: { related: `/api/v2/teams/${team.id}` } });
      assert.deepEqual(res.body.data.relationships.workspace.data, { id: ws.id, type: 'workspaces' });
      assert.equal(res.body.data.relationships.workspace.links.related, `/api/v2/organizations/${w.org}/workspaces/${ws.name}`);
      assert.equal(res.body.data.links.self, `/api/v2/team-workspaces/${res.body.data.id}`);
      assert.deepEqual((await w.api('GET', `/team-workspaces/${res.body.data.id}`, w.ownerToken)).body.data, res.body.data);
    }
    const list = await w.api('GET', `/team-workspaces?filter%5Bworkspace%5D%5Bid%5D=${ws.id}`, w.ownerToken);
    assertStatus(list, 200);
    assert.equal(list.body.data.length, 4, 'all results without pagination parameters');
    const paged = await w.api('GET', `/team-workspaces?filter%5Bworkspace%5D%5Bid%5D=${ws.id}&page%5Bsize%5D=3`, w.ownerToken);
    assert.equal(paged.body.data.length, 3);
    assert.equal(paged.body.meta.pagination['total-count'], 4);
    const id = list.body.data[0].id;
    assertStatus(await w.api('DELETE', `/team-workspaces/${id}`, w.ownerToken), 204);
    assertStatus(await w.api('GET', `/team-workspaces/${id}`, w.ownerToken), 404);
    assertStatus(await w.api('DELETE', `/team-workspaces/${id}`, w.ownerToken), 404);
  });

  it('takes fine-grained permissions only with custom access, and keeps the others on update', async () => {
    const ws = await w.createWorkspace();
    const team = await w.createTeam({ visibility: 'organization' });
    const custom = await w.api(
      'POST',
      '/team-workspaces',
      w.ownerToken,
      accessBody({ access: 'custom', runs: 'apply', 'state-versions': 'read-outputs' }, ws.id, team.id),
    );
    assertStatus(custom, 200);
    assert.deepEqual(custom.body.data.attributes, {
      access: 'custom',
      runs: 'apply',
      variables: 'none',
      'state-versions': 'read-outputs',
      'sentinel-mocks': 'none',
      'workspace-locking': false,
      'run-tasks': false,
    });
    const path = `/team-workspaces/${custom.body.data.id}`;
    const patched = await w.api('PATCH', path, w.ownerToken, accessBody({ 'workspace-locking': true }));
    assert.deepEqual(patched.body.data.attributes, { ...custom.body.data.attributes, 'workspace-locking': true });
    const write = await w.api('PATCH', path, w.ownerToken, accessBody({ access: 'write' }));
    assert.deepEqual(write.body.data.attributes, { access: 'write', ...IMPLIED.write });
    // From a fixed level, custom starts from what the level implied (team-access.mdx "Update" sample).
    const back = await w.api('PATCH', path, w.ownerToken, accessBody({ access: 'custom', 'state-versions': 'none' }));
    assert.deepEqual(back.body.data.attributes, { ...IMPLIED.write, access: 'custom', 'state-versions': 'none' });

    const other = await w.createTeam({ visibility: 'organization' });
    const cases: [Record<string, unknown>, string][] = [
      [{ access: 'read', runs: 'apply' }, '/data/attributes/runs'],
      [{ access: 'owner' }, '/data/attributes/access'],
      [{ access: 'custom', variables: 'all' }, '/data/attributes/variables'],
      [{}, '/data/attributes/access'],
    ];
    for (const [attributes, pointer] of cases) {
      const res = await w.api('POST', '/team-workspaces', w.ownerToken, accessBody(attributes, ws.id, other.id));
      assertStatus(res, 422, JSON.stringify(attributes));
      assert.equal(res.body.errors[0].source.pointer, pointer);
    }
    // go-tfe TestTeamAccessesAdd "with invalid custom options" compares the whole error: "<title>\n\n<detail>".
    const readOnly = await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'read', runs: 'apply' }, ws.id, other.id));
    assert.equal(
      `${readOnly.body.errors[0].title}\n\n${readOnly.body.errors[0].detail}`,
      "invalid attribute\n\nRuns is read-only when access level is 'read'; use the 'custom' access level to set this attribute.",
    );
    // Restating what a fixed level implies is accepted.
    assertStatus(await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'read', runs: 'read' }, ws.id, other.id)), 200);
    const duplicate = await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'plan' }, ws.id, other.id));
    assertStatus(duplicate, 422);
    assert.equal(duplicate.body.errors[0].source.pointer, '/data/relationships/team');
    // As the tfe provider shows HCP Terraform's answer: "invalid attribute Team has already been taken".
    assert.equal(duplicate.body.errors[0].detail, 'Team has already been taken');
    assertStatus(await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'read' }, ws.id)), 422);
    assertStatus(await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'read' }, 'ws-unknown', other.id)), 404);
    assertStatus(await w.api('POST', '/team-workspaces', w.ownerToken, accessBody({ access: 'read' }, ws.id, 'team-unknown')), 404);
    assertStatus(await w.api('GET', '/team-workspaces', w.ownerToken), 422);
  });

  it('gives a team exactly the permissions of its level on that workspace, and nothing on others', async () => {
    const ws = await w.createWorkspace();
    const elsewhere = await w.createWorkspace();
    const expected: Record<string, boolean[]> = {
      read: [false, false, false, true, false, true, true, false],
      plan: [false, true, false, true, false, true, true, false],
      write: [false, true, true, true, true, true, true, true],
      admin: [true, true, true, true, true, true, true, true],
    };
    for (const [access, permissions] of Object.entries(expected)) {
      const team = await w.createTeam();
      await w.grantWorkspace(team.id, ws.id, { access });
      const member = await w.member([team.id]);
      for (const token of [member.token, await w.teamToken(team.id)]) {
        const shown = await w.api('GET', `/workspaces/${ws.id}`, token);
        assertStatus(shown, 200, access);
        assert.deepEqual(
          PERMISSION_KEYS.map((k) => shown.body.data.attributes.permissions[k]),
          permissions,
          access,
        );
        assertStatus(await w.api('GET', `/workspaces/${elsewhere.id}`, token), 404);
        const list = await w.api('GET', `/organizations/${w.org}/workspaces`, token);
        assert.deepEqual(
          list.body.data.map((d: any) => d.id),
          [ws.id],
          `${access}: the list holds only what the team reaches`,
        );
        assert.equal(list.body.meta.pagination['total-count'], 1);
      }
      const lock = await w.api('POST', `/workspaces/${ws.id}/actions/lock`, member.token, { reason: 'x' });
      assertStatus(lock, permissions[7] ? 200 : 404, access);
      if (permissions[7]) assertStatus(await w.api('POST', `/workspaces/${ws.id}/actions/unlock`, member.token), 200);
      const vars = await w.api('GET', `/workspaces/${ws.id}/vars`, member.token);
      assertStatus(vars, 200);
    }
  });

  it("lets workspace admins manage other teams' access; readers see only the teams they see", async () => {
    const ws = await w.createWorkspace();
    const admins = await w.createTeam({ visibility: 'organization' });
    const readers = await w.createTeam();
    const secret = await w.createTeam();
    await w.grantWorkspace(admins.id, ws.id, { access: 'admin' });
    await w.grantWorkspace(readers.id, ws.id, { access: 'read' });
    const secretAccess = await w.grantWorkspace(secret.id, ws.id, { access: 'write' });
    const admin = await w.member([admins.id]);
    const reader = await w.member([readers.id]);
    const guests = await w.createTeam({ visibility: 'organization' });
    const granted = await w.api('POST', '/team-workspaces', admin.token, accessBody({ access: 'plan' }, ws.id, guests.id));
    assertStatus(granted, 200);
    assertStatus(await w.api('PATCH', `/team-workspaces/${granted.body.data.id}`, admin.token, accessBody({ access: 'read' })), 200);
    assertStatus(await w.api('PATCH', `/team-workspaces/${granted.body.data.id}`, reader.token, accessBody({ access: 'admin' })), 404);
    assertStatus(await w.api('DELETE', `/team-workspaces/${granted.body.data.id}`, reader.token), 404);
    assertStatus(await w.api('POST', '/team-workspaces', reader.token, accessBody({ access: 'admin' }, ws.id, readers.id)), 404);
    const seen = await w.api('GET', `/team-workspaces?filter%5Bworkspace%5D%5Bid%5D=${ws.id}`, reader.token);
    assertStatus(seen, 200);
    const teams = seen.body.data.map((d: any) => d.relationships.team.data.id);
    assert.ok(teams.includes(readers.id) && teams.includes(admins.id));
    assert.ok(!teams.includes(secret.id), 'a secret team of others stays hidden');
    assertStatus(await w.api('GET', `/team-workspaces/${secretAccess}`, reader.token), 404);
    const outsider = await w.member();
    assertStatus(await w.api('GET', `/team-workspaces?filter%5Bworkspace%5D%5Bid%5D=${ws.id}`, outsider.token), 404);
    assertStatus(await w.api('GET', `/team-workspaces/${secretAccess}`, w.strangerToken), 404);
    const byTeam = await w.api('GET', `/team-workspaces?filter%5Bteam%5D%5Bid%5D=${readers.id}`, reader.token);
    assert.deepEqual(
      byTeam.body.data.map((d: any) => d.relationships.workspace.data.id),
      [ws.id],
    );
    // The organization token acts as an owner here.
    assertStatus(await w.api('DELETE', `/team-workspaces/${granted.body.data.id}`, w.orgToken), 204);
  });

  it('lists across workspaces only the variables a team may read (legacy GET /vars)', async () => {
    const readable = await w.createWorkspace();
    const hidden = await w.createWorkspace();
    const stateOnly = await w.createWorkspace();
    for (const ws of [readable, hidden, stateOnly]) {
      const res = await w.api('POST', `/workspaces/${ws.id}/vars`, w.ownerToken, {
        data: { type: 'vars', attributes: { key: 'region', value: 'eu', category: 'env' } },
      });
      assertStatus(res, 201);
    }
    const team = await w.createTeam();
    await w.grantWorkspace(team.id, readable.id, { access: 'plan' });
    await w.grantWorkspace(team.id, stateOnly.id, { access: 'custom', 'state-versions': 'read' });
    const member = await w.member([team.id]);
    const res = await w.api('GET', '/vars', member.token);
    assertStatus(res, 200);
    assert.deepEqual(
      res.body.data.map((v: any) => v.relationships.configurable.data.id),
      [readable.id],
    );
    assert.equal(res.body.meta.pagination['total-count'], 1);
  });
});
