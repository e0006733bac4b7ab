import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskQueue } from '../../src/common/task-queue.js';

test('TaskQueue runs each task after every earlier one has settled, a failed one included; idle() waits for all', async () => {
  const queue = new TaskQueue();
  const log: string[] = [];
  const step = (name: string, fail = false) => async (): Promise<string> => {
    log.push(`${name} start`);
    await new Promise((resolve) => setImmediate(resolve));
    log.push(`${name} end`);
    if (fail) throw new Error(name);
    return name;
  };
  const a = queue.run(step('a'));
  const b = queue.run(step('b', true));
  const c = queue.run(step('c'));
  const idle = queue.idle().then(() => log.push('idle'));
  assert.equal(await a, 'a');
  await assert.rejects(b, /b/);
  assert.equal(await c, 'c');
  await idle;
  assert.deepEqual(log, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end', 'idle']);
});
