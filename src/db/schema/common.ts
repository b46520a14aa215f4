/** Column types every table file shares. */
import type { ColumnType } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type Jsonb<T> = ColumnType<T, string | undefined, string>;

export type NullableJsonb<T> = ColumnType<T | null, string | null | undefined, string | null>;
