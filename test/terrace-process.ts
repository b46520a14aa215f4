import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { builtFile } from '../src/package-files.js';

/** The compiled `terrace` command (dist/test/ → dist/src/cli.js). */
export const TERRACE_CLI = builtFile('src/cli.js');

/**
 * Node's flags for test processes (test/run-tests.ts) and the `terrace` processes tests start: a
 * process of a test lives seconds to a minute, and V8's optimizing tier for PGlite's WASM (compiled
 * again in every process, on background threads) costs it more CPU than it saves in that time.
 */
export const TEST_NODE_FLAGS: readonly string[] = ['--liftoff-only'];

/** Starts `terrace <args>` as a test's child process, with the tests' node flags. */
export function spawnTerrace(args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [...TEST_NODE_FLAGS, TERRACE_CLI, ...args], options);
}
