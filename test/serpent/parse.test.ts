import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { errorCases, bytesOf } from './cases.js';
import { parse, SerpentParseError, PyComplex, PyDict, PyFloat, PySet, PyTuple, type ParseOptions, type PyValue } from '../../src/pyro/serpent/index.js';

const H = '# serpent utf-8 python3.2\n';

/** parse() of a text's UTF-8 bytes (the reader reads bytes only). */
const read = (text: string, options?: ParseOptions): PyValue => parse(Buffer.from(text, 'utf8'), options);

/** The SerpentParseError parse() throws for `input` (failing the test if it returns or throws another error). */
function fails(input: Uint8Array, options = {}): SerpentParseError {
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
    assert.equal(read(H + 'None'), null);
    assert.equal(read(H + 'True'), true);
    assert.equal(read(H + 'False'), false);
  });

  test('ints: number when safe, bigint beyond 2^53, every base, underscores, signs', () => {
    assert.equal(read('0'), 0);
    assert.equal(read('00'), 0);
    assert.equal(read('-0'), 0);
    assert.ok(Object.is(read('-0'), 0), 'int -0 is 0, not -0');
    assert.equal(read('9007199254740991'), 9007199254740991);
    assert.equal(read('9007199254740992'), 9007199254740992n);
    assert.equal(read('-9007199254740991'), -9007199254740991);
    assert.equal(read('-9007199254740992'), -9007199254740992n);
    assert.equal(read('123456789012345678901234567890'), 123456789012345678901234567890n);
    assert.equal(read('0x_ff'), 255);
    assert.equal(read('0XfF'), 255);
    assert.equal(read('0o17'), 15);
    assert.equal(read('0b1010'), 10);
    assert.equal(read('0x' + 'f'.repeat(20)), 2n ** 80n - 1n);
    assert.equal(read('1_000_000'), 1000000);
    assert.equal(read('+5'), 5);
    assert.equal(read('-(5)'), -5);
  });

  test('floats: forms, -0.0, overflow to infinity, preserveFloats', () => {
    assert.equal(read('1.5'), 1.5);
    assert.equal(read('.5'), 0.5);
    assert.equal(read('1.'), 1);
    assert.equal(read('1.e5'), 100000);
    assert.equal(read('1_0.0_1e1_0'), 10.01e10);
    assert.equal(read('01.5'), 1.5);
    assert.ok(Object.is(read('-0.0'), -0));
    assert.equal(read('1e30000'), Infinity);
    assert.equal(read('-1e30000'), -Infinity);
    assert.equal(read('1e-30000'), 0);
    assert.equal(read('5e-324'), 5e-324);
    assert.equal(read('0.1'), 0.1);
    assert.deepEqual(read('3.0', { preserveFloats: true }), new PyFloat(3));
    assert.equal(read('3.5', { preserveFloats: true }), 3.5);
    assert.ok(Object.is(read('-0.0', { preserveFloats: true }), -0));
    assert.equal(read('3', { preserveFloats: true }), 3);
  });

  test('NaN: the float class dict decodes to NaN, as Pyro4 does', () => {
    assert.ok(Number.isNaN(read("{'__class__':'float','value':'nan'}")));
    assert.equal(read("{'__class__':'float','value':'-inf'}"), -Infinity);
    assert.equal(read("{'__class__':'float','value':'1.5'}"), 1.5);
    const other = read("{'__class__':'float','value':'nonsense'}") as Record<string, PyValue>;
    assert.equal(other.value, 'nonsense');
  });

  test('complex: imaginary literals, real +/- imaginary, Python 3.11 signs', () => {
    assert.deepEqual(read('(1.0+2.0j)'), new PyComplex(1, 2));
    assert.deepEqual(read('1-2j'), new PyComplex(1, -2));
    assert.deepEqual(read('2j'), new PyComplex(0, 2));
    assert.deepEqual(read('1J'), new PyComplex(0, 1));
    const neg = read('-1j') as PyComplex;
    assert.ok(Object.is(neg.real, -0) && neg.imag === -1);
    const z = read('(-0.0+1j)') as PyComplex;
    assert.ok(Object.is(z.real, 0), 'Python 3.11: -0.0 + 1j has real +0.0');
    assert.deepEqual(read('(1)+(2j)'), new PyComplex(1, 2));
    assert.deepEqual(read('(-1)+2j'), new PyComplex(-1, 2));
    assert.deepEqual(read('(1e30000-1e30000j)'), new PyComplex(Infinity, -Infinity));
    assert.deepEqual(read('9007199254740993+1j'), new PyComplex(9007199254740992, 1));
  });

  test('strings: quotes, prefixes, triple quotes, adjacent concatenation', () => {
    assert.equal(read("'a'"), 'a');
    assert.equal(read('"a"'), 'a');
    assert.equal(read("'''a'b'''"), "a'b");
    assert.equal(read('"""a\nb"""'), 'a\nb');
    assert.equal(read("'''a\r\nb\rc'''"), 'a\nb\nc');
    assert.equal(read("'a' \"b\" r'\\x' u'c' U'd' R'\\n'"), 'ab\\xcd\\n');
    assert.equal(read("('a'\n 'b' # c\n 'c')"), 'abc');
    assert.equal(read("'a' \\\n 'b'"), 'ab');
    assert.equal(read("''"), '');
    assert.equal(read('""""""'), '');
    assert.equal(read("'é€😀'"), 'é€😀');
  });

  test('string escapes: every form Python knows', () => {
    assert.equal(read("'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'"), '\x07\b\f\n\r\t\v\\\'"');
    assert.equal(read("'\\x41\\u00e9\\U0001F600'"), 'Aé😀');
    assert.equal(read("'\\0\\101\\1011\\777'"), '\0AA1\u01ff');
    assert.equal(read("'\\ud800'"), '\ud800');
    assert.equal(read("'\\udfff\\ud800'"), '\udfff\ud800');
    assert.equal(read("'\\ud83d\\ude00'"), '😀', 'two escaped halves make one UTF-16 pair');
    assert.equal(read("'a\\\nb'"), 'ab');
    assert.equal(read("'a\\\r\nb'"), 'ab');
    assert.equal(read("'\\q\\8'"), '\\q\\8', 'unknown escapes keep the backslash');
    assert.equal(read("r'\\''"), "\\'");
    assert.equal(read("r'a\\\nb'"), 'a\\\nb');
  });

  test('bytes literals and the base64 bytes dict decode to Buffer', () => {
    assert.deepEqual(read("b'a\\x00\\xff\\777'"), Buffer.from([0x61, 0, 0xff, 0xff]));
    assert.deepEqual(read("rb'\\x'"), Buffer.from('\\x'));
    assert.deepEqual(read("b'\\u1234'"), Buffer.from('\\u1234'));
    assert.deepEqual(read("b'a' B'b'"), Buffer.from('ab'));
    const b = read("{'data': 'YWJj', 'encoding': 'base64'}");
    assert.ok(Buffer.isBuffer(b));
    assert.deepEqual(b, Buffer.from('abc'));
    assert.deepEqual(read("{'encoding':'base64','data':''}"), Buffer.alloc(0));
    // Not canonical base64, or extra keys: stays a dict.
    const notBytes = read("{'data': 'YWJ', 'encoding': 'base64'}") as Record<string, PyValue>;
    assert.equal(notBytes.data, 'YWJ');
    const extra = read("{'data': 'YWJj', 'encoding': 'base64', 'x': 1}") as Record<string, PyValue>;
    assert.equal(extra.x, 1);
  });

  test('tuples, lists, sets, trailing commas, top-level tuple', () => {
    assert.deepEqual(read('()'), new PyTuple([]));
    assert.deepEqual(read('(1,)'), new PyTuple([1]));
    assert.equal(read('(1)'), 1);
    assert.deepEqual(read('(1,2,)'), new PyTuple([1, 2]));
    assert.deepEqual(read('1,'), new PyTuple([1]));
    assert.deepEqual(read('1, 2'), new PyTuple([1, 2]));
    assert.deepEqual(read('[1, [2], []]'), [1, [2], []]);
    assert.deepEqual(read('[1,]'), [1]);
    assert.deepEqual(read('{1}'), new PySet([1]));
    assert.deepEqual(read('{1, 2,}'), new PySet([1, 2]));
    assert.deepEqual(read('set()'), new PySet([]));
    assert.deepEqual(read('set ( )'), new PySet([]));
    assert.deepEqual(read('{1, 1.0, True, 2}'), new PySet([1, 2]), 'equal elements collapse, first kept');
  });

  test('dicts: str keys give a null-prototype object; other keys a PyDict', () => {
    const o = read("{'b': 1, 'a': [2]}") as Record<string, PyValue>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.deepEqual(Object.keys(o), ['b', 'a']);
    assert.deepEqual(read('{}'), Object.create(null));
    const d = read("{1: 'a', (1, 2): 'b', 'c': 3}");
    assert.ok(d instanceof PyDict);
    assert.deepEqual(d.entries, [[1, 'a'], [new PyTuple([1, 2]), 'b'], ['c', 3]]);
    assert.equal(d.get(1.0), 'a');
    assert.equal(d.get(new PyTuple([1, 2])), 'b');
    const merged = read('{1: 2, 1.0: 3, True: 4}') as PyDict;
    assert.deepEqual(merged.entries, [[1, 4]], 'Python keeps the first key and the last value');
    const dup = read("{'a': 1, 'b': 2, 'a': 3}") as Record<string, PyValue>;
    assert.deepEqual(Object.entries(dup), [['a', 3], ['b', 2]]);
  });

  test('dict keys come out right however they differ from the keys read before (the key cache guesses the next key)', () => {
    const docs: [string, string[]][] = [
      ["{'a':1,'b':2}", ['a', 'b']],
      ["{'a':1,'b':2}", ['a', 'b']],
      ["{'a':1,'bb':2}", ['a', 'bb']],
      ["{'a':1,'':2}", ['a', '']],
      ["{'a':1,\"b\":2}", ['a', 'b']],
      ["{'a':1,'b' :2}", ['a', 'b']],
      ["{'a':1,'b' 'c':2}", ['a', 'bc']],
      ["{'a':1,'b\\x41':2}", ['a', 'bA']],
      ["{'a':1,'1x':2}", ['a', '1x']],
      ["{'a':1,'b':2}", ['a', 'b']],
    ];
    for (const [text, keys] of docs) assert.deepEqual(Object.keys(read(text) as object), keys, text);
    assert.deepEqual(read("{'a', 'b'}"), new PySet(['a', 'b']));
  });

  test('__proto__ and constructor keys are plain data, never prototypes', () => {
    const o = read("{'__proto__': {'polluted': 1}, 'constructor': {'prototype': 2}, 'toString': 3}") as Record<string, PyValue>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.deepEqual(Object.keys(o), ['__proto__', 'constructor', 'toString']);
    assert.equal(Object.getPrototypeOf(o['__proto__'] as object), null);
    assert.equal((o['__proto__'] as Record<string, PyValue>).polluted, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(o.toString, 3);
  });

  test('__class__ dicts (exceptions) stay dicts for the Pyro layer', () => {
    const e = read("{'__class__':'builtins.ValueError','__exception__':True,'args':('bad',),'attributes':{}}") as Record<string, PyValue>;
    assert.equal(e.__class__, 'builtins.ValueError');
    assert.deepEqual(e.args, new PyTuple(['bad']));
  });

  test('layout: header comment, comments, blank lines, continuations, CRLF, leading blanks', () => {
    assert.deepEqual(read(H + '[1, # one\n\n 2,\r\n 3]  # end\n\n'), [1, 2, 3]);
    assert.equal(read('\n\n  \n1'), 1);
    assert.equal(read('  1'), 1);
    assert.equal(read('\x0c1'), 1);
    assert.deepEqual(read('1 \\\n+ 2j'), new PyComplex(1, 2));
    assert.equal(read(H + '1\r\n'), 1);
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

  test('text is refused: the reader reads bytes (encode text as UTF-8 first)', () => {
    assert.throws(() => parse('[1]' as unknown as Uint8Array), { name: 'TypeError', message: /reads bytes/ });
  });
});

describe('serpent parse: limits', () => {
  test('maxLength: an input of exactly maxLength bytes is read', () => {
    assert.equal(read('1', { maxLength: 1 }), 1);
  });

  test('maxDepth: nesting at the limit parses, one more is refused', () => {
    const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    assert.doesNotThrow(() => read(nest(1000)));
    assert.doesNotThrow(() => read(nest(10), { maxDepth: 10 }));
    assert.equal(read('((((1))))', { maxDepth: 4 }), 1);
  });

  test('the default maxDepth (1000) holds for every kind of bracket', () => {
    const nest = (open: string, inner: string, close: string): string => open.repeat(1000) + inner + close.repeat(1000);
    for (const text of [nest('[', '', ']'), nest('(1,', '', ')'), nest('{1:', '1', '}'), nest("{'a':", '1', '}'), '[{1:'.repeat(500) + '1' + '}]'.repeat(500)]) {
      assert.doesNotThrow(() => read(text), text.slice(0, 10));
    }
  });

  test('nesting deeper than the JS stack holds is a SerpentParseError at the innermost bracket, not a crash', () => {
    const err = fails(Buffer.from('['.repeat(200_000) + ']'.repeat(200_000)), { maxDepth: 1_000_000 });
    assert.match(err.reason, /^nesting of \d+ brackets is deeper than the JS stack allows: lower maxDepth$/);
    assert.ok(err.position > 1000 && err.position < 200_000, `position ${err.position}`);
    assert.deepEqual(read('[[1]]'), [[1]], 'the reader is usable afterwards');
  });

  test('a 10 MB bytes payload decodes (no regex over the data)', () => {
    const data = Buffer.alloc(10 * 1024 * 1024, 7);
    const v = read(`{'data': '${data.toString('base64')}', 'encoding': 'base64'}`);
    assert.ok(Buffer.isBuffer(v));
    assert.equal(v.length, data.length);
    assert.ok(v.equals(data));
  });

  test('megabyte-long numbers, comments and blank runs are read in one pass', () => {
    assert.equal(read('0x' + 'f'.repeat(100_000)), 16n ** 100_000n - 1n);
    assert.equal(read('1.' + '0'.repeat(1_000_000)), 1);
    assert.equal(read('#'.repeat(1_000_000) + '\n' + ' '.repeat(999_999) + '\n2'), 2);
  });

  test('long strings and many items parse', () => {
    const long = 'x'.repeat(1_000_000);
    assert.equal(read(`'${long}'`), long);
    const escaped = '\\n'.repeat(100_000);
    assert.equal((read(`'${escaped}'`) as string).length, 100_000);
    const many = read('[' + '1,'.repeat(200_000) + ']') as PyValue[];
    assert.equal(many.length, 200_000);
  });
});
