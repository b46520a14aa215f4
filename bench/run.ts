import * as apiBenchmark from './api.js';
import * as regoBenchmark from './rego.js';
import * as runReadsBenchmark from './run-reads.js';
import * as runsBenchmark from './runs.js';
import * as startBenchmark from './start.js';
import * as stateBenchmark from './state.js';
import * as webBenchmark from './web.js';

/**
 * `npm run bench -- [name …] [options]`: runs the named benchmarks (all when none is named) and
 * exits 1 when one misses a target. Options go to every benchmark run.
 */

/** Every benchmark by name, in the order a bare `npm run bench` runs them. Each returns whether its targets held. */
const BENCHMARKS = new Map<string, (args: string[]) => Promise<boolean>>([
  ['api', apiBenchmark.run],
  ['web', webBenchmark.run],
  ['state', stateBenchmark.run],
  ['runs', runsBenchmark.run],
  ['run-reads', runReadsBenchmark.run],
  ['start', startBenchmark.run],
  ['rego', regoBenchmark.run],
]);

async function main(argv: string[]): Promise<number> {
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const names = firstOption === -1 ? argv : argv.slice(0, firstOption);
  const options = firstOption === -1 ? [] : argv.slice(firstOption);
  const unknown = names.filter((name) => !BENCHMARKS.has(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${[...BENCHMARKS.keys()].join(', ')}\n`);
    return 2;
  }
  let passed = true;
  const selected = names.length > 0 ? names.map((name) => BENCHMARKS.get(name)) : [...BENCHMARKS.values()];
  for (const benchmark of selected) {
    if (benchmark) passed = (await benchmark(options)) && passed;
  }
  return passed ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
