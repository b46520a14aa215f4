import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { isPrepared, statementName } from './prepared.js';

/** What the engine answers to one protocol message. */
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

/** What describing a prepared statement told once: its parameters' types and its rows' columns. */
interface DescribedStatement {
  parameterTypes: number[];
  /** The RowDescription of a statement that returns rows. */
  rowDescription: BackendMessage | undefined;
}

/**
 * Marked statements (src/db/prepared.ts) on PGlite: `query` parses and plans every statement anew,
 * unnamed, so a marked one goes through the protocol by hand instead: parsed and described once under
 * its name, then bound and executed, and its results read as `query` reads them.
 */
class PglitePreparedStatements {
  /** Each prepared statement's description, by its SQL. */
  private readonly described = new Map<string, DescribedStatement>();

  constructor(private readonly pglite: PGlite) {}

  private async send(message: Uint8Array): Promise<BackendMessage[]> {
    return (await this.pglite.execProtocol(message, { syncToFs: false })).messages;
  }

  query(text: string, parameters: readonly unknown[]): Promise<Results> {
    // The lock `query` takes: nothing else talks to the engine between these messages.
    return this.pglite.runExclusive(async () => {
      const { serialize } = protocol;
      const name = statementName(text);
      let statement = this.described.get(text);
      if (statement === undefined) {
        const described = await this.send(Buffer.concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]));
        statement = {
          parameterTypes: parse.parseDescribeStatementResults(described),
          rowDescription: described.find((message) => message.name === 'rowDescription'),
        };
        this.described.set(text, statement);
      }
      const { parameterTypes, rowDescription } = statement;
      const values = parameters.map((value, i) => {
        if (value === null || value === undefined) return null;
        const serializer = this.pglite.serializers[parameterTypes[i] as number];
        return serializer ? serializer(value) : String(value);
      });
      // One call into the engine for the three messages (a third of the time of one call each); the
      // Sync among them ends the statement even when it fails, before `send` throws its error. The
      // rows' columns are the statement's, described once (all text): describing the portal on every
      // execution made the engine and the parser go over the 40 columns of a workspace each time
      // (200 → 100 µs for a workspace's row).
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
  const preparedStatements = new PglitePreparedStatements(pglite);
  const client = (release: () => void): PostgresPoolClient => ({
    query: (async (sql: string, parameters: readonly unknown[]) =>
      isPrepared(sql) ? preparedStatements.query(sql, parameters) : pglite.query(sql, parameters as unknown[])) as any,
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
