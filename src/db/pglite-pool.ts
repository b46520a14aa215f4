import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isPrepared, statementName } from './prepared.js';

/** What the engine answers to one protocol message. */
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

/** What describing a statement tells: its parameters' types and its rows' columns. */
interface DescribedStatement {
  parameterTypes: number[];
  /** The RowDescription of a statement that returns rows. */
  rowDescription: BackendMessage | undefined;
}

/**
 * Statements on PGlite through its protocol by hand, in two calls into the engine at most. PGlite's
 * own `query` makes six (Parse, Describe, Bind, Describe, Execute, Sync), and each call costs about
 * as much as a small statement's own work. A statement is parsed and described in one call, then
 * bound and executed in another; its rows' columns are those the description gave (all text), so the
 * portal is not described again: the engine and the parser went over a workspace's 40 columns twice.
 * Marked statements (src/db/prepared.ts) are parsed and described once under their name, and each
 * execution is then one call; the others are parsed, planned and described anew, unnamed, each time.
 */
class PgliteStatements {
  /** Each prepared statement's description, by its SQL. */
  private readonly prepared = new Map<string, DescribedStatement>();

  constructor(private readonly pglite: PGlite) {}

  private async send(message: Uint8Array): Promise<BackendMessage[]> {
    return (await this.pglite.execProtocol(message, { syncToFs: false })).messages;
  }

  /** Parses `text` as the statement `name` (unnamed: '') and describes it; the Sync ends a failed Parse too, before `send` throws. */
  private async describe(name: string, text: string): Promise<DescribedStatement> {
    const { serialize } = protocol;
    const described = await this.send(Buffer.concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]));
    return {
      parameterTypes: parse.parseDescribeStatementResults(described),
      rowDescription: described.find((message) => message.name === 'rowDescription'),
    };
  }

  /** Parses and describes a marked statement under its name, once. */
  private async prepare(name: string, text: string): Promise<DescribedStatement> {
    const statement = await this.describe(name, text);
    this.prepared.set(text, statement);
    return statement;
  }

  query(text: string, parameters: readonly unknown[]): Promise<Results> {
    // The lock `query` takes: nothing else talks to the engine between these messages.
    return this.pglite.runExclusive(async () => {
      const { serialize } = protocol;
      const name = isPrepared(text) ? statementName(text) : '';
      const { parameterTypes, rowDescription } = name ? (this.prepared.get(text) ?? (await this.prepare(name, text))) : await this.describe(name, text);
      const values = parameters.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = this.pglite.serializers[parameterTypes[i] as number];
        return serializer ? serializer(value) : String(value);
      });
      // The Sync among the messages ends the statement even when it fails, before `send` throws its error.
      const messages = await this.send(Buffer.concat([serialize.bind({ statement: name, values }), serialize.execute({}), serialize.sync()]));
      await this.pglite.syncToFs();
      return parse.parseResults(rowDescription ? [rowDescription, ...messages] : messages, this.pglite.parsers)[0] as Results;
    });
  }
}

/**
 * Presents one PGlite instance as the `pg.Pool` that Kysely's PostgresDialect expects.
 * PGlite has a single connection, so `connect()` hands it out to one holder at a time:
 * a transaction keeps it until commit, and any query on the outer handle waits meanwhile.
 */
export function pglitePool(pglite: PGlite): PostgresPool {
  let queue: Promise<void> = Promise.resolve();
  const statements = new PgliteStatements(pglite);
  const client = (release: () => void): PostgresPoolClient => ({
    query: ((sql: string, parameters: readonly unknown[]) => statements.query(sql, parameters ?? [])) as any,
    release,
  });
  return {
    async connect() {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const previous = queue;
      queue = previous.then(() => held);
      await previous;
      return client(release);
    },
    async end() {
      await queue;
    },
  };
}
