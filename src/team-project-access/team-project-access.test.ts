import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld } from '../teams/testing.js';

const accessBody = (attributes: Record<string, unknown>, projectId?: string, teamId?: string) => ({
  data: {
    type: 'team-projects',
    attributes,
    relationships: {
      ...(projectId ? { project: { data: { type: 'projects', id: projectId } } } : {}),
      ...(teamId ? { team: { data: { type: 'teams', id: teamId } } } : {}),
    },
  },
});

const workspaceAccess = (
  runs: string,
  mocks: string,
  state: string,
  variables: string,
  create: boolean,
  locking: boolean,
  del: boolean,
  move: boolean,
  runTasks: boolean,
) => ({
  create,
  move,
  locking,
  delete: del,
  runs,
  variables,
  'state-versions': state,
  'sentinel-mocks': mocks,
  'run-tasks': runTasks,
});

/** project-team-access.mdx "Implied Custom Permission Levels", column by column. */
const IMPLIED = {
  read: {
    'project-access': { settings: 'read', teams: 'none', 'variable-sets': 'none' },
    'workspace-access': workspaceAccess('read', 'none', 'read', 'read', false, false, false, false, false),
  },
  write: {
    'project-access': { settings: 'read', teams: 'none', 'variable-sets': 'none' },
    'workspace-access': workspaceAccess('apply', 'read', 'write', 'write', false, true, false, false, false),
  },
  maintain: {
    'project-access': { settings: 'read', teams: 'none', 'variable-sets': 'none' },
    'workspace-access': workspaceAccess('apply', 'read', 'write', 'write', true, true, true, false, true),
  },
  admin: {
    'project-access': { settings: 'delete', teams: 'manage', 'variable-sets': 'manage' },
    'workspace-access': workspaceAccess('apply', 'read', 'write', 'write', true, true, true, true, true),
  },
  custom: {
    'project-access': { settings: 'read', teams: 'none', 'variable-sets': 'none' },
    'workspace-access': workspaceAccess('read', 'none', 'none', 'none', false, false, false, false, false),
  },
};

