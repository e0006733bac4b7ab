import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, PyComplex, PyDict, PyFloat, pyObject, PySet, PyTuple, type PyValue } from '../../src/pyro/serpent/index.js';
import { canon, normalize, pythonLoad } from '../serpent/oracle.js';
import { byteExactCandidate, pyTree } from '../serpent/arbitraries.js';

/** Values built in TS: everything the mapping in values.ts promises, edge cases first. */
const corpus: [string, PyValue][] = [
  ['null', null],
  ['booleans', [true, false]],
  ['safe ints', [0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]],
  ['bigints', [2n ** 53n, -(2n ** 53n), 2n ** 64n, -(2n ** 1000n), 5n]],
  ['floats', [0.5, -0, 0.1, 1 / 3, 1e16, 1e15 + 0.5, 1e-5, 1e-4, 5e-324, Number.MAX_VALUE, 1e21, 1e300, 2 ** 53 + 2]],
  ['non-finite floats', [Infinity, -Infinity, NaN]],
  ['PyFloat integral', [new PyFloat(3), new PyFloat(-2), new PyFloat(0), new PyFloat(1e22), new PyFloat(NaN)]],
  ['complex', [new PyComplex(1, 2), new PyComplex(-1.5, -2.5), new PyComplex(0, 1), new PyComplex(Infinity, -Infinity), new PyComplex(1e-300, 0)]],
  ['strings', ['', "'", '"', '\'"', '\\', '\n\r\t\0\x7f', '\x80\xa0\xff', '€', '\u2028', '\ud800', '\udfff', '😀', '\u{e0001}', '\u{31350}']],
  ['long string', "a'b\\c\u00e9\n".repeat(20000)],
  ['bytes', [Buffer.alloc(0), Buffer.from([0, 255]), Uint8Array.from({ length: 256 }, (_, i) => i)]],
  ['tuples', [new PyTuple(), new PyTuple([1]), new PyTuple([1, 2]), new PyTuple([new PyTuple([new PyTuple()])])]],
  ['lists', [[], [[]], [1, 'a', null]]],
  ['sets', [new PySet(), new PySet([1]), new PySet([1, 'a', new PyTuple([1, 2])]), new Set<PyValue>([2, 3])]],
  ['dict str keys', { a: 1, b: [2], 'é': null }],
  ['dict proto keys', pyObject([['__proto__', 1], ['constructor', pyObject([['prototype', 2]])]])],
  ['dict other keys', new PyDict([[1, 'a'], [1.5, 'b'], [new PyTuple([1, 'x']), 'c'], [new PyTuple(), 'd'], [false, 'd2'], [2n ** 70n, 'e'], [new PyComplex(1, 1), 'f']])],
  ['Map', new Map<PyValue, PyValue>([[1, 2], ['k', 'v']])],
  ['nested 200', Array.from({ length: 199 }).reduce<PyValue>((acc) => [acc], [])],
  ['pyro call', new PyTuple(['obj', 'method', new PyTuple([1, 'two', new PyFloat(3)]), { kw: null }])],
];

describe('serpent: what TS writes, Python serpent 1.41 reads to the same value', () => {
  test('the TS corpus reads back in Python as the same value', () => {
    const docs = corpus.map(([, v]) => serialize(v));
    const results = pythonLoad(docs);
    for (let i = 0; i < corpus.length; i++) {
      const [name, value] = corpus[i]!;
      const r = results[i]!;
      assert.ok(!('error' in r), `${name}: Python failed: ${'error' in r ? r.error : ''}`);
      assert.deepEqual(normalize(r.canon), normalize(canon(value)), name);
    }
  });

  test('Python re-serializes the TS corpus to the same bytes (sets of 2+ aside)', () => {
    const docs = corpus.map(([, v]) => serialize(v));
    const results = pythonLoad(docs);
    let compared = 0;
    for (let i = 0; i < corpus.length; i++) {
      const [name, value] = corpus[i]!;
      const r = results[i]!;
      if ('error' in r || !byteExactCandidate(value) || value instanceof Set) continue;
      compared++;
      assert.ok(r.redump !== null, `${name}: Python could not re-write it`);
      assert.equal(docs[i]!.toString('utf8'), Buffer.from(r.redump, 'base64').toString('utf8'), name);
    }
    assert.ok(compared >= 15, `only ${compared} compared`);
  });

  test('complex with imag -0.0: we write (x-0.0j), which Python reads (Python itself writes unreadable (x+-0.0j))', () => {
    const doc = serialize(new PyComplex(1, -0));
    assert.equal(doc.toString().split('\n')[1], '(1.0-0.0j)');
    const [r] = pythonLoad([doc]);
    assert.ok(r && !('error' in r));
    assert.deepEqual(r.canon, canon(new PyComplex(1, 0)));
  });

  // Random trees, cross-checked in batches: one Python process per batch of 150 trees.
  for (const seed of [20261124, 4242, 777]) {
    test(`random value trees round-trip through Python (fast-check batch, seed ${seed})`, () => {
      const values = fc.sample(pyTree, { numRuns: 150, seed });
      const docs = values.map((v) => serialize(v));
      const results = pythonLoad(docs);
      let exact = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        const r = results[i]!;
        const where = `seed ${seed} case ${i}: ${docs[i]!.toString('utf8').slice(0, 400)}`;
        assert.ok(!('error' in r), `Python could not read ${where}: ${'error' in r ? r.error : ''}`);
        const expected = normalize(canon(v));
        assert.deepEqual(normalize(r.canon), expected, `Python read a different value for ${where}`);
        assert.ok(r.redump !== null, `Python could not re-write ${where}`);
        const redump = Buffer.from(r.redump, 'base64');
        assert.deepEqual(normalize(canon(parse(redump, { preserveFloats: true }))), expected, `TS misread Python's dump of ${where}`);
        if (byteExactCandidate(v)) {
          exact++;
          assert.equal(docs[i]!.toString('utf8'), redump.toString('utf8'), `bytes differ from Python's for ${where}`);
        }
      }
      assert.ok(exact >= 50, `only ${exact} byte-exact comparisons`);
    });
  }
});
