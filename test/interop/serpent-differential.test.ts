// The serpent reader held against its oracles, on bytes (all the daemon ever reads):
// - today's byte fast path (fastparse.ts) against today's full parser (lexer.ts + parse.ts): whatever
//   the fast path accepts, the full parser reads to the identical value; every pinned refusal is
//   handed back to the full parser, which gives the pinned reason and position;
// - our reader against Python's serpent.loads and ast.literal_eval (/usr/bin/python3): the same
//   value, or refused by both (but for the documented differences).
// Inputs: generated documents, mutated and truncated documents, token soup, random bytes, the
// hand-written literals, Python serpent's own corpus, and every error case the tests pin.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, SerpentParseError, type PyValue } from '../../src/pyro/serpent/index.js';
import { fastParse, NOT_FAST } from '../../src/pyro/serpent/fastparse.js';
import { canon, normalize, pythonCorpus, pythonLoad } from '../serpent/oracle.js';
import { pyTree } from '../serpent/arbitraries.js';
import { allErrorCases, bytesOf, knownDifferences, literalTexts } from '../serpent/cases.js';
import { mutate, mutations, tokenSoup } from '../fuzz/generators.js';

const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, seed: number): T[] => fc.sample(arb, { numRuns, seed });

/** Documents from every source, as bytes (each source a fixed seed, so a failure replays). */
function generatedDocuments(): Map<string, Buffer[]> {
  const docs = new Map<string, Buffer[]>();
  docs.set('serialized value trees', sample(pyTree, 1500, 20).map((v) => serialize(v)));
  docs.set('mutated documents', sample(fc.tuple(pyTree, mutations), 1500, 21).map(([v, ms]) => mutate(serialize(v), ms)));
  docs.set(
    'truncated documents',
    sample(pyTree, 150, 22).flatMap((v) => {
      const doc = serialize(v);
      const cuts: Buffer[] = [];
      for (let cut = 0; cut < doc.length; cut += Math.max(1, doc.length >> 3)) cuts.push(doc.subarray(0, cut));
      return cuts;
    }),
  );
  docs.set('token soup', sample(tokenSoup, 1500, 23).map((s) => Buffer.from(s, 'utf8')));
  docs.set('random bytes', sample(fc.uint8Array({ maxLength: 80 }), 1000, 24).map((b) => Buffer.from(b)));
  docs.set('hand-written literals', literalTexts.map((t) => Buffer.from(t, 'utf8')));
  return docs;
}

type Outcome = { ok: true; value: PyValue } | { ok: false; error: SerpentParseError };

function read(bytes: Uint8Array, options: { maxDepth?: number; preserveFloats?: boolean }): Outcome {
  try {
    return { ok: true, value: parse(bytes, options) };
  } catch (err) {
    if (!(err instanceof SerpentParseError)) throw err;
    return { ok: false, error: err };
  }
}

/** Values equal in every respect the codec promises: types (PyFloat, -0, Buffer), prototypes, key and item order. */
function assertIdentical(actual: PyValue, expected: PyValue, label: string): void {
  assert.deepStrictEqual(actual, expected, label);
  assert.equal(JSON.stringify(canon(actual, false)), JSON.stringify(canon(expected, false)), `${label}: order differs`);
}

describe('serpent differential: the byte fast path against the full parser', () => {
  /**
   * The full parser's reading of bytes the fast path accepts: parse() of bytes decodes them as
   * UTF-8 and runs the full parser on the text, so parse() of that text is what it would return.
   */
  const full = (bytes: Buffer, preserveFloats: boolean): Outcome => {
    try {
      return { ok: true, value: parse(bytes.toString('utf8'), { preserveFloats }) };
    } catch (err) {
      if (!(err instanceof SerpentParseError)) throw err;
      return { ok: false, error: err };
    }
  };

  for (const [source, docs] of generatedDocuments()) {
    test(`${source}: whatever the fast path accepts, the full parser reads to the identical value`, () => {
      let accepted = 0;
      let valid = 0;
      for (const [i, doc] of docs.entries()) {
        for (const preserveFloats of [false, true]) {
          const fast = fastParse(doc, 1000, preserveFloats);
          const byParse = read(doc, { preserveFloats });
          if (byParse.ok) valid++;
          if (fast === NOT_FAST) continue;
          accepted++;
          const label = `${source} ${i} ${JSON.stringify(doc.toString('latin1'))} (preserveFloats ${preserveFloats})`;
          const reference = full(doc, preserveFloats);
          assert.ok(reference.ok, `${label}: the fast path accepted what the full parser refuses: ${!reference.ok && reference.error.message}`);
          assertIdentical(fast, reference.value, label);
          assert.ok(byParse.ok, label);
          assertIdentical(byParse.value, reference.value, `${label}: parse()`);
        }
      }
      if (source === 'serialized value trees') {
        // What our serializer writes is what the fast path is for (complex numbers and non-str keys
        // after str keys aside): it must take most of it, or this comparison judges little.
        assert.ok(accepted >= valid * 0.6, `the fast path took only ${accepted} of ${valid} valid documents`);
      }
    });
  }

  test('nesting against small depth limits: the fast path never reads past maxDepth', () => {
    const nesting = fc.tuple(fc.string({ unit: fc.constantFrom('[', '(', '{', '{1:', '[1,', ']', ')', '}', '1', ','), maxLength: 40 }), fc.integer({ min: 1, max: 12 }));
    for (const [text, maxDepth] of sample(nesting, 3000, 25)) {
      const doc = Buffer.from(text);
      const fast = fastParse(doc, maxDepth, false);
      if (fast === NOT_FAST) continue;
      const reference = read(doc, { maxDepth, preserveFloats: false });
      assert.ok(reference.ok, `${text} at maxDepth ${maxDepth}: fast path accepted a refused document`);
      assertIdentical(fast, reference.value, text);
      const again = parse(Buffer.from(text), { maxDepth });
      assertIdentical(again, reference.value, text);
    }
  });

  test('every pinned refusal is handed back by the fast path, and the full parser gives the pinned error', () => {
    for (const c of allErrorCases) {
      const bytes = bytesOf(c.input);
      const label = JSON.stringify(bytes.subarray(0, 60).toString('latin1'));
      if (c.options?.maxLength === undefined) assert.equal(fastParse(bytes, c.options?.maxDepth ?? 1000, false), NOT_FAST, label);
      const r = read(bytes, c.options ?? {});
      assert.ok(!r.ok, `${label}: accepted`);
      assert.deepEqual([r.error.reason, r.error.position, r.error.line, r.error.column], [c.reason, ...c.at], label);
    }
  });

  test("Python serpent's own corpus: the fast path's value is the full parser's", () => {
    let accepted = 0;
    for (const entry of pythonCorpus()) {
      const doc = Buffer.from(entry.dump, 'base64');
      const fast = fastParse(doc, 1000, true);
      if (fast === NOT_FAST) continue;
      accepted++;
      const reference = full(doc, true);
      assert.ok(reference.ok, entry.name);
      assertIdentical(fast, reference.value, entry.name);
    }
    assert.ok(accepted >= 60, `the fast path took only ${accepted} corpus entries`);
  });
});

