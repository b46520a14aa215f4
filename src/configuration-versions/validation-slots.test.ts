import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slots } from './validation-slots.js';

describe('validation slots', () => {
  it('runs at most `size` tasks at once, the others in order of arrival, also after failures', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const tasks = Array.from({ length: 7 }, (_, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        if (i === 1) throw new Error('task 1 failed');
        return i;
      }),
    );
    const results = await Promise.allSettled(tasks);
    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
    assert.equal(await slots.run(async () => 'free again'), 'free again');
  });
});
