import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, SerpentSerializeError, PyComplex, PyDict, PyFloat, pyObject, PySet, PyTuple, type PyValue } from '../../src/pyro/serpent/index.js';

/** The text after the header line. */
const body = (v: PyValue): string => {
  const s = serialize(v).toString('utf8');
  assert.ok(s.startsWith('# serpent utf-8 python3.2\n'));
  return s.slice('# serpent utf-8 python3.2\n'.length);
};

describe('serpent serialize writes what Python serpent 1.41 writes', () => {
  test('header line and UTF-8 bytes', () => {
    const b = serialize('é');
    assert.ok(Buffer.isBuffer(b));
    assert.deepEqual(b, Buffer.from("# serpent utf-8 python3.2\n'é'", 'utf8'));
  });

  test('None, True, False', () => {
    assert.equal(body(null), 'None');
    assert.equal(body(true), 'True');
    assert.equal(body(false), 'False');
  });

  test('ints: safe integers from number, any size from bigint', () => {
    assert.equal(body(0), '0');
    assert.equal(body(-17), '-17');
    assert.equal(body(Number.MAX_SAFE_INTEGER), '9007199254740991');
    assert.equal(body(2n ** 64n), '18446744073709551616');
    assert.equal(body(-(2n ** 100n)), '-1267650600228229401496703205376');
    assert.equal(body(5n), '5');
  });

  test('an int Python could not read back (over 4300 digits) is refused', () => {
    assert.equal(body(10n ** 4299n).length, 4300);
    assert.throws(() => serialize(10n ** 4300n), SerpentSerializeError);
  });

  test('floats as Python repr: shortest round trip, exponent rules, -0.0', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'], [-0, '-0.0'], [0.1, '0.1'], [1 / 3, '0.3333333333333333'], [1e16, '1e+16'],
      [1e15 + 0.5, '1000000000000000.5'], [123456789012345680, '1.2345678901234568e+17'], [1e-4, '0.0001'],
      [1e-5, '1e-05'], [2.5e-7, '2.5e-07'], [5e-324, '5e-324'], [Number.MAX_VALUE, '1.7976931348623157e+308'],
      [1e22, '1e+22'], [-1234.5678, '-1234.5678'], [9007199254740992, '9007199254740992.0'], [1e300, '1e+300'],
    ];
    for (const [x, text] of cases) assert.equal(body(x), text, String(x));
  });

  test('infinities overflow on purpose; NaN is the float class dict', () => {
    assert.equal(body(Infinity), '1e30000');
    assert.equal(body(-Infinity), '-1e30000');
    assert.equal(body(NaN), "{'__class__':'float','value':'nan'}");
  });

  test('PyFloat keeps integral floats floats', () => {
    assert.equal(body(new PyFloat(3)), '3.0');
    assert.equal(body(new PyFloat(-2)), '-2.0');
    assert.equal(body(new PyFloat(1e16)), '1e+16');
    assert.equal(body(new PyFloat(NaN)), "{'__class__':'float','value':'nan'}");
  });

  test('complex in parentheses, sign rules, infinities', () => {
    assert.equal(body(new PyComplex(1, 2)), '(1.0+2.0j)');
    assert.equal(body(new PyComplex(-1.5, -2.5)), '(-1.5-2.5j)');
    assert.equal(body(new PyComplex(0, 0)), '(0.0+0.0j)');
    assert.equal(body(new PyComplex(Infinity, -Infinity)), '(1e30000-1e30000j)');
    assert.equal(body(new PyComplex(1, -0)), '(1.0-0.0j)');
    assert.throws(() => serialize(new PyComplex(NaN, 1)), /NaN/);
  });

  test('str as Python repr: quote choice and every escape form', () => {
    assert.equal(body(''), "''");
    assert.equal(body('a'), "'a'");
    assert.equal(body("'"), `"'"`);
    assert.equal(body('"'), `'"'`);
    assert.equal(body(`'"`), `'\\'"'`);
    assert.equal(body('\\'), "'\\\\'");
    assert.equal(body('\t\n\r'), "'\\t\\n\\r'");
    assert.equal(body('\0\x07\x1b\x7f'), "'\\x00\\x07\\x1b\\x7f'");
    assert.equal(body('\x80\xa0\xad\xe9\xff'), "'\\x80\\xa0\\xad\xe9\xff'");
    assert.equal(body('\u2028\u3000€'), "'\\u2028\\u3000€'");
    assert.equal(body('\ud800'), "'\\ud800'");
    assert.equal(body('\udfff'), "'\\udfff'");
    assert.equal(body('😀'), "'😀'");
    assert.equal(body('\u{e0001}'), "'\\U000e0001'");
    assert.equal(body('\u{31350}'), "'\\U00031350'"); // unassigned in Python 3.11's Unicode 14
  });

  test('bytes as the base64 dict, with repr spacing', () => {
    assert.equal(body(Buffer.from('abc')), "{'data': 'YWJj', 'encoding': 'base64'}");
    assert.equal(body(new Uint8Array(0)), "{'data': '', 'encoding': 'base64'}");
    assert.equal(body(new Uint8Array([0, 255]).subarray(1)), "{'data': '/w==', 'encoding': 'base64'}");
  });

  test('tuples, lists: no spaces, one-tuple comma', () => {
    assert.equal(body(new PyTuple()), '()');
    assert.equal(body(new PyTuple([1])), '(1,)');
    assert.equal(body(new PyTuple([1, 2])), '(1,2)');
    assert.equal(body([]), '[]');
    assert.equal(body([1, 'a', [null]]), "[1,'a',[None]]");
  });

  test('sets: empty set written as (), JS Set accepted', () => {
    assert.equal(body(new PySet()), '()');
    assert.equal(body(new PySet([1, 'a'])), "{1,'a'}");
    assert.equal(body(new Set<PyValue>([new PyTuple([1])])), '{(1,)}');
    assert.equal(body(new Set<PyValue>()), '()');
  });

  test('dicts in insertion order; str-keyed objects, PyDict and Map', () => {
    assert.equal(body({}), '{}');
    assert.equal(body({ b: 1, a: [2] }), "{'b':1,'a':[2]}");
    assert.equal(body(pyObject([['__proto__', 1]])), "{'__proto__':1}");
    assert.equal(body(new PyDict([[1, 'a'], [new PyTuple([1, 2]), 'b']])), "{1:'a',(1,2):'b'}");
    assert.equal(body(new Map<PyValue, PyValue>([[1.5, 2], [new PyComplex(1, 1), 3]])), '{1.5:2,(1.0+1.0j):3}');
  });

  test('keys Python cannot hash back, or that Python would merge, are refused', () => {
    assert.throws(() => serialize(new PyDict([[null, 1]])), /None as a dict key/);
    assert.throws(() => serialize(new PyDict([[Buffer.from('a'), 1]])), /bytes as a dict key/);
    assert.throws(() => serialize(new PyDict([[[1], 1]])), /unhashable/);
    assert.throws(() => serialize(new PyDict([[new PyTuple([[1]]), 1]])), /unhashable/);
    assert.throws(() => serialize(new PySet([{ a: 1 }])), /unhashable/);
    assert.throws(() => serialize(new PyDict([[1, 'a'], [true, 'b']])), /duplicate dict key/);
    assert.throws(() => serialize(new PySet([1, new PyFloat(1)])), /duplicate set element/);
    assert.equal(body(new PyDict([[new PyTuple([null]), 1]])), '{(None,):1}');
  });

  test('non-Python values are refused with the offending type named', () => {
    assert.throws(() => serialize(undefined as unknown as PyValue), /undefined/);
    assert.throws(() => serialize((() => 1) as unknown as PyValue), /function/);
    assert.throws(() => serialize(new Date() as unknown as PyValue), /class Date/);
    assert.throws(() => serialize({ a: undefined } as unknown as PyValue), /undefined/);
    assert.throws(() => serialize(Symbol('x') as unknown as PyValue), SerpentSerializeError);
  });

  test('circular references are refused', () => {
    const a: PyValue[] = [];
    a.push(a);
    assert.throws(() => serialize(a), /circular/);
    const o = pyObject();
    o.self = o;
    assert.throws(() => serialize(o), /circular/);
    const shared = [1];
    assert.equal(body([shared, shared]), '[[1],[1]]'); // shared, not circular
  });

  test('nesting deeper than Python serpent allows (level 200) is refused', () => {
    let v: PyValue = 1;
    for (let i = 0; i < 200; i++) v = [v];
    assert.equal(body(v).length, 401);
    assert.throws(() => serialize([v]), /nested deeper than 200/);
    assert.doesNotThrow(() => serialize([v], { maxLevel: 300 }));
  });

  test('a raised maxLevel never turns deep input into a stack overflow', () => {
    let v: PyValue = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    assert.throws(() => serialize(v, { maxLevel: Infinity }), SerpentSerializeError);
  });
});
