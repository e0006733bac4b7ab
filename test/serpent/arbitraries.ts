// fast-check generators of serpent value trees, shared by the in-process and the Python
// cross-checking property tests.
import fc from 'fast-check';
import { hashKey, PyComplex, PyDict, PyFloat, pyObject, PySet, PyTuple, isPlainObject, type PyValue } from '../../src/pyro/serpent/index.js';

const tricky = fc.constantFrom(
  "'", '"', '\\', '\n', '\r', '\t', '\0', '\x07', '\x7f', '\x80', '\xa0', '\xad', '\ud800', '\udbff', '\udc00', '\udfff',
  '\u2028', '\u3000', 'é', '€', '😀', '\u{e0001}', '\u{31350}', '\u0870', '\ufeff', 'a', ' ', '#', '{', '}',
);

/** Strings full of quotes, escapes, controls, lone surrogates and characters of every plane. */
export const pyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ maxLength: 12 }),
);

/** Finite, never negative zero: complex parts that survive Python's `re + imag*1j` reading. */
const complexPart = fc.double({ noNaN: true }).filter((x) => !Object.is(x, -0));

export const pyComplex = fc
  .tuple(fc.oneof(complexPart, fc.constant(0)), fc.oneof(complexPart, fc.constant(0)))
  .map(([re, im]) => new PyComplex(Object.is(re, -0) ? 0 : re, Object.is(im, -0) ? 0 : im));

const bigInt = fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n });

export const pyScalar: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  bigInt,
  fc.double(),
  fc.double().map((x) => new PyFloat(x)),
  pyComplex,
  pyString,
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
);

/** Values Python can hash after serpent writes them (no bytes, no NaN, no containers but tuples). */
const hashableLeaf: fc.Arbitrary<PyValue> = fc.oneof(
  fc.boolean(),
  fc.integer(),
  bigInt,
  fc.double({ noNaN: true }),
  pyComplex,
  pyString,
);
export const pyHashable: fc.Arbitrary<PyValue> = fc.oneof(
  { weight: 4, arbitrary: hashableLeaf },
  { weight: 1, arbitrary: fc.array(fc.oneof(hashableLeaf, fc.constant(null)), { maxLength: 3 }).map((a) => new PyTuple(a)) },
);

const selector = (v: PyValue): string => hashKey(v)!;

export const pyTree: fc.Arbitrary<PyValue> = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: pyScalar },
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(tie('value'), { maxLength: 5 }).map((a) => new PyTuple(a)),
    fc.uniqueArray(pyHashable, { maxLength: 5, selector }).map((a) => new PySet(a)),
    fc
      .uniqueArray(fc.tuple(pyHashable, tie('value')), { maxLength: 5, selector: ([k]) => selector(k) })
      .map((e) => new PyDict(e)),
    fc
      .uniqueArray(fc.tuple(pyString, tie('value')), { maxLength: 5, selector: ([k]) => k })
      .map((e) => pyObject(e)),
  ),
})).value;

/** Whether Python's own output for this tree should be byte-identical to ours. */
export function byteExactCandidate(v: PyValue): boolean {
  if (v instanceof PySet) return v.items.length <= 1 && v.items.every(byteExactCandidate);
  if (Array.isArray(v)) return v.every(byteExactCandidate);
  if (v instanceof PyTuple) return v.items.every(byteExactCandidate);
  if (v instanceof PyDict) return v.entries.every(([k, x]) => byteExactCandidate(k) && byteExactCandidate(x));
  if (isPlainObject(v)) return Object.keys(v).every((k) => !/^\d+$/.test(k) && byteExactCandidate(v[k]!));
  // Python reads our bytes dict as a dict, and re-writes a dict without repr's spaces.
  return !(v instanceof Uint8Array);
}
