import { type PGlite, parse, protocol, type Results } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/** What the engine answers to one protocol message. */
type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

/** A statement parsed under its name, and what describing it told. */
interface PreparedStatement {
  name: string;
  parameterTypes: number[];
  /** The RowDescription of a statement that returns rows. */
  rowDescription: BackendMessage | undefined;
}

/**
 * How many statements stay prepared in the engine, least recently used closed first: far more than
 * the server's distinct statements in steady use (a list's `in ($1, $2, …)` of each length is one).
 */
export const PREPARED_STATEMENTS_KEPT = 256;

/**
 * Statements on PGlite through its protocol by hand. PGlite's own `query` makes six calls into the
 * engine per statement (Parse, Describe, Bind, Describe, Execute, Sync), and each call costs about as
 * much as a small statement's own work; it also parses, analyses and plans the SQL every time.
 * Here every statement is parsed and described once under a name of its own, and each execution is
 * then one call (Bind, Execute, Sync); its rows' columns are those the description gave (all text),
 * so the portal is not described again. Unlike on PostgreSQL (prepared.ts), every statement is
 * prepared, not only marked ones: parsing and analysis are most of a small statement's cost here, and
 * a list whose best plan depends on its filter's values still gets custom plans, for its first five
 * executions and afterwards whenever PostgreSQL estimates the generic plan to cost more.
 */
class PgliteStatements {
  /** The prepared statements by SQL, least recently used first. */
  private readonly prepared = new Map<string, PreparedStatement>();
  private named = 0;

  constructor(private readonly pglite: PGlite) {}

  private async send(message: Uint8Array): Promise<BackendMessage[]> {
    return (await this.pglite.execProtocol(message, { syncToFs: false })).messages;
  }

  /** `text`'s prepared statement, now the most recently used. */
  private recall(text: string): PreparedStatement | undefined {
    const statement = this.prepared.get(text);
    if (statement) {
      this.prepared.delete(text);
      this.prepared.set(text, statement);
    }
    return statement;
  }

  /**
   * Parses `text` under a new name and describes it, in one call that also closes the least recently
   * used statement when the engine holds as many as it keeps. The Sync ends a failed Parse too,
   * before `send` throws: a statement that does not parse is not kept.
   */
  private async prepare(text: string): Promise<PreparedStatement> {
    const { serialize } = protocol;
    const name = `s${this.named++}`;
    const messages: Uint8Array[] = [];
    if (this.prepared.size >= PREPARED_STATEMENTS_KEPT) {
      const [oldest, statement] = this.prepared.entries().next().value as [string, PreparedStatement];
      this.prepared.delete(oldest);
      messages.push(serialize.close({ type: 'S', name: statement.name }));
    }
    messages.push(serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync());
    const described = await this.send(Buffer.concat(messages));
    const statement = {
      name,
      parameterTypes: parse.parseDescribeStatementResults(described),
      rowDescription: described.find((message) => message.name === 'rowDescription'),
    };
    this.prepared.set(text, statement);
    return statement;
  }

  query(text: string, parameters: readonly unknown[]): Promise<Results> {
    // The lock `query` takes: nothing else talks to the engine between these messages.
    return this.pglite.runExclusive(async () => {
      const { serialize } = protocol;
      const { name, parameterTypes, rowDescription } = this.recall(text) ?? (await this.prepare(text));
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
