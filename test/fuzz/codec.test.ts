// Bounded fuzzing of the serpent parser and the frame decoder (npm test). The long version with
// over a million cases is `npm run fuzz` (test/fuzz/long-run.ts), over the same properties.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzProperties } from './properties.js';

describe('fuzz: serpent parser and frame decoder (bounded)', { timeout: 300_000 }, () => {
  for (const [i, p] of fuzzProperties().entries()) {
    test(`${p.name} (${p.bounded} cases)`, () => {
      const outcome = p.run({ numRuns: p.bounded, seed: 8000 + i });
      assert.equal(outcome.failed, false, outcome.report);
      assert.equal(outcome.numRuns, p.bounded);
    });
  }
});
