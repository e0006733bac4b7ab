// The serpent reader held against its oracle, on bytes (all the daemon ever reads): Python's
// serpent.loads and ast.literal_eval (/usr/bin/python3) must give the same value, or both refuse
// (but for the documented differences). Inputs: generated documents, mutated and truncated
// documents, token soup, random bytes, the hand-written literals, Python serpent's own corpus, and
// every refusal the tests pin (whose exact reasons and positions test/serpent/parse.test.ts checks).
// (Until the reader replaced them, this file also held the byte fast path against the full parser.)
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, SerpentParseError, type PyValue } from '../../src/pyro/serpent/index.js';
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
