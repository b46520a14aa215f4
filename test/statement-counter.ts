import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { Db } from '../src/db/database.js';

/** Counts the statements the app runs: for tests that a page or a list does not query once per row. */
export class StatementCounter implements KyselyPlugin {
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

/** The harness's `appDb` option: the app's database handle, counting. */
export function counting(db: Db): Db {
  const counter = new StatementCounter();
  counters.set(db, counter);
  return db.withPlugin(counter);
}

/** The counter of a server opened with `appDb: counting`. */
export function counterOf(db: Db): StatementCounter {
  const counter = counters.get(db);
  if (!counter) throw new Error('this server does not count statements: open it with { appDb: counting }');
  return counter;
}