forEachDatabase('team project access', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  it('adds each level with its implied permissions, and shows, lists, updates and removes it', async () => {
    const project = await w.createProject();
    for (const [access, implied] of Object.entries(IMPLIED)) {
      const team = await w.createTeam({ visibility: 'organization' });
      const res = await w.api('POST', '/team-projects', w.ownerToken, accessBody({ access }, project, team.id));
      assertStatus(res, 200);
      assert.match(res.body.data.id, /^tprj-/);
      assert.deepEqual(res.body.data.attributes, { access, ...implied }, access);
      assert.deepEqual(res.body.data.relationships.project, { data: { id: project, type: 'projects' }, links: { related: `/api/v2/projects/${project}` } });
      assert.equal(res.body.data.links.self, `/api/v2/team-projects/${res.body.data.id}`);
    }
    const list = await w.api('GET', `/team-projects?filter%5Bproject%5D%5Bid%5D=${project}`, w.ownerToken);
    assertStatus(list, 200);
    assert.equal(list.body.meta.pagination['total-count'], 5);
    const custom = list.body.data.find((d: any) => d.attributes.access === 'custom');
    const path = `/team-projects/${custom.id}`;
    const patched = await w.api(
      'PATCH',
      path,
      w.ownerToken,
      accessBody({ 'project-access': { settings: 'update' }, 'workspace-access': { runs: 'plan', locking: true } }),
    );
    assertStatus(patched, 200);
    assert.equal(patched.body.data.attributes['project-access'].settings, 'update');
    assert.equal(patched.body.data.attributes['workspace-access'].runs, 'plan');
    assert.equal(patched.body.data.attributes['workspace-access'].locking, true);
    assert.equal(patched.body.data.attributes['workspace-access'].variables, 'none', 'the others stay');
    assert.deepEqual((await w.api('GET', path, w.ownerToken)).body.data, patched.body.data);
    const invalid = await w.api('PATCH', path, w.ownerToken, accessBody({ access: 'read', 'workspace-access': { runs: 'apply' } }));
    assertStatus(invalid, 422);
    assert.equal(invalid.body.errors[0].source.pointer, '/data/attributes/workspace-access/runs');
    assert.equal(invalid.body.errors[0].detail, "Runs is read-only when access level is 'read'; use the 'custom' access level to set this attribute.");
    assertStatus(await w.api('PATCH', path, w.ownerToken, accessBody({ access: 'owner' })), 422);
    assertStatus(await w.api('DELETE', path, w.ownerToken), 204);
    assertStatus(await w.api('GET', path, w.ownerToken), 404);
    assertStatus(await w.api('GET', '/team-projects', w.ownerToken), 422);
    const dup = list.body.data.find((d: any) => d.attributes.access === 'read');
    const duplicate = await w.api('POST', '/team-projects', w.ownerToken, accessBody({ access: 'read' }, project, dup.relationships.team.data.id));
    assertStatus(duplicate, 422);
    assert.equal(duplicate.body.errors[0].detail, 'Team has already been taken');
  });

  it('reaches the project and its workspaces at the level granted, and nothing elsewhere', async () => {
    const project = await w.createProject();
    const other = await w.createProject();
    const inside = await w.createWorkspace(project);
    const outside = await w.createWorkspace(other);
    const member = async (access: string) => {
      const team = await w.createTeam();
      await w.grantProject(team.id, project, { access });
      return w.member([team.id]);
    };
    const reader = await member('read');
    assertStatus(await w.api('GET', `/projects/${project}`, reader.token), 200);
    assertStatus(await w.api('GET', `/projects/${other}`, reader.token), 404);
    assertStatus(await w.api('GET', `/workspaces/${inside.id}`, reader.token), 200);
    assertStatus(await w.api('GET', `/workspaces/${outside.id}`, reader.token), 404);
    const projects = await w.api('GET', `/organizations/${w.org}/projects`, reader.token);
    assert.deepEqual(
      projects.body.data.map((p: any) => p.id),
      [project],
    );
    const workspaces = await w.api('GET', `/organizations/${w.org}/workspaces`, reader.token);
    assert.deepEqual(
      workspaces.body.data.map((d: any) => d.id),
      [inside.id],
    );
    assertStatus(await w.api('POST', `/workspaces/${inside.id}/actions/lock`, reader.token), 404);
    assertStatus(await w.api('PATCH', `/projects/${project}`, reader.token, { data: { type: 'projects', attributes: { description: 'x' } } }), 404);

    const writer = await member('write');
    assertStatus(await w.api('POST', `/workspaces/${inside.id}/actions/lock`, writer.token), 200);
    assertStatus(await w.api('POST', `/workspaces/${inside.id}/actions/unlock`, writer.token), 200);
    assertStatus(await w.api('PATCH', `/workspaces/${inside.id}`, writer.token, { data: { type: 'workspaces', attributes: { description: 'x' } } }), 404);

    const maintainer = await member('maintain');
    const created = await w.api('POST', `/organizations/${w.org}/workspaces`, maintainer.token, {
      data: { type: 'workspaces', attributes: { name: `m-${Date.now()}` }, relationships: { project: { data: { type: 'projects', id: project } } } },
    });
    assertStatus(created, 201);
    assert.equal(created.body.data.attributes.permissions['can-update'], true, 'maintain is admin of the project workspaces');
    assertStatus(
      await w.api('POST', `/organizations/${w.org}/workspaces`, maintainer.token, { data: { type: 'workspaces', attributes: { name: `n-${Date.now()}` } } }),
      404,
      'not in the default project',
    );
    const filtered = await w.api('GET', `/organizations/${w.org}/projects?filter%5Bpermissions%5D%5Bcreate-workspace%5D=true`, maintainer.token);
    assert.deepEqual(
      filtered.body.data.map((p: any) => p.id),
      [project],
    );
    assertStatus(await w.api('PATCH', `/projects/${project}`, maintainer.token, { data: { type: 'projects', attributes: { description: 'x' } } }), 404);
    // Moving needs move permission on both projects.
    const move = { data: { type: 'workspaces', relationships: { project: { data: { type: 'projects', id: other } } } } };
    assertStatus(await w.api('PATCH', `/workspaces/${created.body.data.id}`, maintainer.token, move), 404);

    const admin = await member('admin');
    const shown = await w.api('GET', `/projects/${project}`, admin.token);
    assert.equal(shown.body.data.attributes.permissions['can-update'], true);
    assert.equal(shown.body.data.attributes.permissions['can-manage-teams'], true);
    assertStatus(await w.api('PATCH', `/projects/${project}`, admin.token, { data: { type: 'projects', attributes: { description: 'by admin' } } }), 200);
    const guests = await w.createTeam({ visibility: 'organization' });
    assertStatus(await w.api('POST', '/team-projects', admin.token, accessBody({ access: 'read' }, project, guests.id)), 200);
    assertStatus(await w.api('POST', '/team-projects', maintainer.token, accessBody({ access: 'read' }, project, guests.id)), 404);
    assertStatus(await w.api('PATCH', `/workspaces/${created.body.data.id}`, admin.token, move), 404, 'no move permission on the destination');
    await w.grantProject((await w.createTeam()).id, other, { access: 'admin' });
    const stranger = await w.api('GET', `/team-projects?filter%5Bproject%5D%5Bid%5D=${project}`, w.strangerToken);
    assertStatus(stranger, 404);
  });

  it('takes the tfe provider’s `write` for project variable sets, shows it back, and lets it manage them', async () => {
    const project = await w.createProject();
    const member = async (variableSets: string) => {
      const team = await w.createTeam();
      await w.grantProject(team.id, project, { access: 'custom', 'project-access': { 'variable-sets': variableSets } });
      return { team, user: await w.member([team.id]) };
    };
    const varset = (name: string) => ({
      data: { type: 'varsets', attributes: { name }, relationships: { parent: { data: { type: 'projects', id: project } } } },
    });
    const writer = await member('write');
    const access = await w.api('GET', `/team-projects?filter%5Bproject%5D%5Bid%5D=${project}`, w.ownerToken);
    const granted = access.body.data.find((d: any) => d.relationships.team.data.id === writer.team.id);
    assert.equal(granted.attributes['project-access']['variable-sets'], 'write');
    const created = await w.api('POST', `/organizations/${w.org}/varsets`, writer.user.token, varset(`by-writer-${Date.now()}`));
    assertStatus(created, 201);
    const reader = await member('read');
    assertStatus(await w.api('GET', `/varsets/${created.body.data.id}`, reader.user.token), 200);
    assertStatus(await w.api('POST', `/organizations/${w.org}/varsets`, reader.user.token, varset(`by-reader-${Date.now()}`)), 404);
  });

  it("shows a project's team access to its readers only for their own teams unless they may read teams", async () => {
    const project = await w.createProject();
    const readers = await w.createTeam({ visibility: 'organization' });
    const others = await w.createTeam({ visibility: 'organization' });
    await w.grantProject(readers.id, project, { access: 'read' });
    const othersAccess = await w.grantProject(others.id, project, { access: 'write' });
    const reader = await w.member([readers.id]);
    const seen = await w.api('GET', `/team-projects?filter%5Bproject%5D%5Bid%5D=${project}`, reader.token);
    assertStatus(seen, 200);
    assert.deepEqual(
      seen.body.data.map((d: any) => d.relationships.team.data.id),
      [readers.id],
    );
    assertStatus(await w.api('GET', `/team-projects/${othersAccess}`, reader.token), 404);
    const all = await w.api('GET', `/team-projects?filter%5Bproject%5D%5Bid%5D=${project}`, w.orgToken);
    assert.equal(all.body.data.length, 2);
  });
});
