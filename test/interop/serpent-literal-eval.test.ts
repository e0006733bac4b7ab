import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, SerpentParseError } from '../../src/pyro/serpent/index.js';
import { canon, normalize, pythonLoad } from '../serpent/oracle.js';
import { pyTree } from '../serpent/arbitraries.js';

// Literal texts fed to both readers: Python's serpent.loads (ast.literal_eval) and our parse().
// Each must be accepted by both with the same value, or refused by both.
const texts: string[] = [
  // layout: comments, blank lines, continuations, CR/CRLF, indentation
  '# serpent utf-8 python3.2\n1', '\n\n1', '1\n\n', '1 # c', '  1', '\t1', '\x0c1', '1\x0c', '# c\n  1', '1\n2',
  '(1,\n2)', '[1, # c\n 2]', '1 \\\n+2j', '\\\n1', '1\\', '(1)\r\n', '(1,\r2)', '[\r\n1\r\n]', '',
  '# only a comment', '\n', '1;', '1 2', '(1 2)', '1\n  \n', '1\n  ', '1\n  # c', '1\n\t\n', '1 \\\n', '1 \\\n ',
  '1 \\\n\n', '(1 \\\n)', '1\n\x0c', '1\n \x0c', '1\n\x0c ', ' \n1', '\n \n1', '[1,\\\n2]', '1\n\\\n', '0.5\r\r ', '1  ', '\f\t\f0j ', '\t\f1', '\f\t1', '#\n\f 1', '#\n \f1',
  // names
  'None', 'True', 'False', 'none', 'Ellipsis', 'set()', 'set ( )', 'set([])', 'set', 'x', 'True()', 'None.x',
  // numbers
  '0', '00', '0_0', '01', '1_000', '1__0', '1_', '0x_ff', '0XfF', '0o17', '0O_7', '0b101', '0b12', '0x', '0xg',
  '1.', '.5', '1.e5', '1._5', '1_0.0_1e1_0', '1e', '1e+', '1E-3', '01.5', '01e1', '01j', '.5j', '1J', '1e5j',
  '1abc', '1.2.3', '9007199254740993', '-9007199254740993', '123456789012345678901234567890', '-0', '+0', '-0.0',
  '1e30000', '-1e30000', '1e-30000', '4.9e-324', '2.4703282292062328e-324', '0.1e1', '179769313486231570000e288',
  '-1', '+1', '--1', '-+1', '- 1', '-(1)', '-((1))', '-(1,)', '-(-1)', '-True', '-"a"', '-[1]',
  // complex
  '1+2j', '1-2j', '-1-2j', '-1j', '+1j', '(1.0+2.0j)', '(-0.0+1j)', '-0.0-0j', '-0-0j', '0.0-0.0j', '(1)+2j', '1+(2j)',
  '(1+2j)+3j', '1+2j+3j', '2j+1j', '1+2', '1+2.0', 'True+1j', '(-1)+2j', '-(1+2j)', '1 - -2j', '(1.0+-0.0j)',
  '1e30000+1e30000j', '10**400+1j', str10k() + '+1j', '1+2j,3-4j',
  // strings
  "'a'", '"a"', "'''a'''", '"""a\nb"""', "'a\nb'", "'''a\r\nb\rc'''", "'a' 'b'", "'a' \"b\" r'\\x'", "u'a' 'b'",
  "U'a'", "ur'a'", "f'a'", "rb'a'", "Rb'\\x'", "bR'\\\\'", "b'a' b'b'", "'a' b'b'", "b'\\xff\\777'", "b'\\u1234'",
  "b'\u00e9'", "'\\x4'", "'\\x41'", "'\\u00e9'", "'\\U0001F600'", "'\\U00110000'", "'\\ud800'", "'\\ud83d\\ude00'",
  "'\\8'", "'\\q'", "'\\0'", "'\\101\\1011'", "'\\777'", "'a\\\nb'", "r'a\\\nb'", "r'\\''", "r'\\'", "'\\'",
  "'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'", "'unterminated", '"""unterminated', "'é€😀'", "'\u2028'", "'a'\n'b'",
  "('a'\n'b')", "('a' # c\n 'b')", "'a' \\\n 'b'", "''", '""""""', "'''''''", "'\\N{BULLET}'",
  // containers
  '()', '(1)', '(1,)', '(1,2,)', '(,)', '(1,,2)', '[]', '[,]', '[1,]', '[1,,]', '{}', '{1}', '{1,}', '{,}',
  '{1:2}', '{1:2,}', '{1:}', '{:1}', '{1:2,3}', '{1,2:3}', '{1:2:3}', '{**a}', '{*a}', '[*a]', '1,', '1,2', ',1',
  '{1,[2]}', '{[1]:2}', '{(1,[2]):3}', '{(1,(2,)):3}', '{1:2,1.0:3,True:4}', '{1,1.0,True}', '{0,False,0j}',
  "{'a':1,'a':2}", "{'__proto__':{'x':1},'constructor':2}", '{(): ()}', '[1][0]', '(1)(2)', '{}[1]', '[1,2',
  '(1', '{1', ']', ')', '}', '[1)', '(1]', "{'data':'YWJj','encoding':'base64'}", "{'__class__':'float','value':'nan'}",
  "{'__class__':'float','value':'-inf'}", "{'__class__':'float','value':'1.5'}", "{'__class__':'float','value':'x'}",
  "{{'data':'YWJj','encoding':'base64'}: 1}", "{({'__class__':'float','value':'nan'},): 1}", "{b'a': 1, (b'',): 2}",
  "{'data':'YWJ','encoding':'base64'}", "{'data':'YW Jj','encoding':'base64'}", "{'encoding':'base64','data':''}",
  // hostile characters
  '1\x00', '\ufeff1', '\x0b1', '\u00a01', '1 $', '1 ?', '`1`', 'é', '\u200b1',
  // nesting within both limits
  '['.repeat(150) + ']'.repeat(150), '('.repeat(100) + '1' + ')'.repeat(100), '{1:'.repeat(90) + '1' + '}'.repeat(90),
];

