import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, hashKey, PyComplex, PyDict, PyFloat, pyObject, PySet, PyTuple, type PyValue } from '../../src/pyro/serpent/index.js';
import { canon, normalize } from './oracle.js';
import { pyTree, pyString } from './arbitraries.js';

describe('serpent round trip in TS (fast-check, shrinking)', () => {
  test('parse(serialize(v)) is v, for random value trees', () => {
    fc.assert(
      fc.property(pyTree, (v) => {
        assert.deepEqual(normalize(canon(parse(serialize(v), { preserveFloats: true }))), normalize(canon(v)));
      }),
      { numRuns: 600, seed: 424242 },
    );
  });

  test('serialize(parse(serialize(v))) is serialize(v): the text is stable', () => {
    fc.assert(
      fc.property(pyTree, (v) => {
        const once = serialize(v);
        assert.equal(serialize(parse(once, { preserveFloats: true })).toString('utf8'), once.toString('utf8'));
      }),
      { numRuns: 400, seed: 99 },
    );
  });

  test('any string survives, as a value and as a dict key', () => {
    fc.assert(
      fc.property(pyString, (s) => {
        assert.equal(parse(serialize(s)), s);
        const o = parse(serialize(pyObject([[s, 1]]))) as Record<string, PyValue>;
        assert.deepEqual(Object.keys(o), [s]);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  test('any double survives bit for bit (with preserveFloats for integral ones)', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const back = parse(serialize(new PyFloat(x)), { preserveFloats: true });
        const y = back instanceof PyFloat ? back.value : (back as number);
        assert.ok(Object.is(y, x), `${x} came back as ${y}`);
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  test('any bigint survives', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 2000n), max: 2n ** 2000n }), (n) => {
        const back = parse(serialize(n));
        assert.equal(typeof back === 'number' ? BigInt(back) : back, n);
        assert.equal(typeof back === 'number', n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER));
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});

describe('serpent values', () => {
  test('hashKey follows Python equality: 1 == 1.0 == True == (1+0j); str != bytes', () => {
    const one = hashKey(1);
    for (const v of [true, 1n, new PyFloat(1), new PyComplex(1, 0)] as PyValue[]) assert.equal(hashKey(v), one);
    assert.equal(hashKey(0), hashKey(-0));
    assert.equal(hashKey(false), hashKey(0));
    assert.notEqual(hashKey('a'), hashKey(Buffer.from('a')));
    assert.notEqual(hashKey('1'), hashKey(1));
    assert.equal(hashKey(2 ** 60), hashKey(2n ** 60n));
    assert.notEqual(hashKey(NaN), hashKey(NaN));
    assert.equal(hashKey(new PyTuple([1, 'a'])), hashKey(new PyTuple([true, 'a'])));
    assert.notEqual(hashKey(new PyTuple([new PyTuple(['a', 'b'])])), hashKey(new PyTuple(['a', 'b'])));
    for (const v of [[], {}, new PySet([]), new PyDict([]), new PyTuple([[1]])] as PyValue[]) assert.equal(hashKey(v), undefined);
  });

  test('PyDict.get compares keys the Python way', () => {
    const d = new PyDict([[1, 'one'], [new PyTuple([2, 3]), 'pair']]);
    assert.equal(d.get(true), 'one');
    assert.equal(d.get(new PyFloat(1)), 'one');
    assert.equal(d.get(new PyTuple([2, 3])), 'pair');
    assert.equal(d.get('1'), undefined);
    assert.equal(d.get([1]), undefined);
  });

  test('pyObject makes null-prototype objects', () => {
    const o = pyObject([['__proto__', 1]]);
    assert.equal(Object.getPrototypeOf(o), null);
    assert.deepEqual(Object.keys(o), ['__proto__']);
  });
});
