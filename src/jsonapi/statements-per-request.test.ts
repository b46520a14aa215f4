import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { forEachDatabase } from '../../test/harness.js';
import { counterOf, counting } from '../../test/statement-counter.js';
import { newId } from '../ids.js';
import { RunWorld } from '../runs/testing.js';

const ROWS = 6;

forEachDatabase(
  'statements per request: include= loads each related type once per page, not once per row; a show is one statement',
  (server) => {
    const world = new RunWorld(server);

    before(async () => {
      await world.setUp();
      // Each workspace in a project of its own, each member a user of their own.
      for (let i = 0; i < ROWS; i++) await world.insertWorkspace(await world.insertProject());
      for (let i = 0; i < ROWS; i++) {
        const user = await server.createUser();
        await server.database.db
          .insertInto('organization_memberships')
          .values({ id: newId('ou'), organization_id: world.orgId, user_id: user.id, status: 'active' })
          .execute();
      }
    });

    /** The statements one request runs, and its body. */
    async function statements(path: string): Promise<{ count: number; body: any }> {
      const counter = counterOf(server.database.db);
      const before = counter.count;
      const res = await world.api('GET', path, world.ownerToken);
      assert.equal(res.status, 200, res.text);
      return { count: counter.count - before, body: res.body };
    }

    for (const [name, path, type] of [
      ['projects and organizations of workspaces', '/organizations/ORG/workspaces?include=project,organization', 'projects'],
      ['users of memberships', '/organizations/ORG/organization-memberships?include=user', 'users'],
    ] as const) {
      it(name, async () => {
        const url = (size: number) => `${path.replace('ORG', world.org)}&page%5Bsize%5D=${size}`;
        await statements(url(1)); // warms the caller's token and role caches
        const one = await statements(url(1));
        const many = await statements(url(ROWS));
        assert.equal(many.body.included.filter((r: { type: string }) => r.type === type).length, ROWS, JSON.stringify(many.body.included));
        assert.equal(many.count, one.count, `${ROWS} rows ran ${many.count} statements, 1 row ${one.count}`);
      });
    }

    it('shows a workspace in one statement once the caller is cached, then from its cache until it changes', async () => {
      const ws = await world.workspaceWithConfiguration();
      const path = `/workspaces/${ws.id}`;
      await statements(path); // warms the caller's token and role caches, and the workspace's
      assert.equal((await statements(path)).count, 0, 'shown again: from the cache');
      // A change from elsewhere (another replica, a job) reaches the cache through the database's notification.
      await server.database.db.updateTable('workspaces').set({ description: 'changed elsewhere' }).where('id', '=', ws.id).execute();
      const changed = await statements(path);
      assert.equal(changed.count, 1, 'read again after the change, in one statement');
      assert.equal(changed.body.data.attributes.description, 'changed elsewhere');
      assert.equal((await statements(`/organizations/${world.org}/workspaces/${ws.attributes.name}`)).count, 1, 'by name: a cache entry of its own');
    });

    it('shows a planned run with its phases in one statement once the caller is cached, then from its cache until it changes', async () => {
      const ws = await world.workspaceWithConfiguration();
      const run = await world.createRun(ws.id);
      const path = `/runs/${run.id}`;
      await statements(path); // warms the caller's token and role caches, and the run's
      assert.equal((await statements(path)).count, 0, 'shown again: from the cache');
      await world.claim(run.id);
      const show = await statements(path);
      assert.equal(show.count, 1, 'read again once its plan started, in one statement');
      assert.equal(show.body.data.id, run.id);
      const shown = show.body.data;
      assert.equal(shown.attributes.status, 'planning');
      assert.equal(shown.relationships.plan.data.id, run.relationships.plan.data.id);
      assert.equal(shown.relationships.apply.data.id, run.relationships.apply.data.id);
      const planPath = `/plans/${run.relationships.plan.data.id}`;
      const plan = (await statements(planPath)).body.data;
      assert.equal(plan.attributes.status, 'running');
      assert.ok(plan.attributes['status-timestamps']['started-at'], JSON.stringify(plan.attributes));
      const planAgain = await statements(planPath);
      assert.equal(planAgain.count, 0, 'a plan shown again: from the cache');
      assert.equal(planAgain.body.data.attributes.status, 'running');
    });
  },
  { appDb: counting },
);