describe('serpent differential: our reader against Python serpent.loads and ast.literal_eval', () => {
  type Judged = { accepted: number; refused: number };

  /** Where Python and we knowingly part: named escapes, Ellipsis, and Python's 200-level parser limit. */
  function knownDifference(doc: Buffer, ours: Outcome, pythonError: string | null): string | null {
    const text = doc.toString('utf8');
    if (knownDifferences.has(text)) return knownDifferences.get(text)!;
    if (!ours.ok && pythonError === null && /named escapes|Ellipsis/.test(ours.error.reason)) return 'documented refusal';
    if (ours.ok && pythonError !== null && /too many nested parentheses/.test(pythonError)) return "deeper than Python's parser reads";
    return null;
  }

  function judge(docs: Buffer[], label: (i: number) => string): Judged {
    const results = pythonLoad(docs);
    const judged = { accepted: 0, refused: 0 };
    for (const [i, doc] of docs.entries()) {
      const py = results[i]!;
      const ours = read(doc, { preserveFloats: true });
      const pythonError = 'error' in py ? py.error : null;
      if (knownDifference(doc, ours, pythonError) !== null) continue;
      if (pythonError !== null) {
        assert.ok(!ours.ok, `${label(i)}: Python refused (${pythonError}) but we accepted ${ours.ok && JSON.stringify(normalize(canon(ours.value, false)))}`);
        judged.refused++;
      } else {
        assert.ok(ours.ok, `${label(i)}: Python accepted ${JSON.stringify('canon' in py && py.canon)} but we refused: ${!ours.ok && ours.error.message}`);
        assert.deepEqual(normalize(canon(ours.value, false)), normalize('canon' in py ? py.canon : null), `${label(i)}: values differ`);
        judged.accepted++;
      }
    }
    return judged;
  }

  let sources = new Map<string, Buffer[]>();
  before(() => {
    sources = generatedDocuments();
  });

  test('hand-written literals: the same value, or refused by both', () => {
    const docs = sources.get('hand-written literals')!;
    const { accepted, refused } = judge(docs, (i) => `literal ${JSON.stringify(literalTexts[i])}`);
    assert.ok(accepted > 100 && refused > 80, `${accepted} accepted, ${refused} refused`);
  });

  test('every pinned refusal is refused by Python too (limits that Python has no option for aside)', () => {
    const cases = allErrorCases.filter((c) => c.options === undefined && !knownDifferences.has(String(c.input)));
    const docs = cases.map((c) => bytesOf(c.input));
    const results = pythonLoad(docs);
    for (const [i, r] of results.entries()) {
      assert.ok('error' in r, `Python accepts ${JSON.stringify(docs[i]!.subarray(0, 60).toString('latin1'))}, which we refuse with "${cases[i]!.reason}"`);
    }
  });

  for (const source of ['serialized value trees', 'mutated documents', 'truncated documents', 'token soup', 'random bytes']) {
    test(`${source}: the same value, or refused by both`, () => {
      const docs = sources.get(source)!;
      const { accepted, refused } = judge(docs, (i) => `${source} ${i} ${JSON.stringify(docs[i]!.toString('latin1'))}`);
      // Each source must exercise what it is for: valid documents, or refusals, or both.
      if (source === 'serialized value trees') assert.equal(accepted, docs.length);
      else assert.ok(refused > docs.length / 10, `${source}: only ${refused} refused`);
      if (source === 'mutated documents' || source === 'truncated documents') assert.ok(accepted > 50, `${source}: only ${accepted} accepted`);
    });
  }

  test("Python serpent's own corpus: the same value", () => {
    const corpus = pythonCorpus();
    const { accepted } = judge(corpus.map((c) => Buffer.from(c.dump, 'base64')), (i) => corpus[i]!.name);
    assert.equal(accepted, corpus.length);
  });
});
