import { createHash } from 'node:crypto';
import { type Expression, type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import type pg from 'pg';

/**
 * Hot lookups (a workspace, a run, a phase by id: what clients poll) run as named prepared
 * statements on PostgreSQL. Their SQL is fixed and their plan is the same for every id, so
 * PostgreSQL soon keeps one generic plan per connection instead of parsing and planning each time:
 * the workspace show's statement took 400–500 µs a round trip unnamed and 125–150 µs prepared
 * (docs/design.md "Read path performance"). Opt-in, by a comment at the end of the SQL: a list whose
 * best plan depends on its filter's values (a tag on 10% of the workspaces or on 5) keeps a plan of
 * its own per execution. On PGlite every statement is prepared (pglite-pool.ts), where parsing is
 * most of a small statement's cost.
 */
const PREPARED_MARK = '/* prepared */';

/** Marks a query to run as a prepared statement (above). */
export function prepared<Q extends { modifyEnd(modifier: Expression<unknown>): Q }>(query: Q): Q {
  return query.modifyEnd(sql.raw(PREPARED_MARK));
}

export function isPrepared(text: string): boolean {
  return text.endsWith(PREPARED_MARK);
}

/** A statement's name on every connection: its SQL's hash, so the same SQL reuses one preparation. */
const statementNames = new Map<string, string>();

export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `p${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pool Kysely uses: marked statements go to the connection as named ones, everything else as it came. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect();
      const wrapped = {
        query: (textOrCursor: unknown, parameters?: readonly unknown[]) =>
          typeof textOrCursor === 'string' && isPrepared(textOrCursor)
            ? client.query({ name: statementName(textOrCursor), text: textOrCursor, values: parameters as unknown[] })
            : client.query(textOrCursor as string, parameters as unknown[]),
        release: () => client.release(),
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
