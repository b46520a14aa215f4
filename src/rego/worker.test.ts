import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateInWorker } from './worker.js';

describe('evaluateInWorker', () => {
  test('answers as evaluate does', async () => {
    const outcome = await evaluateInWorker([{ name: 'p.rego', source: 'package p\n\nallow if input.ok\n' }], 'x := data.p.allow', { input: { ok: true } });
    assert.deepEqual('result' in outcome && outcome.result.map((r) => r.bindings), [{ x: true }]);
  });

  test('a runaway policy errors at the time limit while this thread keeps running', async () => {
    const source = 'package p\n\nn := numbers.range(1, 100000)\np := count([x | n[_]; n[_]; x := 1])\n';
    const started = Date.now();
    const outcome = await evaluateInWorker([{ name: 'p.rego', source }], 'x := data.p.p', {}, { timeoutMs: 300, maxSteps: Number.MAX_SAFE_INTEGER });
    assert.ok('errors' in outcome);
    assert.equal(outcome.errors[0]!.code, 'eval_cancel_error');
    assert.ok(Date.now() - started < 5000);
  });

  test('the step budget applies inside the worker too', async () => {
    const source = 'package p\n\nn := numbers.range(1, 100000)\np := count([x | n[_]; n[_]; x := 1])\n';
    const outcome = await evaluateInWorker([{ name: 'p.rego', source }], 'x := data.p.p', {}, { maxSteps: 50_000 });
    assert.ok('errors' in outcome);
    assert.equal(outcome.errors[0]!.code, 'eval_limit_error');
  });
});
