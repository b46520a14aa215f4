import asyncHooks from 'node:async_hooks';

/**
 * node's test runner (node 20) follows every async resource of the process, promises included, with
 * an async hook that has a `destroy` callback, so V8 registers a weak callback on each promise: about
 * a fifth of an API suite's CPU (the permission matrix on PGlite: 18.8 → 15.4 s). The runner needs the
 * hook for two things. It finds the suite an `it()` or `before()` belongs to by the running async
 * resource, which is the suite itself while a (synchronous) `describe` callback runs; for that it
 * needs only the tests. And it pins an uncaught error or unhandled rejection on the test whose async
 * work raised it. The hook it gets here sees only the tests, with no `destroy`: such an error is then
 * reported at the top level and sets the exit code, so the job still fails, under the file instead
 * of the test. A `describe` callback must stay synchronous (all are): an `it()` after an `await` in
 * one would land at the top level, outside the suite's hooks.
 *
 * Imported first by test/run-batch.ts, before `node:test` loads; a file run with `node --test` keeps
 * the runner's own hook. Any other caller of `createHook` gets node's unchanged.
 */
const createHook = asyncHooks.createHook;
asyncHooks.createHook = (callbacks) => {
  const init = callbacks.init;
  if (!init || !new Error().stack?.includes('internal/test_runner/harness')) return createHook(callbacks);
  return createHook({
    init(asyncId, type, triggerAsyncId, resource) {
      // node's test runner's tests, suites and hooks are AsyncResources of this type.
      if (type === 'Test') init(asyncId, type, triggerAsyncId, resource);
    },
  });
};
