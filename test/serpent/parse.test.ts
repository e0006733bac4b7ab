import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { errorCases, bytesOf } from './cases.js';
import { parse, SerpentParseError, PyComplex, PyDict, PyFloat, PySet, PyTuple, type PyValue } from '../../src/pyro/serpent/index.js';

const H = '# serpent utf-8 python3.2\n';

/** The SerpentParseError parse() throws for `input` (failing the test if it returns or throws another error). */
function fails(input: string | Uint8Array, options = {}): SerpentParseError {
  try {
    parse(input, options);
  } catch (err) {
    assert.ok(err instanceof SerpentParseError, `expected a SerpentParseError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a SerpentParseError for ${JSON.stringify(String(input).slice(0, 60))}`);
}

describe('serpent parse: values', () => {
  test('None, True, False', () => {
    assert.equal(parse(H + 'None'), null);
    assert.equal(parse(H + 'True'), true);
    assert.equal(parse(H + 'False'), false);
  });

  test('ints: number when safe, bigint beyond 2^53, every base, underscores, signs', () => {
    assert.equal(parse('0'), 0);
    assert.equal(parse('00'), 0);
    assert.equal(parse('-0'), 0);
    assert.ok(Object.is(parse('-0'), 0), 'int -0 is 0, not -0');
    assert.equal(parse('9007199254740991'), 9007199254740991);
    assert.equal(parse('9007199254740992'), 9007199254740992n);
    assert.equal(parse('-9007199254740991'), -9007199254740991);
    assert.equal(parse('-9007199254740992'), -9007199254740992n);
    assert.equal(parse('123456789012345678901234567890'), 123456789012345678901234567890n);
    assert.equal(parse('0x_ff'), 255);
    assert.equal(parse('0XfF'), 255);
    assert.equal(parse('0o17'), 15);
    assert.equal(parse('0b1010'), 10);
    assert.equal(parse('0x' + 'f'.repeat(20)), 2n ** 80n - 1n);
    assert.equal(parse('1_000_000'), 1000000);
    assert.equal(parse('+5'), 5);
    assert.equal(parse('-(5)'), -5);
  });

  test('floats: forms, -0.0, overflow to infinity, preserveFloats', () => {
    assert.equal(parse('1.5'), 1.5);
    assert.equal(parse('.5'), 0.5);
    assert.equal(parse('1.'), 1);
    assert.equal(parse('1.e5'), 100000);
    assert.equal(parse('1_0.0_1e1_0'), 10.01e10);
    assert.equal(parse('01.5'), 1.5);
    assert.ok(Object.is(parse('-0.0'), -0));
    assert.equal(parse('1e30000'), Infinity);
    assert.equal(parse('-1e30000'), -Infinity);
    assert.equal(parse('1e-30000'), 0);
    assert.equal(parse('5e-324'), 5e-324);
    assert.equal(parse('0.1'), 0.1);
    assert.deepEqual(parse('3.0', { preserveFloats: true }), new PyFloat(3));
    assert.equal(parse('3.5', { preserveFloats: true }), 3.5);
    assert.ok(Object.is(parse('-0.0', { preserveFloats: true }), -0));
    assert.equal(parse('3', { preserveFloats: true }), 3);
  });

  test('NaN: the float class dict decodes to NaN, as Pyro4 does', () => {
    assert.ok(Number.isNaN(parse("{'__class__':'float','value':'nan'}")));
    assert.equal(parse("{'__class__':'float','value':'-inf'}"), -Infinity);
    assert.equal(parse("{'__class__':'float','value':'1.5'}"), 1.5);
    const other = parse("{'__class__':'float','value':'nonsense'}") as Record<string, PyValue>;
    assert.equal(other.value, 'nonsense');
  });

  test('complex: imaginary literals, real +/- imaginary, Python 3.11 signs', () => {
    assert.deepEqual(parse('(1.0+2.0j)'), new PyComplex(1, 2));
    assert.deepEqual(parse('1-2j'), new PyComplex(1, -2));
    assert.deepEqual(parse('2j'), new PyComplex(0, 2));
    assert.deepEqual(parse('1J'), new PyComplex(0, 1));
    const neg = parse('-1j') as PyComplex;
    assert.ok(Object.is(neg.real, -0) && neg.imag === -1);
    const z = parse('(-0.0+1j)') as PyComplex;
    assert.ok(Object.is(z.real, 0), 'Python 3.11: -0.0 + 1j has real +0.0');
    assert.deepEqual(parse('(1)+(2j)'), new PyComplex(1, 2));
    assert.deepEqual(parse('(-1)+2j'), new PyComplex(-1, 2));
    assert.deepEqual(parse('(1e30000-1e30000j)'), new PyComplex(Infinity, -Infinity));
    assert.deepEqual(parse('9007199254740993+1j'), new PyComplex(9007199254740992, 1));
  });

  test('strings: quotes, prefixes, triple quotes, adjacent concatenation', () => {
    assert.equal(parse("'a'"), 'a');
    assert.equal(parse('"a"'), 'a');
    assert.equal(parse("'''a'b'''"), "a'b");
    assert.equal(parse('"""a\nb"""'), 'a\nb');
    assert.equal(parse("'''a\r\nb\rc'''"), 'a\nb\nc');
    assert.equal(parse("'a' \"b\" r'\\x' u'c' U'd' R'\\n'"), 'ab\\xcd\\n');
    assert.equal(parse("('a'\n 'b' # c\n 'c')"), 'abc');
    assert.equal(parse("'a' \\\n 'b'"), 'ab');
    assert.equal(parse("''"), '');
    assert.equal(parse('""""""'), '');
    assert.equal(parse("'é€😀'"), 'é€😀');
  });

  test('string escapes: every form Python knows', () => {
    assert.equal(parse("'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'"), '\x07\b\f\n\r\t\v\\\'"');
    assert.equal(parse("'\\x41\\u00e9\\U0001F600'"), 'Aé😀');
    assert.equal(parse("'\\0\\101\\1011\\777'"), '\0AA1\u01ff');
    assert.equal(parse("'\\ud800'"), '\ud800');
    assert.equal(parse("'\\udfff\\ud800'"), '\udfff\ud800');
    assert.equal(parse("'\\ud83d\\ude00'"), '😀', 'two escaped halves make one UTF-16 pair');
    assert.equal(parse("'a\\\nb'"), 'ab');
    assert.equal(parse("'a\\\r\nb'"), 'ab');
    assert.equal(parse("'\\q\\8'"), '\\q\\8', 'unknown escapes keep the backslash');
    assert.equal(parse("r'\\''"), "\\'");
    assert.equal(parse("r'a\\\nb'"), 'a\\\nb');
  });

  test('bytes literals and the base64 bytes dict decode to Buffer', () => {
    assert.deepEqual(parse("b'a\\x00\\xff\\777'"), Buffer.from([0x61, 0, 0xff, 0xff]));
    assert.deepEqual(parse("rb'\\x'"), Buffer.from('\\x'));
    assert.deepEqual(parse("b'\\u1234'"), Buffer.from('\\u1234'));
    assert.deepEqual(parse("b'a' B'b'"), Buffer.from('ab'));
    const b = parse("{'data': 'YWJj', 'encoding': 'base64'}");
    assert.ok(Buffer.isBuffer(b));
    assert.deepEqual(b, Buffer.from('abc'));
    assert.deepEqual(parse("{'encoding':'base64','data':''}"), Buffer.alloc(0));
    // Not canonical base64, or extra keys: stays a dict.
    const notBytes = parse("{'data': 'YWJ', 'encoding': 'base64'}") as Record<string, PyValue>;
    assert.equal(notBytes.data, 'YWJ');
    const extra = parse("{'data': 'YWJj', 'encoding': 'base64', 'x': 1}") as Record<string, PyValue>;
    assert.equal(extra.x, 1);
  });

  test('tuples, lists, sets, trailing commas, top-level tuple', () => {
    assert.deepEqual(parse('()'), new PyTuple([]));
    assert.deepEqual(parse('(1,)'), new PyTuple([1]));
    assert.equal(parse('(1)'), 1);
    assert.deepEqual(parse('(1,2,)'), new PyTuple([1, 2]));
    assert.deepEqual(parse('1,'), new PyTuple([1]));
    assert.deepEqual(parse('1, 2'), new PyTuple([1, 2]));
    assert.deepEqual(parse('[1, [2], []]'), [1, [2], []]);
    assert.deepEqual(parse('[1,]'), [1]);
    assert.deepEqual(parse('{1}'), new PySet([1]));
    assert.deepEqual(parse('{1, 2,}'), new PySet([1, 2]));
    assert.deepEqual(parse('set()'), new PySet([]));
    assert.deepEqual(parse('set ( )'), new PySet([]));
    assert.deepEqual(parse('{1, 1.0, True, 2}'), new PySet([1, 2]), 'equal elements collapse, first kept');
  });

  test('dicts: str keys give a null-prototype object; other keys a PyDict', () => {
    const o = parse("{'b': 1, 'a': [2]}") as Record<string, PyValue>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.deepEqual(Object.keys(o), ['b', 'a']);
    assert.deepEqual(parse('{}'), Object.create(null));
    const d = parse("{1: 'a', (1, 2): 'b', 'c': 3}");
    assert.ok(d instanceof PyDict);
    assert.deepEqual(d.entries, [[1, 'a'], [new PyTuple([1, 2]), 'b'], ['c', 3]]);
    assert.equal(d.get(1.0), 'a');
    assert.equal(d.get(new PyTuple([1, 2])), 'b');
    const merged = parse('{1: 2, 1.0: 3, True: 4}') as PyDict;
    assert.deepEqual(merged.entries, [[1, 4]], 'Python keeps the first key and the last value');
    const dup = parse("{'a': 1, 'b': 2, 'a': 3}") as Record<string, PyValue>;
    assert.deepEqual(Object.entries(dup), [['a', 3], ['b', 2]]);
  });

  test('__proto__ and constructor keys are plain data, never prototypes', () => {
    const o = parse("{'__proto__': {'polluted': 1}, 'constructor': {'prototype': 2}, 'toString': 3}") as Record<string, PyValue>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.deepEqual(Object.keys(o), ['__proto__', 'constructor', 'toString']);
    assert.equal(Object.getPrototypeOf(o['__proto__'] as object), null);
    assert.equal((o['__proto__'] as Record<string, PyValue>).polluted, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(o.toString, 3);
  });

  test('__class__ dicts (exceptions) stay dicts for the Pyro layer', () => {
    const e = parse("{'__class__':'builtins.ValueError','__exception__':True,'args':('bad',),'attributes':{}}") as Record<string, PyValue>;
    assert.equal(e.__class__, 'builtins.ValueError');
    assert.deepEqual(e.args, new PyTuple(['bad']));
  });

  test('layout: header comment, comments, blank lines, continuations, CRLF, leading blanks', () => {
    assert.deepEqual(parse(H + '[1, # one\n\n 2,\r\n 3]  # end\n\n'), [1, 2, 3]);
    assert.equal(parse('\n\n  \n1'), 1);
    assert.equal(parse('  1'), 1);
    assert.equal(parse('\x0c1'), 1);
    assert.deepEqual(parse('1 \\\n+ 2j'), new PyComplex(1, 2));
    assert.equal(parse(H + '1\r\n'), 1);
  });
});

describe('serpent parse: errors name the reason and the byte position', () => {
  for (const [group, cases] of Object.entries(errorCases)) {
    test(group, () => {
      for (const c of cases) {
        const bytes = bytesOf(c.input);
        const err = fails(bytes, c.options);
        const label = JSON.stringify(bytes.subarray(0, 60).toString('latin1'));
        assert.deepEqual([err.reason, err.position, err.line, err.column], [c.reason, ...c.at], label);
        assert.equal(err.message, `serpent parse error at line ${c.at[1]}, column ${c.at[2]} (offset ${c.at[0]}): ${c.reason}`);
      }
    });
  }

  test('string input: a lone surrogate has no UTF-8 form', () => {
    const err = fails('[\ud800]');
    assert.equal(err.position, 1);
    assert.match(err.reason, /lone surrogate/);
  });

  test('positions of string input are UTF-16 offsets', () => {
    const text = "['é€😀' x]";
    assert.equal(fails(text).position, text.indexOf('x'));
  });
});

describe('serpent parse: limits', () => {
  test('maxLength: an input of exactly maxLength bytes is read', () => {
    assert.equal(parse('1', { maxLength: 1 }), 1);
  });

  test('maxDepth: nesting at the limit parses, one more is refused', () => {
    const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    assert.doesNotThrow(() => parse(nest(1000)));
    assert.doesNotThrow(() => parse(nest(10), { maxDepth: 10 }));
    assert.equal(parse('((((1))))', { maxDepth: 4 }), 1);
  });

  test('a very deep but allowed structure parses without recursion', () => {
    const n = 50_000;
    let v = parse('['.repeat(n) + ']'.repeat(n), { maxDepth: n }) as PyValue[];
    let depth = 1;
    while (v.length === 1) {
      v = v[0] as PyValue[];
      depth++;
    }
    assert.equal(depth, n);
  });

  test('a 10 MB bytes payload decodes (no regex over the data)', () => {
    const data = Buffer.alloc(10 * 1024 * 1024, 7);
    const v = parse(`{'data': '${data.toString('base64')}', 'encoding': 'base64'}`);
    assert.ok(Buffer.isBuffer(v));
    assert.equal(v.length, data.length);
    assert.ok(v.equals(data));
  });

  test('megabyte-long numbers, comments and blank runs are read in one pass', () => {
    assert.equal(parse('0x' + 'f'.repeat(100_000)), 16n ** 100_000n - 1n);
    assert.equal(parse('1.' + '0'.repeat(1_000_000)), 1);
    assert.equal(parse('#'.repeat(1_000_000) + '\n' + ' '.repeat(999_999) + '\n2'), 2);
  });

  test('long strings and many items parse', () => {
    const long = 'x'.repeat(1_000_000);
    assert.equal(parse(`'${long}'`), long);
    const escaped = '\\n'.repeat(100_000);
    assert.equal((parse(`'${escaped}'`) as string).length, 100_000);
    const many = parse('[' + '1,'.repeat(200_000) + ']') as PyValue[];
    assert.equal(many.length, 200_000);
  });
});
