import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assertError, assertInvalid, assertInvalidParameter, onePage, TIMESTAMP, unique } from '../../test/fixtures.js';
import { forEachDatabase } from '../../test/harness.js';
import { newId, type WorkspaceId } from '../ids.js';
import { ProjectWorld } from '../projects/testing.js';

const linkage = (type: string, ids: string[]) => ({ data: ids.map((id) => ({ type, id })) });

forEachDatabase('organization tags', (server) => {
  const w = new ProjectWorld(server);
  const db = () => server.database.db;
  let ws1: WorkspaceId;
  let ws2: WorkspaceId;
  let theirWs: WorkspaceId;

  before(async () => {
    await w.setUp();
    ws1 = await w.insertWorkspace();
    ws2 = await w.insertWorkspace();
    theirWs = await w.insertWorkspace(w.otherDefaultProjectId, w.otherOrgId);
  });

  // Flat tags are created through the workspace API, written in parallel: insert the rows it would.
  async function insertTag(name: string, workspaceIds: WorkspaceId[] = [], organizationId = w.orgId): Promise<string> {
    const id = newId('tag');
    await db().insertInto('tags').values({ id, organization_id: organizationId, name }).execute();
    for (const workspaceId of workspaceIds) await db().insertInto('workspace_tags').values({ workspace_id: workspaceId, tag_id: id }).execute();
    return id;
  }

  async function tagsOf(workspaceId: WorkspaceId): Promise<string[]> {
    const rows = await db().selectFrom('workspace_tags').select('tag_id').where('workspace_id', '=', workspaceId).execute();
    return rows.map((r) => r.tag_id).sort();
  }

  async function listNames(query: string, token = w.ownerToken, org = w.org): Promise<string[]> {
    const res = await w.api('GET', `/organizations/${org}/tags?${query}`, token);
    assert.equal(res.status, 200, res.text);
    return res.body.data.map((t: any) => t.attributes.name);
  }

  it('lists the organization tags with their workspace counts', async () => {
    const stem = unique('list');
    const both = await insertTag(`${stem}-both`, [ws1, ws2]);
    await insertTag(`${stem}-one`, [ws1]);
    await insertTag(`${stem}-none`);
    await insertTag(`${stem}-theirs`, [theirWs], w.otherOrgId);

    const res = await w.api('GET', `/organizations/${w.org}/tags?q=${stem}`, w.ownerToken);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), 'application/vnd.api+json');
    assert.deepEqual(
      res.body.data.map((t: any) => [t.attributes.name, t.attributes['instance-count']]),
      [
        [`${stem}-both`, 2],
        [`${stem}-none`, 0],
        [`${stem}-one`, 1],
      ],
    );
    const first = res.body.data[0];
    assert.equal(first.id, both);
    assert.equal(first.type, 'tags');
    assert.match(first.attributes['created-at'], TIMESTAMP);
    assert.deepEqual(first.relationships, { organization: { data: { id: w.org, type: 'organizations' } } });
    assert.deepEqual(res.body.meta.pagination, onePage(3));
    assert.deepEqual(await listNames(`q=${stem}`, w.strangerToken, w.otherOrg), [`${stem}-theirs`]);
  });

  it('searches by name likeness, excludes the tags of a workspace and pages', async () => {
    const stem = unique('srch');
    await insertTag(`${stem}-on-ws2`, [ws2]);
    await insertTag(`${stem}-free`);
    await insertTag(`${stem}_under`);
    assert.deepEqual(await listNames(`q=${stem.toUpperCase()}-`), [`${stem}-free`, `${stem}-on-ws2`]);
    assert.deepEqual(await listNames(`q=${stem}_`), [`${stem}_under`], 'LIKE wildcards match themselves');
    assert.deepEqual(await listNames(`q=${stem}&filter%5Bexclude%5D%5Btaggable%5D%5Bid%5D=${ws2}`), [`${stem}-free`, `${stem}_under`]);
    assert.deepEqual(await listNames(`q=${stem}&filter%5Bexclude%5D%5Btaggable%5D%5Bid%5D=ws-unknown`), [`${stem}-free`, `${stem}-on-ws2`, `${stem}_under`]);

    const page = await w.api('GET', `/organizations/${w.org}/tags?q=${stem}&page%5Bsize%5D=2&page%5Bnumber%5D=2`, w.orgToken);
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.body.data.map((t: any) => t.attributes.name),
      [`${stem}_under`],
    );
    assert.deepEqual(page.body.meta.pagination, { 'current-page': 2, 'page-size': 2, 'prev-page': 1, 'next-page': null, 'total-pages': 2, 'total-count': 3 });
    assertInvalidParameter(await w.api('GET', `/organizations/${w.org}/tags?page%5Bsize%5D=101`, w.ownerToken), 'page[size]');
    assertInvalidParameter(await w.api('GET', `/organizations/${w.org}/tags?page%5Bnumber%5D=0`, w.ownerToken), 'page[number]');
  });

  it('adds workspaces to a tag, once each', async () => {
    const name = unique('add');
    const tag = await insertTag(name, [ws1]);
    const res = await w.api('POST', `/tags/${tag}/relationships/workspaces`, w.ownerToken, linkage('workspaces', [ws1, ws2, ws2]));
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.ok((await tagsOf(ws1)).includes(tag));
    assert.ok((await tagsOf(ws2)).includes(tag));
    const byToken = await w.api('POST', `/tags/${tag}/relationships/workspaces`, w.orgToken, linkage('workspaces', [ws2]));
    assert.equal(byToken.status, 204, byToken.text);
    const listed = await w.api('GET', `/organizations/${w.org}/tags?q=${name}`, w.ownerToken);
    assert.deepEqual(
      listed.body.data.map((t: any) => [t.id, t.attributes['instance-count']]),
      [[tag, 2]],
    );
  });

  it('refuses bad requests to add workspaces to a tag and attaches nothing', async () => {
    const tag = await insertTag(unique('bad-add'));
    const theirTag = await insertTag(unique('their-tag'), [], w.otherOrgId);
    const post = (body: unknown, token = w.ownerToken, id = tag) => w.api('POST', `/tags/${id}/relationships/workspaces`, token, body);
    assertInvalid(await post(linkage('workspaces', [ws1, theirWs])), '/data/1/id', /not found/);
    assertInvalid(await post(linkage('workspaces', ['ws-unknown'])), '/data/0/id');
    assertInvalid(await post({ data: [{ type: 'workspaces' }] }), '/data/0/id');
    assertInvalid(await post(linkage('workspaces', [])), '/data');
    assertError(await post(linkage('tags', [ws1])), 400);
    assertError(await post({ data: { type: 'workspaces', id: ws1 } }), 400);
    assertError(await post('{"data": ['), 400);
    assertError(await post(undefined), 400);
    assertError(await post(linkage('workspaces', [ws1]), w.ownerToken, 'tag-unknown'), 404);
    assertError(await post(linkage('workspaces', [ws1]), w.ownerToken, theirTag), 404);
    assertError(await post(linkage('workspaces', [ws1]), w.memberToken), 404);
    assertError(await post(linkage('workspaces', [theirWs]), w.strangerToken), 404);
    assertError(await post(linkage('workspaces', [ws1]), 'not-a-token'), 401);
    assertError(await post(linkage('workspaces', [ws1]), w.expiredToken), 401);
    assert.ok(!(await tagsOf(ws1)).includes(tag), 'nothing was attached');
    assert.ok(!(await tagsOf(theirWs)).includes(tag), 'nothing was attached');
  });

  it('deletes tags from the organization and from every workspace', async () => {
    const doomed = await insertTag(unique('doomed'), [ws1, ws2]);
    const alsoDoomed = await insertTag(unique('doomed'));
    const kept = await insertTag(unique('kept'), [ws1]);
    const res = await w.api('DELETE', `/organizations/${w.org}/tags`, w.ownerToken, linkage('tags', [doomed, alsoDoomed]));
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal(await db().selectFrom('tags').select('id').where('id', 'in', [doomed, alsoDoomed]).executeTakeFirst(), undefined);
    assert.ok(!(await tagsOf(ws1)).includes(doomed));
    assert.ok(!(await tagsOf(ws2)).includes(doomed));
    assert.ok((await tagsOf(ws1)).includes(kept));

    const byToken = await w.api('DELETE', `/organizations/${w.org}/tags`, w.orgToken, linkage('tags', [kept]));
    assert.equal(byToken.status, 204, byToken.text);
  });

  it('refuses bad tag deletions and deletes nothing', async () => {
    const tag = await insertTag(unique('stays'), [ws1]);
    const theirTag = await insertTag(unique('theirs'), [theirWs], w.otherOrgId);
    const del = (body: unknown, token = w.ownerToken, org = w.org) => w.api('DELETE', `/organizations/${org}/tags`, token, body);
    assertError(await del(linkage('tags', [tag, 'tag-unknown'])), 404, /tag-unknown/);
    assertError(await del(linkage('tags', [tag, theirTag])), 404);
    assertInvalid(await del(linkage('tags', [])), '/data');
    assertInvalid(await del({ data: [{ type: 'tags', id: 5 }] }), '/data/0/id');
    assertError(await del(linkage('workspaces', [tag])), 400);
    assertError(await del('{"data"'), 400);
    assertError(await del(undefined), 400);
    assertError(await del(linkage('tags', [tag]), w.memberToken), 404);
    assertError(await del(linkage('tags', [tag]), w.strangerToken), 404);
    assertError(await del(linkage('tags', [theirTag]), w.orgToken, w.otherOrg), 404);
    assertError(await del(linkage('tags', [tag]), w.ownerToken, 'no-such-org'), 404);
    assertError(await del(linkage('tags', [tag]), 'not-a-token'), 401);
    assert.ok((await tagsOf(ws1)).includes(tag), 'still attached');
    assert.ok((await tagsOf(theirWs)).includes(theirTag), 'still attached');
  });

  it('hides the tag list from members without access and other organizations, and needs a valid token', async () => {
    for (const token of [w.memberToken, w.strangerToken]) assertError(await w.api('GET', `/organizations/${w.org}/tags`, token), 404);
    assertError(await w.api('GET', `/organizations/${w.otherOrg}/tags`, w.orgToken), 404);
    assertError(await w.api('GET', '/organizations/no-such-org/tags', w.ownerToken), 404);
    assertError(await w.api('GET', `/organizations/${w.org}/tags`, 'not-a-token'), 401);
    assertError(await w.api('GET', `/organizations/${w.org}/tags`, w.expiredToken), 401);
    assert.equal((await w.api('GET', `/organizations/${w.org}/tags`, server.adminToken)).status, 200);
  });
});
