// The in-process fuzz properties, each with the run count npm test uses. test/fuzz/long-run.ts
// runs the same properties with far more cases.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkDecoder, checkSerpent } from './checks.js';
import { chunking, encodeSpec, frameSpec, mutatedFrame, serpentInput, type FrameSpec } from './generators.js';

/** The outcome of running a property, without its type parameter. */
export interface FuzzOutcome {
  failed: boolean;
  numRuns: number;
  /** fast-check's report (seed, path, counterexample, error) when it failed. */
  report: string;
}

export interface FuzzProperty {
  name: string;
  run(params: { numRuns: number; seed: number; endOnFailure?: boolean }): FuzzOutcome;
  /** Cases in the bounded run (npm test). */
  bounded: number;
  /** Share of the long run's cases. */
  weight: number;
}

const nesting = fc
  .tuple(fc.string({ unit: fc.constantFrom('[', '(', '{', '{1:', '[1,', '-', ' '), minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 12 }))
  .map(([s, depth]) => ({ text: s, depth }));

function runner<T>(property: fc.IProperty<T>): FuzzProperty['run'] {
  return (params) => {
    const details = fc.check(property, params);
    return { failed: details.failed, numRuns: details.numRuns, report: details.failed ? fc.defaultReportMessage(details) ?? 'failed' : '' };
  };
}

/** The properties, built fresh (fast-check properties keep no state, but this keeps them independent). */
export function fuzzProperties(options: { slowCaseMs?: number } = {}): FuzzProperty[] {
  const limit = options.slowCaseMs;
  // The long run also fails a single case that takes longer than `slowCaseMs` (a near-hang);
  // npm test has no timing assertion, only the test's own time-out.
  const timed =
    <A extends unknown[]>(f: (...args: A) => void) =>
    (...args: A): void => {
      const t0 = performance.now();
      f(...args);
      const took = performance.now() - t0;
      if (limit !== undefined && took > limit) throw new Error(`one case took ${took.toFixed(0)} ms (limit ${limit} ms)`);
    };
  return [
    {
      name: 'serpent parser: random bytes, token soup, mutated documents',
      run: runner(fc.property(serpentInput, timed((input: string | Uint8Array) => {
        checkSerpent(input);
      }))),
      bounded: 4000,
      weight: 40,
    },
    {
      name: 'serpent parser: nesting against a small maxDepth',
      run: runner(fc.property(nesting, timed(({ text, depth }: { text: string; depth: number }) => {
        checkSerpent(text, depth);
      }))),
      bounded: 1000,
      weight: 5,
    },
    {
      name: 'frame decoder: valid frame streams in any chunking decode to the same messages',
      run: runner(fc.property(fc.array(frameSpec, { minLength: 1, maxLength: 4 }), chunking, timed((specs: FrameSpec[], cuts: number[]) => {
        const frames = specs.map((s) => encodeSpec(s, 'fuzz-key'));
        const bytes = Buffer.concat(frames);
        const r = checkDecoder(bytes, cuts, 1 << 20);
        assert.equal(r.error, false, 'a valid stream was refused');
        assert.equal(r.messages, frames.length);
      }))),
      bounded: 1500,
      weight: 20,
    },
    {
      name: 'frame decoder: mutated frame streams in any chunking, only ProtocolError',
      run: runner(fc.property(fc.array(mutatedFrame, { minLength: 1, maxLength: 4 }), chunking, timed((frames: Buffer[], cuts: number[]) => {
        checkDecoder(Buffer.concat(frames), cuts, 4096);
      }))),
      bounded: 2500,
      weight: 30,
    },
    {
      name: 'frame decoder: random bytes after a PYRO magic',
      run: runner(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), chunking, timed((magic: boolean, tail: Uint8Array, cuts: number[]) => {
        const bytes = magic ? Buffer.concat([Buffer.from([0x50, 0x59, 0x52, 0x4f, 0, 48]), tail]) : Buffer.from(tail);
        checkDecoder(bytes, cuts, 4096);
      }))),
      bounded: 1000,
      weight: 5,
    },
  ];
}
