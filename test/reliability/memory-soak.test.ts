// The bounded memory soak for npm test: 300,000 report_status calls from connections that come and
// go (100 at a time, 1-1000 calls each) and a move every 3 s, against focusd --simulate run with the
// V8 flags the systemd unit gives it (its NODE_OPTIONS). focusd's heap used after a full GC must not
// drift by 1 MB, nor its RSS after GC by 15 MB, from their values after a 100,000-call warm-up.
// `npm run soak:memory` is the long form (2 million calls and more).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../helpers/paths.js';
import { describeMemorySoak, memoryFigures, runMemorySoak } from './memory-soak-core.js';

const MB = 1024 * 1024;

/** The node flags the unit sets for focusd (Environment=NODE_OPTIONS=...). */
function unitNodeFlags(): string[] {
  const unit = readFileSync(fromRoot('systemd', 'focusd@.service'), 'utf8');
  const m = /^Environment=.*\bNODE_OPTIONS=((?:--\S+ ?)+)/m.exec(unit);
  return m ? (m[1] as string).trim().replace(/"$/, '').split(' ') : [];
}

test('memory soak (bounded): 300,000 report_status calls over connections that come and go, with moves; heap after GC flat, RSS settled', { timeout: 300_000 }, async (t) => {
  const s = await runMemorySoak({
    calls: 300_000,
    warmupCalls: 100_000,
    concurrency: 100,
    maxLifetime: 1000,
    moveEveryMs: 3_000,
    sampleEveryMs: 3_000,
    seed: 18,
    deadlineMs: 240_000,
    nodeFlags: unitNodeFlags(),
  });
  const report = describeMemorySoak(s).join('\n');
  for (const line of report.split('\n')) t.diagnostic(line);
  assert.deepEqual(s.violations, [], report);
  assert.equal(s.calls, 300_000, report);
  assert.ok(s.moves >= 2, `${s.moves} moves: the soak moved the focuser\n${report}`);
  assert.ok(s.samples.length >= 3, `${s.samples.length} samples\n${report}`);
  const f = memoryFigures(s);
  assert.ok(Math.abs(f.heapDrift) < MB && f.heapMaxAbove < MB, `heap used after GC drifted ${(f.heapDrift / MB).toFixed(2)} MB (at most ${(f.heapMaxAbove / MB).toFixed(2)} MB above)\n${report}`);
  assert.ok(Math.abs(f.rssDrift) <= 15 * MB && f.rssMaxAbove <= 15 * MB, `RSS after GC moved ${(f.rssDrift / MB).toFixed(1)} MB (at most ${(f.rssMaxAbove / MB).toFixed(1)} MB above)\n${report}`);
});
