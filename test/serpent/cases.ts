// Serpent texts shared by the parse tests and the differential tests: hand-written literals
// (accepted or refused, compared with Python's ast.literal_eval) and every refusal whose exact
// reason and position the tests pin.

const H = '# serpent utf-8 python3.2\n';
const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** Literal texts fed to our reader and to Python's serpent.loads / ast.literal_eval. */
export const literalTexts: string[] = [
  // layout: comments, blank lines, continuations, CR/CRLF, indentation
  H + '1', '\n\n1', '1\n\n', '1 # c', '  1', '\t1', '\x0c1', '1\x0c', '# c\n  1', '1\n2',
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
  '1e30000+1e30000j', '10**400+1j', '1' + '0'.repeat(400) + '+1j', '1+2j,3-4j',
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
  "{'b': 1, '10': 2, 1: 3}", "{'a': 1, 'a' 'b': 2, 'c' + 1j: 3}", "{'x\\x31': 1, '': 2, '''t''': 3}",
  // hostile characters
  '1\x00', '\ufeff1', '\x0b1', '\u00a01', '1 $', '1 ?', '`1`', 'é', '\u200b1',
  // nesting within both limits
  nest(150), '('.repeat(100) + '1' + ')'.repeat(100), '{1:'.repeat(90) + '1' + '}'.repeat(90),
];

/** Where we deliberately differ from ast.literal_eval (documented in values.ts). */
export const knownDifferences = new Map<string, string>([
  ['...', 'Ellipsis has no TS value'],
  ["'\\N{BULLET}'", 'named escapes need a Unicode name table we do not ship'],
]);

export interface ErrorCase {
  /** UTF-8 text, or raw bytes. */
  input: string | Buffer;
  options?: { maxDepth?: number; maxLength?: number };
  reason: string;
  /** Byte offset, 1-based line, 1-based column in bytes. */
  at: [position: number, line: number, column: number];
}

const e = (input: string | Buffer, reason: string, at: ErrorCase['at'], options?: ErrorCase['options']): ErrorCase =>
  options === undefined ? { input, reason, at } : { input, reason, at, options };

const JOIN = 'malformed literal: + and - only join a real number and an imaginary number, as in 1+2j';
const SIGN = 'malformed literal: + and - apply only to a number, found';
const NAME = (n: string): string => `name '${n}' is not a literal (only True, False, None and set())`;
const INVALID_DECIMAL = 'invalid decimal literal';
const DEPTH = (n: number): string => `nesting deeper than maxDepth (${n}) brackets`;
const UNHASHABLE_TUPLE = 'unhashable tuple (holding an unhashable value)';

