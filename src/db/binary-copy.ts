import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool } from 'kysely';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * Raw bytes in and out of the database with `COPY … (FORMAT binary)`, for bulk content (the
 * database blob store's chunks). Through ordinary statements bytea costs far more: node-postgres
 * copies each binary parameter into its message several times, and returns every result as text,
 * so bytea arrives hex-encoded (twice the bytes, encoded by the server and decoded in JS); its
 * `binary` result mode decodes fields as UTF-8 and corrupts bytes. A binary COPY carries the bytes
 * as they are, both ways (docs/design.md "Blobs").
 */
export interface BinaryCopy {
  /**
   * Loads `parts`, the binary COPY format of the rows split at any byte, into `target`
   * (`table (column, …)`), in one statement.
   */
  in(target: string, parts: readonly Buffer[]): Promise<void>;
  /**
   * The binary COPY output of `query` (a SELECT without parameters), whole, in the pieces it came in:
   * the connection is free again before the caller reads it.
   */
  out(query: string): Promise<Buffer[]>;
}

/** What begins binary COPY data: the signature, no flags, no header extension. */
export const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** What ends it: a tuple of -1 fields. */
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);

const SIGNATURE_BYTES = 11;

/**
 * The content of every field in binary COPY output, in order, as views into `output`'s pieces (a
 * field split between pieces comes as several views): for output of one column, that column's bytes
 * row after row, never assembled. NULL fields contribute nothing.
 */
export function binaryCopyBytes(output: readonly Buffer[]): Buffer[] {
  const bytes: Buffer[] = [];
  // The fixed-size parts (header, field count, field length) may be split between pieces: `fixed`
  // gathers one until it has `need` bytes; `value` counts the bytes of a field or of the header extension still to come.
  let fixed = Buffer.alloc(0);
  let need = SIGNATURE_BYTES + 8;
  let state: 'header' | 'extension' | 'count' | 'length' | 'value' | 'end' = 'header';
  let value = 0;
  let fieldsLeft = 0;
  for (const piece of output) {
    for (let at = 0; at < piece.length; ) {
      if (state === 'end') throw new Error('binary COPY output goes on past its end');
      if (state === 'value' || state === 'extension') {
        const n = Math.min(value, piece.length - at);
        if (state === 'value' && n > 0) bytes.push(piece.subarray(at, at + n));
        at += n;
        value -= n;
        if (value === 0) [state, need] = state === 'value' && fieldsLeft > 0 ? ['length', 4] : ['count', 2];
        continue;
      }
      const n = Math.min(need - fixed.length, piece.length - at);
      fixed = Buffer.concat([fixed, piece.subarray(at, at + n)]);
      at += n;
      if (fixed.length < need) continue;
      if (state === 'header') {
        if (!fixed.subarray(0, SIGNATURE_BYTES).equals(COPY_HEADER.subarray(0, SIGNATURE_BYTES))) throw new Error('not binary COPY output');
        value = fixed.readUInt32BE(SIGNATURE_BYTES + 4);
        [state, need] = value > 0 ? ['extension', 0] : ['count', 2];
      } else if (state === 'count') {
        fieldsLeft = fixed.readInt16BE(0);
        [state, need] = fieldsLeft === -1 ? ['end', 0] : fieldsLeft > 0 ? ['length', 4] : ['count', 2];
      } else {
        value = fixed.readInt32BE(0);
        fieldsLeft -= 1;
        // -1 is NULL, and a NULL or empty field has no bytes to wait for.
        if (value > 0) state = 'value';
        else [state, need] = fieldsLeft > 0 ? ['length', 4] : ['count', 2];
      }
      fixed = Buffer.alloc(0);
    }
  }
  if (state !== 'end') throw new Error('binary COPY output ends early');
  return bytes;
}

/** On PostgreSQL: COPY FROM STDIN / TO STDOUT on a connection of the pool Kysely uses. */
export function postgresCopy(pool: pg.Pool): BinaryCopy {
  const onClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let result: T;
    try {
      result = await work(client);
    } catch (err) {
      // A COPY cut short may leave the session mid-protocol: the pool closes it instead of reusing it.
      client.release(err as Error);
      throw err;
    }
    client.release();
    return result;
  };
  return {
    in: (target, parts) => onClient((client) => pipeline(Readable.from(parts), client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`)))),
    out: (query) =>
      onClient(async (client) => {
        const pieces: Buffer[] = [];
        for await (const piece of client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`))) pieces.push(piece as Buffer);
        return pieces;
      }),
  };
}

/**
 * On PGlite: COPY through its in-memory `/dev/blob`, holding the one connection through `pool` as a
 * Kysely query would, so that a COPY never runs inside another holder's transaction.
 */
export function pgliteCopy(pglite: PGlite, pool: PostgresPool): BinaryCopy {
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    const held = await pool.connect();
    try {
      return await work();
    } finally {
      held.release();
    }
  };
  return {
    in: async (target, parts) => {
      await exclusive(() => pglite.query(`COPY ${target} FROM '/dev/blob' (FORMAT binary)`, [], { blob: new Blob([...parts]) }));
    },
    out: async (query) => {
      const { blob } = await exclusive(() => pglite.query(`COPY (${query}) TO '/dev/blob' (FORMAT binary)`));
      if (!blob) throw new Error('PGlite returned no COPY output');
      return [Buffer.from(await blob.arrayBuffer())];
    },
  };
}
