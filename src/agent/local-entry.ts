import { runLocalAgent } from './main.js';

/** The program `terrace serve` starts for each slot of its built-in runner (src/runner/local-agents.ts). */
runLocalAgent().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`terrace local agent: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
