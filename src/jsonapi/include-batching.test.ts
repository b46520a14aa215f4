import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { forEachDatabase } from '../../test/harness.js';
import { OrganizationWorld } from '../../test/fixtures.js';
import type { Db } from '../db/database.js';
import { newId } from '../ids.js';

/** Counts the statements the app runs. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    return args.result;
  }
}

/** Each server's counter, by the database handle the harness opened. */
const counters = new WeakMap<Db, StatementCounter>();

function counting(db: Db): Db {
  const counter = new StatementCounter();
  counters.set(db, counter);
  return db.withPlugin(counter);
}

const ROWS = 6;

forEachDatabase(
  'include= loads each related type once per page, not once per row',
  (server) => {
    const world = new OrganizationWorld(server);

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
      const counter = counters.get(server.database.db) as StatementCounter;
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
  },
  { appDb: counting },
);