function str10k(): string {
  return '1' + '0'.repeat(400);
}

// Where we deliberately differ from ast.literal_eval (documented in values.ts / lexer.ts).
const knownDifferences = new Map<string, string>([
  ['...', 'Ellipsis has no TS value'],
  ["'\\N{BULLET}'", 'named escapes need a Unicode name table we do not ship'],
]);

type Outcome = { ok: true; canon: unknown } | { ok: false; error: string };

function ours(text: string): Outcome {
  try {
    return { ok: true, canon: normalize(canon(parse(text, { preserveFloats: true }), false)) };
  } catch (err) {
    if (!(err instanceof SerpentParseError)) throw err;
    return { ok: false, error: err.message };
  }
}

function compare(docs: string[], label: (i: number) => string): number {
  const results = pythonLoad(docs.map((t) => Buffer.from(t, 'utf8')));
  let accepted = 0;
  for (let i = 0; i < docs.length; i++) {
    const text = docs[i]!;
    const py = results[i]!;
    const ts = ours(text);
    if (knownDifferences.has(text)) {
      assert.equal(ts.ok, false, `${label(i)}: expected our documented refusal (${knownDifferences.get(text)})`);
      continue;
    }
    if ('error' in py) {
      assert.equal(ts.ok, false, `${label(i)}: Python refused (${py.error}) but we accepted ${JSON.stringify(ts.ok && ts.canon)}`);
    } else {
      assert.ok(ts.ok, `${label(i)}: Python accepted ${JSON.stringify(py.canon)} but we refused: ${!ts.ok && ts.error}`);
      assert.deepEqual(ts.canon, normalize(py.canon), `${label(i)}: values differ`);
      accepted++;
    }
  }
  return accepted;
}

describe('serpent parse agrees with ast.literal_eval', () => {
  test('hand-written literals: same value, or refused by both', () => {
    const accepted = compare(texts, (i) => `text ${JSON.stringify(texts[i])}`);
    assert.ok(accepted > 100, `only ${accepted} accepted by Python`);
  });

  test('mutated serpent documents (fast-check batch): same value, or refused by both', () => {
    const alphabet = fc.constantFrom(...'()[]{},:+-_.jJeExXbBoOrRuUfF0123456789\'"\\#\n\r\t ;*aN'.split(''));
    const mutated = fc
      .tuple(pyTree, fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: alphabet, maxLength: 3 })), { minLength: 1, maxLength: 3 }))
      .map(([v, edits]) => {
        // Edit whole code points, so that no surrogate pair is split (UTF-8 cannot carry halves).
        let s = Array.from(serialize(v).toString('utf8'));
        for (const [at, del, ins] of edits) {
          const p = at % (s.length + 1);
          s = [...s.slice(0, p), ...ins, ...s.slice(p + del)];
        }
        return s.join('');
      });
    const docs = fc.sample(mutated, { numRuns: 400, seed: 1124 });
    const accepted = compare(docs, (i) => `mutant ${i} ${JSON.stringify(docs[i])}`);
    assert.ok(accepted > 20, `only ${accepted} mutants were valid Python`);
  });
});
