// The bounded soak for npm test: 20 connections x 50 mixed calls against focusd --simulate, the same
// checks as `npm run soak` (every request answered exactly once, with the right kind of answer; no
// error in the daemon log). RSS is reported by the long soak only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSoak, runSoak } from './soak-core.js';

test('soak (bounded): 20 connections x 50 mixed calls, each answered exactly once with the right kind of answer', { timeout: 180_000 }, async () => {
  const s = await runSoak({ connections: 20, callsPerConnection: 50, seed: 77, deadlineMs: 120_000 });
  const report = describeSoak(s).join('\n');
  assert.deepEqual(s.violations, [], report);
  assert.equal(s.calls, 1000, report);
  assert.equal(s.connections, 20);
  assert.deepEqual(s.logErrors, [], report);
  for (const kind of ['report_status', 'set_focus', 'stop', 'unknown_method', 'bad_argument']) assert.ok(s.byKind[kind], `no ${kind} call in the mix`);
});
