import { BadRequestError, ConflictError, type DomainError, InvalidError, NotFoundError } from '../errors.js';

interface PgError {
  code?: string;
  constraint?: string;
}

/**
 * Maps a PostgreSQL error to a domain error, or returns undefined for anything unexpected.
 * 23505 unique violation → 409; 23503 foreign key → 404; 22P02 bad text representation → 404; 22021 NUL in text → 400;
 * 22003 number out of range and 54000 value too large for an index → 422. The last two are a backstop:
 * the input limits of jsonapi/body.ts refuse such values before the database, with a pointer.
 */
export function mapPgError(err: unknown): DomainError | undefined {
  const code = (err as PgError | null)?.code;
  switch (code) {
    case '23505':
      return new ConflictError('a resource with these attributes already exists');
    case '23503':
      return new NotFoundError('a referenced resource does not exist');
    case '22P02':
      return new NotFoundError('not found');
    case '22021':
      // A NUL character in a path segment or attribute: PostgreSQL text cannot hold it.
      return new BadRequestError('text must not contain NUL (\\u0000) characters');
    case '22003':
      return new InvalidError('a number is out of range');
    case '54000':
      return new InvalidError('a value is too long');
    default:
      return undefined;
  }
}

/** True when `err` is a unique violation, optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** True when `err` is a foreign key violation, optionally of one named constraint. */
export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  const e = err as PgError | null;
  return e?.code === '23503' && (constraint === undefined || e.constraint === constraint);
}
