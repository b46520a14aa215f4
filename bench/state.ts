import { parseArgs } from 'node:util';
import type { DatabaseKind } from '../test/harness.js';
import { forEachBenchDatabase, formatTable } from './load.js';
import { databases, oneOf, positive, positives } from './options.js';
import { type ApplyRow, benchmarkApply } from './state-apply.js';
import { MB } from './state-measure.js';
import { type BlobStoreKind, benchmarkTransfer, type TransferResult } from './state-transfer.js';

/**
 * The state benchmark (issue 5, "Benchmark"): (1) `terraform apply` with Terrace as the cloud backend
 * in local execution mode against the local backend, at 100 and 1,000 resources; (2) a 100 MB state
 * through the signed upload and download URLs against a plain file copy, and the server's memory.
 * Targets: apply ≤ 1.1× local at 1,000 resources and ≤ 2× at 100; transfers ≥ 50% of copy speed;
 * server RSS growth ≤ 50 MB.
 */

const TRANSFER_TARGET = 0.5;
const RSS_TARGET_MB = 50;

/** The benchmark's two parts; `--parts transfer` measures the blob stores alone, without the slow applies. */
const PARTS = ['apply', 'transfer'] as const;
type Part = (typeof PARTS)[number];

interface StateOptions {
  databases: DatabaseKind[];
  parts: Part[];
  resources: number[];
  repeat: number;
  stateMb: number;
  stateResources: number;
}

function parseOptions(args: string[]): StateOptions {
  const { values } = parseArgs({
    args,
    options: {
      databases: { type: 'string', default: process.env.BENCH_DATABASES ?? 'postgres,pglite' },
      parts: { type: 'string', default: PARTS.join(',') },
      resources: { type: 'string', default: '100,1000' },
      repeat: { type: 'string', default: '3' },
      'state-mb': { type: 'string', default: '100' },
      'state-resources': { type: 'string', default: '1000' },
    },
  });
  return {
    databases: databases(values.databases),
    parts: oneOf(values.parts, 'parts', PARTS),
    resources: positives(values.resources, 'resources'),
    repeat: positive(values.repeat, 'repeat'),
    stateMb: positive(values['state-mb'], 'state-mb'),
    stateResources: positive(values['state-resources'], 'state-resources'),
  };
}

const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');

function applyRows(kind: DatabaseKind, rows: ApplyRow[]): { rows: string[][]; passed: boolean } {
  let passed = true;
  const table = rows.map((r) => {
    const ok = r.ratio <= r.target;
    passed &&= ok;
    return [
      kind,
      `apply ${r.resources} resources`,
      `${r.localSeconds.toFixed(2)} s`,
      `${r.cloudSeconds.toFixed(2)} s`,
      `${r.ratio.toFixed(2)}×`,
      `≤ ${r.target}×`,
      verdict(ok),
    ];
  });
  return { rows: table, passed };
}

function transferRows(kind: string, t: TransferResult): { rows: string[][]; passed: boolean } {
  const size = `${(t.stateBytes / MB).toFixed(0)} MB`;
  const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
  const copy = `${t.copyMBps.toFixed(0)} MB/s`;
  const speed = (name: string, value: number): [string[], boolean] => {
    const ratio = value / t.copyMBps;
    return [
      [
        kind,
        `${name} ${size}`,
        copy,
        `${value.toFixed(0)} MB/s`,
        `${(100 * ratio).toFixed(0)}%`,
        `≥ ${100 * TRANSFER_TARGET}% of copy`,
        verdict(ratio >= TRANSFER_TARGET),
      ],
      ratio >= TRANSFER_TARGET,
    ];
  };
  const memory = (name: string, growth: number): [string[], boolean] => {
    const ok = growth <= RSS_TARGET_MB * MB;
    return [[kind, `server RSS growth, ${name}`, '', mb(growth), '', `≤ ${RSS_TARGET_MB} MB`, verdict(ok)], ok];
  };
  const parse: [string[], boolean] = [
    [
      kind,
      'background parse',
      '',
      t.processingSeconds === undefined ? 'unfinished' : `done in ${t.processingSeconds.toFixed(2)} s`,
      '',
      'finishes',
      verdict(t.processingSeconds !== undefined),
    ],
    t.processingSeconds !== undefined,
  ];
  const checks = [
    speed('upload', t.uploadMBps),
    speed('download', t.downloadMBps),
    parse,
    memory('upload', t.uploadGrowth),
    memory('background parse', t.processingGrowth),
    memory('download', t.downloadGrowth),
  ];
  return { rows: checks.map(([row]) => row), passed: checks.every(([, ok]) => ok) };
}

/** Runs both parts on every database and prints the table; false when a target was missed. */
export async function run(args: string[]): Promise<boolean> {
  const options = parseOptions(args);
  const { rows, passed } = await forEachBenchDatabase(options.databases, async (kind, postgresUrl) => {
    const apply = options.parts.includes('apply') ? applyRows(kind, await benchmarkApply(kind, options.resources, options.repeat)) : { rows: [], passed: true };
    // The server in its own process, so that its memory is its own; on PostgreSQL it migrates the
    // server's default database, and the state goes to files and then to the database blob store.
    const blobStores: BlobStoreKind[] = !options.parts.includes('transfer') ? [] : kind === 'postgres' ? ['filesystem', 'postgres'] : ['filesystem'];
    const transfers = [];
    for (const blobStore of blobStores) {
      const result = await benchmarkTransfer(kind, kind === 'postgres' ? postgresUrl : undefined, {
        blobStore,
        stateBytes: options.stateMb * MB,
        resources: options.stateResources,
        repeat: options.repeat,
      });
      transfers.push(transferRows(`${kind}, blobs: ${blobStore}`, result));
    }
    return { rows: [...apply.rows, ...transfers.flatMap((t) => t.rows)], passed: apply.passed && transfers.every((t) => t.passed) };
  });
  process.stdout.write(
    `\nState benchmark: medians of ${options.repeat} rounds; a ${options.stateMb} MB state of ${options.stateResources} resources\n` +
      `${formatTable(['database', 'case', 'local / copy', 'terrace', 'ratio', 'target', 'result'], rows)}\n`,
  );
  return passed;
}
