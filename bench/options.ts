import { parseArgs } from 'node:util';
import type { DatabaseKind } from '../test/harness.js';

/** The options every benchmark reads the same way. */

export function positive(raw: string, name: string): number {
  if (!/^[1-9]\d*$/.test(raw.trim())) throw new Error(`--${name}: ${JSON.stringify(raw)} is not a positive integer`);
  return Number(raw);
}

/** A comma-separated list of positive integers. */
export function positives(raw: string, name: string): number[] {
  return raw.split(',').map((item) => positive(item, name));
}

/** A comma-separated list of names out of `known`. */
export function oneOf<T extends string>(raw: string, name: string, known: readonly T[]): T[] {
  return raw.split(',').map((item) => {
    const value = known.find((k) => k === item.trim());
    if (value === undefined) throw new Error(`--${name}: ${JSON.stringify(item)} is not ${known.join(' or ')}`);
    return value;
  });
}

export const DATABASES: readonly DatabaseKind[] = ['postgres', 'pglite'];

export function databases(raw: string): DatabaseKind[] {
  return oneOf(raw, 'databases', DATABASES);
}

/** The options of the benchmarks that seed workspaces and load the server over HTTPS (api, web). */
export interface SizedLoadOptions {
  sizes: number[];
  databases: DatabaseKind[];
  duration: number;
  connections: number;
}

export function parseSizedLoadOptions(args: string[], defaults: { sizes: string; connections: string }): SizedLoadOptions {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: process.env.BENCH_SIZES ?? defaults.sizes },
      databases: { type: 'string', default: process.env.BENCH_DATABASES ?? 'postgres,pglite' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: defaults.connections },
    },
  });
  return {
    sizes: positives(values.sizes, 'sizes'),
    databases: databases(values.databases),
    duration: positive(values.duration, 'duration'),
    connections: positive(values.connections, 'connections'),
  };
}
