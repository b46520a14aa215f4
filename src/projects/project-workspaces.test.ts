import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { assertStatus, TeamWorld } from '../teams/testing.js';

const linkage = (...ids: string[]) => ({ data: ids.map((id) => ({ type: 'workspaces', id })) });

forEachDatabase('move workspaces into a project', (server) => {
  const w = new TeamWorld(server);
  before(() => w.setUp());

  const move = (projectId: string, token: string, body: unknown) => w.api('POST', `/projects/${projectId}/relationships/workspaces`, token, body);

  async function projectOf(workspaceId: string): Promise<string> {
    const res = await w.api('GET', `/workspaces/${workspaceId}`, w.ownerToken);
    assertStatus(res, 200);
    return res.body.data.relationships.project.data.id;
  }

  /** A user whose team has `access` on each project. */
  async function memberWith(access: Record<string, string>) {
    const team = await w.createTeam();
    for (const [projectId, level] of Object.entries(access)) await w.grantProject(team.id, projectId, { access: level });
    return (await w.member([team.id])).token;
  }

  it('moves workspaces from several projects into the destination with 204 and no body', async () => {
    const [source, destination] = [await w.createProject(), await w.createProject()];
    const [first, second] = [await w.createWorkspace(source), await w.createWorkspace()];
    const res = await move(destination, w.ownerToken, linkage(first.id, second.id, first.id));
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal(await projectOf(first.id), destination);
    assert.equal(await projectOf(second.id), destination);
    const listed = await w.api('GET', `/projects/${destination}`, w.ownerToken);
    assert.equal(listed.body.data.attributes['workspace-count'], 2);
    // Moving into the project a workspace is already in is a no-op.
    assertStatus(await move(destination, w.orgToken, linkage(first.id)), 204);
  });

  it('needs move permission on the destination (404) and on every source (403 naming them, nothing moved)', async () => {
    const [source, destination, elsewhere] = [await w.createProject(), await w.createProject(), await w.createProject()];
    const [movable, stuck] = [await w.createWorkspace(source), await w.createWorkspace(elsewhere)];
    const admin = await memberWith({ [source]: 'admin', [destination]: 'admin', [elsewhere]: 'maintain' });
    const res = await move(destination, admin, linkage(movable.id, stuck.id));
    assertError(res, 403, new RegExp(`not authorized to move them: ${stuck.id}$`));
    assert.equal(res.body.errors[0].title, 'forbidden');
    assert.equal(await projectOf(movable.id), source, 'all or none');

    assertStatus(await move(destination, admin, linkage(movable.id)), 204);
    assert.equal(await projectOf(movable.id), destination);

    // Admin on the source only: the destination is hidden.
    const sourceAdmin = await memberWith({ [source]: 'admin', [destination]: 'maintain' });
    const back = await w.createWorkspace(source);
    assertError(await move(destination, sourceAdmin, linkage(back.id)), 404);
    assertError(await move(destination, w.strangerToken, linkage(back.id)), 404);
    assertError(await move('prj-doesnotexist1234', w.ownerToken, linkage(back.id)), 404);
    assertError(await w.api('POST', `/projects/${destination}/relationships/workspaces`, 'not-a-token', linkage(back.id)), 401);
    assert.equal(await projectOf(back.id), source);
  });

  it('answers 403 for unknown workspaces and those of another organization', async () => {
    const destination = await w.createProject();
    const strangers = await w.api('POST', `/organizations/${w.otherOrg}/workspaces`, w.strangerToken, {
      data: { type: 'workspaces', attributes: { name: 'theirs' } },
    });
    assertStatus(strangers, 201);
    const res = await move(destination, w.ownerToken, linkage(strangers.body.data.id, 'ws-doesnotexist1234'));
    assertError(res, 403, new RegExp(`${strangers.body.data.id}, ws-doesnotexist1234$`));
  });

  it('refuses malformed documents with 400 and an empty list with 422', async () => {
    const destination = await w.createProject();
    const workspace = await w.createWorkspace();
    assertError(await move(destination, w.ownerToken, { data: { type: 'workspaces', id: workspace.id } }), 400);
    assertError(await move(destination, w.ownerToken, { data: [{ type: 'projects', id: workspace.id }] }), 400);
    assertInvalid(await move(destination, w.ownerToken, { data: [{ type: 'workspaces' }] }), '/data/0/id');
    assertInvalid(await move(destination, w.ownerToken, { data: [] }), '/data');
  });
});