/** Every refusal the tests pin: the exact reason and position our reader gives for the bytes. */
export const errorCases: Record<string, ErrorCase[]> = {
  'complex arithmetic beyond what literal_eval allows': [
    e('(1+2j)+3j', JOIN, [6, 1, 7]),
    e('1+2', JOIN, [2, 1, 3]),
    e('2j+1j', JOIN, [2, 1, 3]),
    e('True+1j', JOIN, [4, 1, 5]),
    e('-(1+2j)', "malformed literal: expected ')' after the number, found '+'", [3, 1, 4]),
    e('1 - -2j', "malformed literal: expected an imaginary number (like 2j) after + or -, found '-'", [4, 1, 5]),
    e('(1.0+-0.0j)', "malformed literal: expected an imaginary number (like 2j) after + or -, found '-'", [5, 1, 6]),
    e('--1', `${SIGN} '-'`, [1, 1, 2]),
    e('-True', `${SIGN} name 'True'`, [1, 1, 2]),
    e("-'a'", `${SIGN} a literal`, [1, 1, 2]),
    e('-[1]', `${SIGN} '['`, [1, 1, 2]),
    e('-(1,)', "malformed literal: expected ')' after the number, found ','", [3, 1, 4]),
    e('1' + '0'.repeat(400) + '+1j', 'int too large to convert to float', [0, 1, 1]),
  ],
  'bad string escapes and literals': [
    e("'\\x4'", 'truncated \\xXX escape', [1, 1, 2]),
    e("'\\u12'", 'truncated \\uXXXX escape', [1, 1, 2]),
    e("'\\U00110000'", 'illegal Unicode character in \\U escape', [1, 1, 2]),
    e("'\\N{BULLET}'", '\\N{...} named escapes are not supported: write the character or a \\u escape', [1, 1, 2]),
    e("'abc", 'unterminated string literal', [0, 1, 1]),
    e("'a\nb'", 'unterminated string literal', [0, 1, 1]),
    e('"""abc', 'unterminated triple-quoted string literal', [0, 1, 1]),
    e("r'\\'", 'unterminated string literal', [0, 1, 1]),
    e("f'a'", 'f-strings are not literals', [0, 1, 1]),
    e("ur'a'", NAME('ur'), [0, 1, 1]),
    e("'a' b'b'", 'cannot mix bytes and nonbytes literals', [4, 1, 5]),
    e("b'\u00e9'", 'bytes can only contain ASCII literal characters', [2, 1, 3]),
  ],
  'unexpected tokens': [
    e(H + "{'a':1 'b':2}", "expected ',' or '}', found a literal", [H.length + 7, 2, 8]),
    e('[1,\n 2\n 3]', "expected ',' or ']', found a literal", [8, 3, 2]),
    e('1 2', "expected ',' or end of input, found a literal", [2, 1, 3]),
    e('1\n2', 'unexpected a literal after the value', [2, 2, 1]),
    e('[1,2', "'[' was never closed", [0, 1, 1]),
    e(')', "expected a value, found ')'", [0, 1, 1]),
    e('[1)', "expected ',' or ']', found ')'", [2, 1, 3]),
    e('{1:2,3}', "expected ':' after a dict key", [6, 1, 7]),
    e('{1,2:3}', "expected ',' or '}', found ':'", [4, 1, 5]),
    e('(,)', "expected a value, found ','", [1, 1, 2]),
    e('[1,,]', "expected a value, found ','", [3, 1, 4]),
    e("['é€😀' x]", "expected ',' or ']', found name 'x'", [13, 1, 14]),
    e('[1,\r\n2,\r3 4]', "expected ',' or ']', found a literal", [10, 3, 3]),
  ],
  'empty and comment-only input': [
    e('', 'unexpected end of input: expected a value', [0, 1, 1]),
    e(H, 'unexpected end of input: expected a value', [H.length, 2, 1]),
    e('# nothing\n\n', 'unexpected end of input: expected a value', [11, 3, 1]),
  ],
  'names other than True/False/None/set()': [
    e('x', NAME('x'), [0, 1, 1]),
    e('[1, Ellipsis]', NAME('Ellipsis'), [4, 1, 5]),
    e('set([])', 'only set() without arguments is a literal (the empty set)', [4, 1, 5]),
    e('...', "'.' is not a literal (Ellipsis and attribute access are not supported)", [0, 1, 1]),
    e('[1][0]', "expected ',' or end of input, found '['", [3, 1, 4]),
    e('None.x', "expected ',' or end of input, found '.'", [4, 1, 5]),
  ],
  'bad numbers': [
    e('01', 'leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers', [0, 1, 1]),
    e('0b12', 'invalid binary literal', [3, 1, 4]),
    e('0x', INVALID_DECIMAL, [1, 1, 2]),
    e('1__0', INVALID_DECIMAL, [1, 1, 2]),
    e('1_', INVALID_DECIMAL, [1, 1, 2]),
    e('1e', INVALID_DECIMAL, [1, 1, 2]),
    e('1abc', INVALID_DECIMAL, [1, 1, 2]),
    e('1.2.3', INVALID_DECIMAL, [3, 1, 4]),
    e('1' + '0'.repeat(4300), "int literal of 4301 digits exceeds Python's limit of 4300 digits", [0, 1, 1]),
    e('1' + '_1'.repeat(500_000), "int literal of 500001 digits exceeds Python's limit of 4300 digits", [0, 1, 1]),
  ],
  'unhashable keys and set elements': [
    e('{[1]: 2}', 'unhashable list as a dict key', [1, 1, 2]),
    e('{1, [2]}', 'unhashable list as a set element', [4, 1, 5]),
    e('{(1, [2]): 3}', `${UNHASHABLE_TUPLE} as a dict key`, [1, 1, 2]),
    e('{{}: 1}', 'unhashable dict as a dict key', [1, 1, 2]),
    // Decoded as bytes / NaN, but Python sees a dict there, which it cannot hash.
    e("{{'data':'YWJj','encoding':'base64'}: 1}", 'unhashable dict as a dict key', [1, 1, 2]),
    e("{({'__class__':'float','value':'nan'},): 1}", `${UNHASHABLE_TUPLE} as a dict key`, [1, 1, 2]),
    e("{1, ((({'data':'','encoding':'base64'},),),)}", `${UNHASHABLE_TUPLE} as a set element`, [4, 1, 5]),
  ],
  'hostile characters': [
    e('1\x00', 'NUL character: serpent data contains 0-bytes (corrupted?)', [1, 1, 2]),
    e('\ufeff1', 'invalid character U+FEFF', [0, 1, 1]),
    e('\x0b1', 'invalid character U+000B', [0, 1, 1]),
    e('\u00a01', 'invalid character U+00A0', [0, 1, 1]),
    e('1 $', "expected ',' or end of input, found '$'", [2, 1, 3]),
    e('1\\', 'unexpected character after line continuation character', [1, 1, 2]),
    e('# c\n  1', 'unexpected indent', [6, 2, 3]),
  ],
  'invalid UTF-8, at its byte offset': [
    e(Buffer.from([0x5b, 0x31, 0x2c, 0xff, 0x5d]), 'invalid UTF-8 (byte 0xff)', [3, 1, 4]),
    e(Buffer.from([0x27, 0xc3, 0x28, 0x27]), 'invalid UTF-8 (byte 0xc3)', [1, 1, 2]),
    e(Buffer.from([0x27, 0xed, 0xa0, 0x80, 0x27]), 'invalid UTF-8 (byte 0xed)', [1, 1, 2]), // an encoded surrogate
    e(Buffer.from([0x27, 0xc0, 0xaf, 0x27]), 'invalid UTF-8 (byte 0xc0)', [1, 1, 2]), // overlong
    e(Buffer.from([0x0a, 0x27, 0xe2, 0x82]), 'invalid UTF-8 (byte 0xe2)', [2, 2, 2]), // truncated
    e(Buffer.from("é\n'€€", 'utf8').subarray(0, 9), 'invalid UTF-8 (byte 0xe2)', [7, 2, 5]),
  ],
  'limits': [
    e('[' + '1,'.repeat(100) + ']', 'input of 202 bytes exceeds maxLength 50', [0, 1, 1], { maxLength: 50 }),
    e(Buffer.alloc(1000, 0xff), 'input of 1000 bytes exceeds maxLength 999', [0, 1, 1], { maxLength: 999 }),
    e(nest(1001), DEPTH(1000), [1000, 1, 1001]),
    e(nest(11), DEPTH(10), [10, 1, 11], { maxDepth: 10 }),
    e('(((((1)))))', DEPTH(4), [4, 1, 5], { maxDepth: 4 }),
    e('['.repeat(100_000), DEPTH(1000), [1000, 1, 1001]),
    e('('.repeat(100_000), DEPTH(1000), [1000, 1, 1001]),
    e('{'.repeat(100_000), DEPTH(1000), [1000, 1, 1001]),
    e('{1:'.repeat(100_000), DEPTH(1000), [3000, 1, 3001]),
    e('[('.repeat(100_000), DEPTH(1000), [1000, 1, 1001]),
    e('-('.repeat(100_000), `${SIGN} '-'`, [2, 1, 3]),
  ],
};

/** The error cases as one list. */
export const allErrorCases: ErrorCase[] = Object.values(errorCases).flat();

/** The bytes of a case's input. */
export const bytesOf = (input: string | Buffer): Buffer => (typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
