/**
 * One test job's process (test/run-tests.ts): imports each file named on the command line in turn, so
 * node's test runner runs their suites one after the other in this process instead of starting a
 * process (and loading the whole server) per file.
 */
import './test-runner-hook.js';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) {
  await import(pathToFileURL(file).href);
}
