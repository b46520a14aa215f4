// Builds src/, test/ and bench/ into dist/ with esbuild: the files a process (or a worker thread) starts
// by path, each at its source's path with .js, sharing chunks in dist/chunks/. A bundled process
// loads a few dozen files instead of about 1,400 modules (ours and node_modules'), which node's ESM
// loader took 0.8 s of CPU to load (docs/design.md "Build"). tsc only type-checks (npm run typecheck).
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What a process starts by path (src/package-files.ts `builtFile`), besides every test file. */
const ENTRY_POINTS = [
  'src/cli.ts',
  'src/agent/local-entry.ts',
  'src/rego/worker-main.ts',
  // src/hardening.test.ts imports it in a node of its own.
  'src/hardening.ts',
  'bench/run.ts',
  'bench/load-client.ts',
  'test/run-tests.ts',
  'test/run-batch.ts',
];

/**
 * Packages that find files of their own beside their code (PGlite its WASM, hcl2json its WASM), and
 * test or bench tools with a browser or worker files of their own: loaded from node_modules.
 */
const EXTERNAL = ['@electric-sql/pglite', '@cdktn/hcl2json', 'puppeteer-core', 'autocannon', 'smtp-server'];

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return /\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without the development dependencies runs what was built before, if anything was.
  if (statSync('dist/src/cli.js', { throwIfNoEntry: false })) process.exit(0);
  throw new Error('dist/ is missing and esbuild is not installed: run npm install with the development dependencies');
}

// A whole build takes about a second: no incremental state to go stale, and no file of an old layout left.
rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  entryPoints: [...ENTRY_POINTS, ...testFiles('src'), ...testFiles('test')],
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  // CommonJS packages inside an ES module chunk call require() for node's built-in modules.
  banner: { js: "import { createRequire as __terraceCreateRequire } from 'node:module'; const require = __terraceCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
