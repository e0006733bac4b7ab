/**
 * parse(): serpent bytes -> TS values (the mapping is in values.ts; the grammar in docs/pyro.md).
 * One recursive-descent reader of the Python literals `ast.literal_eval` accepts, over the bytes as
 * they arrive: string prefixes, triple quotes, escapes, comments, line continuations, adjacent
 * literals joined, hex/octal/binary/imaginary numbers with underscores, `real +/- imaginary`,
 * `set()`, unhashable dict keys refused. Nothing is evaluated; length and nesting are bounded; every
 * refusal is a SerpentParseError naming the byte offset, the line and the column.
 *
 * Each reader method starts on the first byte of what it reads and leaves `pos` on the first byte
 * after it that is not a blank (newlines are blanks inside brackets only, as in Python). Invalid
 * UTF-8 and NUL bytes are refused where reading meets them, and any refusal names the first of them
 * in the input instead of its own reason, so the error does not depend on where reading stopped.
 *
 * Recursion, not an explicit stack: each bracket level costs a few JS frames, far below the stack
 * at the default maxDepth (1000); a maxDepth beyond what the stack holds fails cleanly.
 */
import { SerpentParseError } from './errors.js';
import { makeDict, makeSet, special } from './dicts.js';
import { hashKey, MAX_INT_DIGITS, PyComplex, PyFloat, PySet, PyTuple, type PyObject, type PyValue } from './values.js';

export interface ParseOptions {
  /** Deepest bracket nesting accepted (default 1000). Deeper input is a SerpentParseError. */
  maxDepth?: number;
  /** Largest input accepted, in bytes; checked first. */
  maxLength?: number;
  /** Return integral floats as `PyFloat` so that they re-encode as floats (`3.0`, not `3`). */
  preserveFloats?: boolean;
}

export const DEFAULT_MAX_DEPTH = 1000;
export const DEFAULT_MAX_LENGTH = 256 * 1024 * 1024;

/** The bytes the grammar names. Letters are lower case (compared after `| 0x20`) but for T, F, N, U. */
const enum C {
  NUL = 0x00, TAB = 0x09, LF = 0x0a, FF = 0x0c, CR = 0x0d, SPACE = 0x20, DQUOTE = 0x22, HASH = 0x23,
  QUOTE = 0x27, LPAREN = 0x28, RPAREN = 0x29, PLUS = 0x2b, COMMA = 0x2c, MINUS = 0x2d, DOT = 0x2e,
  ZERO = 0x30, SEVEN = 0x37, NINE = 0x39, COLON = 0x3a, LBRACKET = 0x5b, BACKSLASH = 0x5c,
  RBRACKET = 0x5d, UNDERSCORE = 0x5f, LBRACE = 0x7b, RBRACE = 0x7d, DEL = 0x7f,
  a = 0x61, b = 0x62, e = 0x65, f = 0x66, j = 0x6a, l = 0x6c, n = 0x6e, o = 0x6f, r = 0x72, s = 0x73,
  t = 0x74, u = 0x75, v = 0x76, x = 0x78, F = 0x46, N = 0x4e, T = 0x54, U = 0x55,
}

const enum Num {
  Int,
  Float,
  Imaginary,
}

interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const isDigit = (c: number): boolean => c >= C.ZERO && c <= C.NINE;
/** Bits of BYTE[c]: a letter or '_'; a letter, digit or '_'; what may continue a number ('.' too). */
const IDENT_START = 1;
const IDENT = 2;
const NUMBER_TAIL = 4;
const BYTE = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const letter = ((c | 0x20) >= C.a && (c | 0x20) <= 0x7a) || c === C.UNDERSCORE;
  if (letter || isDigit(c)) BYTE[c] = (letter ? IDENT_START : 0) | IDENT | NUMBER_TAIL;
}
BYTE[C.DOT] = NUMBER_TAIL;
const isIdentStart = (c: number): boolean => (BYTE[c]! & IDENT_START) !== 0;
const isIdentChar = (c: number): boolean => (BYTE[c]! & IDENT) !== 0;

function digitIn(c: number, radix: number): boolean {
  const d = isDigit(c) ? c - C.ZERO : (c | 0x20) >= C.a && (c | 0x20) <= C.f ? (c | 0x20) - C.a + 10 : 99;
  return d < radix;
}

/** 1 for the bytes a string body holds as they are: printable ASCII and tab, but quotes and backslash. */
const PLAIN = new Uint8Array(256);
for (let c = C.SPACE; c < C.DEL; c++) PLAIN[c] = c === C.DQUOTE || c === C.QUOTE || c === C.BACKSLASH ? 0 : 1;
PLAIN[C.TAB] = 1;

const SIMPLE_ESCAPES: Record<number, string> = {
  [C.BACKSLASH]: '\\', [C.QUOTE]: "'", [C.DQUOTE]: '"', [C.a]: '\x07', [C.b]: '\b', [C.f]: '\f',
  [C.n]: '\n', [C.r]: '\r', [C.t]: '\t', [C.v]: '\v', [C.LF]: '', // backslash-newline: a continuation
};

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** The index after the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at `i`, or -1. */
function utf8End(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
  if (need === 0) return -1;
  let cp = c & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    const d = b[i + k]!; // stops at the first byte that is not a continuation: never past the end
    if ((d & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (d & 0x3f);
  }
  const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? -1 : i + need + 1;
}

/** Whether the `n` bytes of `a` from `i` are those of `b` from `j` (read up to the first difference). */
function sameBytes(a: Uint8Array, i: number, b: Uint8Array, j: number, n: number): boolean {
  let k = 0;
  while (k < n && a[i + k] === b[j + k]) k++;
  return k === n;
}

function normalizeInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** The keys and values of `o` interleaved, then `key`: in the order read, as `o` has no integer-like key. */
function entries(o: PyObject, key: PyValue): PyValue[] {
  const items: PyValue[] = [];
  for (const name of Object.keys(o)) items.push(name, o[name]!);
  items.push(key);
  return items;
}

// The input is copied with a 0 after it, so every scan stops there without a bounds check (a 0 in
// the input is refused). Inputs below SCRATCH_MAX share one buffer.
const SCRATCH_MAX = 1 << 20;
const TEXT_MAX = 1 << 14;
const EMPTY = Buffer.alloc(0) as SliceBuffer;
let scratch = EMPTY;

function terminated(input: Uint8Array): SliceBuffer {
  const n = input.length;
  let b = scratch;
  if (n >= SCRATCH_MAX) b = Buffer.allocUnsafeSlow(n + 1) as SliceBuffer;
  else if (scratch.length <= n) b = scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(4096, 2 * (n + 1)))) as SliceBuffer;
  b.set(input);
  b[n] = C.NUL;
  return b;
}

/**
 * Dicts with str keys are filled as instances of this (V8 keeps them shaped; Object.create(null)
 * makes a hash table from the start), then get the null prototype PyObject promises. Its prototype
 * has no prototype, so no setter (not even `__proto__`) sees the stores: every key is own data.
 */
const Shaped = function Shaped(): void {} as unknown as new () => PyObject;
Shaped.prototype = Object.create(null) as object;

// Short dict keys read before, by a hash of their bytes: the same string, already internalized by
// its use as a property name, comes back for the same bytes, which makes storing it cheap.
const KEY_CACHE_SIZE = 1024;
const KEY_MAX = 32;
const keyCache: string[] = new Array<string>(KEY_CACHE_SIZE).fill('');
const keyBytes = new Uint8Array(KEY_CACHE_SIZE * KEY_MAX);
const keyLengths = new Int32Array(KEY_CACHE_SIZE).fill(-1);
/** For each cached key, the place of the key that followed it in a dict the last time. */
const keyNext = new Int32Array(KEY_CACHE_SIZE).fill(-1);

/** Reads serpent bytes (a Python literal, as `ast.literal_eval` reads it) into TS values. */
export function parse(input: Uint8Array, options: ParseOptions = {}): PyValue {
  if (!(input instanceof Uint8Array)) throw new TypeError('serpent parse() reads bytes: pass a Buffer or Uint8Array');
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (input.length > maxLength) throw new SerpentParseError(`input of ${input.length} bytes exceeds maxLength ${maxLength}`, 0, 1, 1);
  try {
    return reader.document(terminated(input), input.length, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.preserveFloats ?? false);
  } catch (err) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) reader.stackExhausted();
    throw err;
  } finally {
    reader.release();
  }
}

/** One reader serves every call (parse() is synchronous and nothing it calls parses): no allocation per call. */
class Reader {
  private b = EMPTY;
  private n = 0;
  /**
   * A small input as a latin1 string (one char per byte), ASCII text sliced from it; '' for a large
   * one, whose text is sliced from the bytes (a copy of it all would cost more than its slices).
   */
  private text = '';
  private maxDepth = 0;
  private preserveFloats = false;
  /** Bracket nesting at `pos`: newlines are blanks above 0. */
  private depth = 0;
  /** The innermost bracket opened, named if the stack runs out. */
  private deepest = 0;
  private pos = 0;
  /** Dicts made so far: a key during whose reading one was made is unhashable, as in Python. */
  private dicts = 0;
  /** What the last number() read. */
  private numType = Num.Int;

  /** A whole document: a value or a tuple without brackets, then only blank lines and comments. */
  document(b: SliceBuffer, n: number, maxDepth: number, preserveFloats: boolean): PyValue {
    this.b = b;
    this.n = n;
    this.maxDepth = maxDepth;
    this.preserveFloats = preserveFloats;
    this.text = n <= TEXT_MAX ? b.latin1Slice(0, n) : '';
    this.depth = 0;
    let start = 0;
    while (b[start] === C.SPACE || b[start] === C.TAB) start++; // literal_eval strips these first
    let i = this.skipMore(start, true);
    // The first line must not be indented (a form feed resets the count, as in Python).
    if (i < n && i > start && (b[i - 1] === C.SPACE || b[i - 1] === C.TAB)) this.fail('unexpected indent', i);
    let value = this.value(i);
    i = this.pos;
    if (b[i] === C.COMMA) {
      const items = [value];
      for (i = this.skip(i + 1); i < n && b[i] !== C.LF && b[i] !== C.CR; i = this.skip(i + 1)) {
        items.push(this.value(i));
        i = this.pos;
        if (b[i] !== C.COMMA) break;
      }
      value = new PyTuple(items);
    }
    if (i >= n) return value;
    if (b[i] !== C.LF && b[i] !== C.CR) this.fail(`expected ',' or end of input, found ${this.describe(i)}`, i);
    i = this.skipMore(i, true);
    if (i < n) this.fail(`unexpected ${this.describe(i)} after the value`, i);
    // Python reads a last line of only blanks ending in a space or tab as an indented statement.
    let p = n;
    while (p > 0 && b[p - 1] !== C.LF && b[p - 1] !== C.CR) p--;
    if (p < n && (b[n - 1] === C.SPACE || b[n - 1] === C.TAB) && !/[^ \t\f]/.test(this.ascii(p, n))) this.fail('unexpected indent', p);
    return value;
  }

  release(): void {
    this.b = EMPTY; // large inputs are not kept alive
    this.text = '';
  }

  /** The ASCII bytes from `start` to `end` as a string. */
  private ascii(start: number, end: number): string {
    return this.text === '' ? this.b.latin1Slice(start, end) : this.text.slice(start, end);
  }

  /** Skips blanks, comments and continuations, and newlines inside brackets. */
  private skip(i: number): number {
    const b = this.b;
    let c = b[i]!;
    if (c > C.HASH && c !== C.BACKSLASH) return i; // most often: serpent writes no blanks
    while (c === C.SPACE) c = b[++i]!;
    return c === C.TAB || c === C.LF || c === C.CR || c === C.HASH || c === C.BACKSLASH || c === C.FF ? this.skipMore(i, false) : i;
  }

  /** Skips blanks, comments and continuations, and newlines inside brackets or when `newlines`. */
  private skipMore(i: number, newlines: boolean): number {
    const b = this.b;
    for (;;) {
      let c = b[i]!;
      if (c === C.SPACE || c === C.TAB || c === C.FF) i++;
      else if (c === C.LF || c === C.CR) {
        if (this.depth === 0 && !newlines) return i;
        i++;
      } else if (c === C.HASH) {
        // A comment runs to the end of its line.
        for (c = b[++i]!; c !== C.LF && c !== C.CR && !(c === C.NUL && i >= this.n); c = b[i]!) {
          if (c === C.NUL) this.fail('NUL in a comment', i);
          i = c < 0x80 ? i + 1 : this.utf8(i);
          for (c = b[i]!; (c >= C.SPACE && c < C.DEL) || c === C.TAB; c = b[++i]!); // printable ASCII
        }
      } else if (c === C.BACKSLASH) {
        const d = b[i + 1];
        if (d === C.LF) i += 2;
        else if (d === C.CR) i += b[i + 2] === C.LF ? 3 : 2;
        else this.fail('unexpected character after line continuation character', i);
        if (i >= this.n) this.fail('unexpected end of input after a line continuation', i);
      } else return i;
    }
  }

  private utf8(i: number): number {
    const end = utf8End(this.b, i);
    return end < 0 ? this.fail('invalid UTF-8', i) : end;
  }

  private enter(at: number): void {
    if (++this.depth > this.maxDepth) this.fail(`nesting deeper than maxDepth (${this.maxDepth}) brackets`, at);
    this.deepest = at;
  }

  /** Leaves the bracket closed at `at`. */
  private leave(at: number): void {
    this.depth--;
    this.pos = this.skip(at + 1);
  }

  /** A value at `i`, with a `+ imaginary` after it where Python allows one (`1+2j`). */
  private value(i: number): PyValue {
    const b = this.b;
    let v: PyValue;
    const c = b[i]!;
    if (c === C.QUOTE || c === C.DQUOTE) v = this.string(i);
    else if (isDigit(c) || (c === C.DOT && isDigit(b[i + 1]!))) {
      const n = this.number(i);
      this.pos = this.skip(this.pos);
      v = this.numberValue(n, false);
    } else if (c === C.LBRACE) v = this.brace(i);
    else if (c === C.LBRACKET) v = this.list(i);
    else if (c === C.LPAREN) v = this.paren(i);
    else if (c === C.MINUS || c === C.PLUS) v = this.numberValue(this.parenthesizedNumber(this.skip(i + 1), false), c === C.MINUS);
    else if (c === C.T && b[i + 1] === C.r && b[i + 2] === C.u && b[i + 3] === C.e && !isIdentChar(b[i + 4]!)) v = this.constant(i + 4, true);
    else if (c === C.F && b[i + 1] === C.a && b[i + 2] === C.l && b[i + 3] === C.s && b[i + 4] === C.e && !isIdentChar(b[i + 5]!)) v = this.constant(i + 5, false);
    else if (c === C.N && b[i + 1] === C.o && b[i + 2] === C.n && b[i + 3] === C.e && !isIdentChar(b[i + 4]!)) v = this.constant(i + 4, null);
    else if (isIdentStart(c)) v = this.name(i);
    else v = this.notAValue(i);
    const d = b[this.pos];
    return d === C.PLUS || d === C.MINUS ? this.complex(v, i) : v;
  }

  private notAValue(i: number): never {
    if (this.b[i] === C.DOT) this.fail("'.' is not a literal (Ellipsis and attribute access are not supported)", i);
    this.fail(i >= this.n ? 'unexpected end of input: expected a value' : `expected a value, found ${this.describe(i)}`, i);
  }

  /** `real + imaginary` or `real - imaginary`: `real` was read from `start`, `pos` is on the sign. */
  private complex(real: PyValue, start: number): PyComplex {
    const b = this.b;
    const at = this.pos;
    // The real part must be an int or float written as a number (maybe signed, in parentheses).
    let first = start;
    while (b[first] === C.LPAREN) first = this.skipMore(first + 1, true);
    const c = b[first]!;
    const written = isDigit(c) || c === C.DOT || c === C.PLUS || c === C.MINUS;
    if (!written || !(typeof real === 'number' || typeof real === 'bigint' || real instanceof PyFloat)) {
      this.fail('malformed literal: + and - only join a real number and an imaginary number, as in 1+2j', at);
    }
    const imag = this.parenthesizedNumber(this.skip(at + 1), true) as number;
    const re = Number(real instanceof PyFloat ? real.value : real);
    if (typeof real === 'bigint' && !Number.isFinite(re)) {
      this.lookahead(this.pos);
      this.fail('int too large to convert to float', start);
    }
    // Python 3.11's signs: -0.0 + 1j has real +0.0.
    return b[at] === C.MINUS ? new PyComplex(re - 0, 0 - imag) : new PyComplex(re + 0, 0 + imag);
  }

  /** What number() read, with a minus sign before it when `minus`. */
  private numberValue(v: number | bigint, minus: boolean): PyValue {
    if (this.numType === Num.Int) return !minus ? v : typeof v === 'bigint' ? normalizeInt(-v) : v === 0 ? 0 : -v;
    const x = minus ? -(v as number) : (v as number);
    if (this.numType === Num.Imaginary) return new PyComplex(minus ? -0 : 0, x);
    return this.preserveFloats && Number.isInteger(x) && !Object.is(x, -0) ? new PyFloat(x) : x;
  }

  /** A number token in any number of parentheses, after a sign: imaginary when `imaginary`. */
  private parenthesizedNumber(i: number, imaginary: boolean): number | bigint {
    const b = this.b;
    let parens = 0;
    for (; b[i] === C.LPAREN; parens++) {
      this.enter(i);
      i = this.skip(i + 1);
    }
    if (!isDigit(b[i]!) && !(b[i] === C.DOT && isDigit(b[i + 1]!))) {
      const expected = imaginary ? 'expected an imaginary number (like 2j) after + or -' : '+ and - apply only to a number';
      this.fail(`malformed literal: ${expected}, found ${this.describe(i)}`, i);
    }
    const v = this.number(i);
    if (imaginary && this.numType !== Num.Imaginary) {
      this.fail('malformed literal: + and - only join a real number and an imaginary number, as in 1+2j', i);
    }
    for (i = this.skip(this.pos); parens > 0; parens--, i = this.pos) {
      if (b[i] !== C.RPAREN) this.fail(`malformed literal: expected ')' after the number, found ${this.describe(i)}`, i);
      this.leave(i);
    }
    this.pos = i;
    return v;
  }

  /**
   * The number token at `start` (a digit, or '.' and a digit), as Python's tokenizer reads it: its
   * value without sign (a float or imaginary as `number`), its type in `numType`, `pos` after it.
   */
  private number(start: number): number | bigint {
    const b = this.b;
    let c = b[start]!;
    if (c === C.ZERO && ((c = b[start + 1]! | 0x20) === C.x || c === C.o || c === C.b)) {
      const radix = c === C.x ? 16 : c === C.o ? 8 : 2;
      const end = this.digits(start + 2, radix);
      if (end > start + 2) {
        this.end(end, radix === 16 ? 'hexadecimal' : radix === 8 ? 'octal' : 'binary');
        this.numType = Num.Int;
        return normalizeInt(BigInt(this.clean(start, end)));
      } // else "0" is the number, and the letter after it is refused
    }
    // The digits (underscores between two aside) accumulate in v: exact while v <= 2^53.
    let i = start;
    let v = 0;
    for (c = b[i]!; isDigit(c); c = b[++i]!) v = v * 10 + c - C.ZERO;
    let digits = i - start;
    if ((BYTE[c]! & NUMBER_TAIL) === 0 && digits <= 15 && (digits === 1 || b[start] !== C.ZERO)) {
      this.numType = Num.Int; // the common case: a plain int
      this.pos = i;
      return v;
    }
    let dot = -1; // the number of digits before the '.'
    for (; ; c = b[++i]!) {
      if (isDigit(c)) {
        v = v * 10 + c - C.ZERO;
        digits++;
      } else if (c === C.DOT && dot < 0) dot = digits;
      else if (!(c === C.UNDERSCORE && isDigit(b[i - 1]!) && isDigit(b[i + 1]!))) break;
    }
    let isFloat = dot >= 0;
    let exp = 0;
    if ((c | 0x20) === C.e) {
      let k = i + 1;
      const negative = b[k] === C.MINUS;
      if (negative || b[k] === C.PLUS) k++;
      if (isDigit(b[k]!)) {
        for (c = b[k]!; isDigit(c) || (c === C.UNDERSCORE && isDigit(b[k - 1]!) && isDigit(b[k + 1]!)); c = b[++k]!) {
          if (c !== C.UNDERSCORE) exp = exp * 10 + c - C.ZERO;
        }
        if (negative) exp = -exp;
        i = k;
        isFloat = true;
      }
    }
    const imaginary = (b[i]! | 0x20) === C.j;
    this.end(imaginary ? i + 1 : i, 'decimal');
    if (imaginary) {
      this.numType = Num.Imaginary;
      return Number(this.clean(start, i));
    }
    if (isFloat) {
      this.numType = Num.Float;
      // One IEEE multiply or divide of an exact integer by an exact power of ten is correctly
      // rounded, as Number() of the text is.
      const k = exp - (dot < 0 ? 0 : digits - dot);
      if (v <= 9007199254740992 && k >= -22 && k <= 22) return k < 0 ? v / POW10[-k]! : v * POW10[k]!;
      return Number(this.clean(start, i));
    }
    this.numType = Num.Int;
    if (digits > 1 && b[start] === C.ZERO) {
      if (v !== 0) this.fail('leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers', start);
      return 0;
    }
    if (digits > MAX_INT_DIGITS) this.fail(`int literal of ${digits} digits exceeds Python's limit of ${MAX_INT_DIGITS} digits`, start);
    return digits <= 15 ? v : normalizeInt(BigInt(this.clean(start, i)));
  }

  /** The end of `digit (_? digit)*` in `radix` from `i` (`i` itself when there is no digit). */
  private digits(i: number, radix: number): number {
    const b = this.b;
    for (;;) {
      if (digitIn(b[i]!, radix)) i++;
      else if (b[i] === C.UNDERSCORE && digitIn(b[i + 1]!, radix)) i += 2;
      else return i;
    }
  }

  /** A number token ends at `end`; running into a letter, digit, '_' or '.' is Python's "invalid ... literal". */
  private end(end: number, kind: string): void {
    if (BYTE[this.b[end]!]! & NUMBER_TAIL) this.fail(`invalid ${kind} literal`, end);
    this.pos = end;
  }

  /** The number text from `start` to `end` without underscores. */
  private clean(start: number, end: number): string {
    const s = this.ascii(start, end);
    return s.includes('_') ? s.replace(/_/g, '') : s;
  }

  /** True, False or None, ending at `end`. */
  private constant(end: number, v: boolean | null): boolean | null {
    this.pos = this.skip(end);
    return v;
  }

  /** A name other than True, False and None: set(), the prefix of a string literal, or refused. */
  private name(i: number): PyValue {
    const b = this.b;
    const c = b[i];
    if (this.literalAt(i)) return this.string(i);
    let e = i + 1;
    while (isIdentChar(b[e]!)) e++;
    const open = this.skip(e);
    if (e - i === 3 && c === C.s && b[i + 1] === C.e && b[i + 2] === C.t && b[open] === C.LPAREN) {
      this.enter(open);
      const close = this.skip(open + 1);
      if (b[close] !== C.RPAREN) {
        this.lookahead(close);
        this.fail('only set() without arguments is a literal (the empty set)', close);
      }
      this.leave(close);
      return new PySet([]);
    }
    this.lookahead(open);
    return this.fail(`name '${this.ascii(i, e)}' is not a literal (only True, False, None and set())`, i);
  }

  /** Whether a str or bytes literal starts at `i`: a quote, or a prefix (r, u, b, br, rb, any case) and a quote. */
  private literalAt(i: number): boolean {
    const b = this.b;
    if (b[i] === C.QUOTE || b[i] === C.DQUOTE) return true;
    if (!isIdentStart(b[i]!)) return false;
    let e = i + 1;
    while (e < i + 3 && isIdentChar(b[e]!)) e++;
    if (e - i > 2 || (b[e] !== C.QUOTE && b[e] !== C.DQUOTE)) return false;
    const p = this.ascii(i, e).toLowerCase();
    if (p === 'f' || p === 'rf' || p === 'fr') this.fail('f-strings are not literals', i);
    return p === 'r' || p === 'u' || p === 'b' || p === 'br' || p === 'rb';
  }

  /** A str or bytes literal at `i` (its prefix or quote), joined with the literals right after it. */
  private string(i: number): string | Buffer {
    const b = this.b;
    let value: string | undefined;
    let bytes: boolean | undefined;
    for (;;) {
      const start = i;
      let raw = false;
      let isBytes = false;
      for (let c = b[i]! | 0x20; c !== C.QUOTE && c !== C.DQUOTE; c = b[++i]! | 0x20) {
        if (c === C.r) raw = true;
        else if (c === C.b) isBytes = true;
      }
      if (bytes !== undefined && bytes !== isBytes) this.fail('cannot mix bytes and nonbytes literals', start);
      bytes = isBytes;
      const part = this.body(i, raw, isBytes, start);
      value = value === undefined ? part : value + part;
      // Another literal right after it (blanks, comments, continuations between) is joined.
      i = this.skip(this.pos);
      if (this.literalAt(i)) continue;
      this.pos = i;
      return isBytes ? Buffer.from(value, 'latin1') : value;
    }
  }

  /**
   * The body of one literal from its opening quote at `i`, decoded; `pos` after its closing quote.
   * An unterminated literal is named at `start`, where its prefix begins.
   */
  private body(i: number, raw: boolean, isBytes: boolean, start: number): string {
    const b = this.b;
    const q = b[i]!;
    const triple = b[i + 1] === q && b[i + 2] === q;
    let j = i + (triple ? 3 : 1);
    let value = '';
    // The bytes from `run` are not in value yet; `high` when they hold UTF-8 sequences.
    let run = j;
    let high = false;
    let piece: string | undefined; // what replaces the bytes from `run` to `j`, when something does
    for (;;) {
      let c = b[j]!;
      while (PLAIN[c] === 1) c = b[++j]!;
      const at = j;
      if (c === q) {
        if (!triple || (b[j + 1] === q && b[j + 2] === q)) break;
        j++;
      } else if (c >= 0x80) {
        if (isBytes) this.fail('bytes can only contain ASCII literal characters', j);
        j = this.utf8(j);
        high = true;
      } else if (c === C.LF || c === C.CR) {
        if (!triple) this.fail('unterminated string literal', start);
        j += c === C.CR && b[j + 1] === C.LF ? 2 : 1;
        if (c === C.CR) piece = '\n'; // CR and CRLF in a literal read as LF
      } else if (c === C.BACKSLASH && raw) {
        // Kept as written; the character after it never ends the literal. (CR(LF) reads as LF.)
        const e = b[j + 1]!;
        j += e === C.CR && b[j + 2] === C.LF ? 3 : e === C.NUL || e >= 0x80 ? 1 : 2;
        if (e === C.CR) piece = '\\\n';
      } else if (c === C.BACKSLASH) {
        piece = this.escape(j, isBytes);
        j = this.pos;
      } else if (c === C.NUL) {
        this.fail(triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal', start);
      } else j++; // the other quote, control characters
      if (piece !== undefined) {
        value += this.slice(run, at, high) + piece;
        run = j;
        high = false;
        piece = undefined;
      }
    }
    this.pos = j + (triple ? 3 : 1);
    return value === '' ? this.slice(run, j, high) : value + this.slice(run, j, high);
  }

  /** Body bytes: ASCII sliced from the latin1 text, else decoded as UTF-8. */
  private slice(start: number, end: number, utf8: boolean): string {
    return end === start ? '' : utf8 ? this.b.utf8Slice(start, end) : this.ascii(start, end);
  }

  /** The escape whose backslash is at `i`, decoded; `pos` after it. */
  private escape(i: number, isBytes: boolean): string {
    const b = this.b;
    const e = b[i + 1]!;
    const simple = SIMPLE_ESCAPES[e];
    this.pos = i + 2;
    if (simple !== undefined) return simple;
    if (e === C.CR) {
      if (b[i + 2] === C.LF) this.pos++;
      return '';
    }
    if (e >= C.ZERO && e <= C.SEVEN) {
      let v = 0;
      let k = i + 1;
      for (; k < i + 4 && b[k]! >= C.ZERO && b[k]! <= C.SEVEN; k++) v = v * 8 + b[k]! - C.ZERO;
      this.pos = k;
      return String.fromCharCode(isBytes ? v & 0xff : v);
    }
    if (e === C.x || (!isBytes && (e === C.u || e === C.U))) {
      const width = e === C.x ? 2 : e === C.u ? 4 : 8;
      for (let k = i + 2; k < i + 2 + width; k++) {
        if (!digitIn(b[k]!, 16)) this.fail(`truncated ${e === C.x ? '\\xXX' : e === C.u ? '\\uXXXX' : '\\UXXXXXXXX'} escape`, i);
      }
      const v = parseInt(this.ascii(i + 2, i + 2 + width), 16);
      if (v > 0x10ffff) this.fail('illegal Unicode character in \\U escape', i);
      this.pos = i + 2 + width;
      return String.fromCodePoint(v);
    }
    if (!isBytes && e === C.N) this.fail('\\N{...} named escapes are not supported: write the character or a \\u escape', i);
    if (e === C.NUL && i + 1 >= this.n) this.fail('unterminated string literal', i);
    this.pos = i + 1; // an unknown escape: Python keeps the backslash
    return '\\';
  }

  private list(open: number): PyValue[] {
    this.enter(open);
    const b = this.b;
    const items: PyValue[] = [];
    let i = this.skip(open + 1);
    while (b[i] !== C.RBRACKET) {
      items.push(this.value(i));
      i = this.afterItem(open, C.RBRACKET);
    }
    this.leave(i);
    return items;
  }

  /** A tuple, or one value in parentheses (`(1)` is 1). */
  private paren(open: number): PyValue {
    this.enter(open);
    const b = this.b;
    let i = this.skip(open + 1);
    if (b[i] === C.RPAREN) {
      this.leave(i);
      return new PyTuple([]);
    }
    const items = [this.value(i)];
    if (b[this.pos] === C.RPAREN) {
      this.leave(this.pos);
      return items[0]!;
    }
    i = this.rest(open, C.RPAREN, items, undefined);
    this.leave(i);
    return new PyTuple(items);
  }

  /**
   * After an item (`pos` on what follows it) in brackets opened at `open`: the offset of `close`,
   * or of the next item past a comma (a trailing comma allowed). Anything else is an error.
   */
  private afterItem(open: number, close: number): number {
    const b = this.b;
    const i = this.pos;
    if (b[i] === close) return i;
    if (b[i] !== C.COMMA) this.expected(i, close, open);
    return this.skip(i + 1);
  }

  /**
   * After an item in brackets opened at `open`: `, item` up to `close`; each item a key for `role`
   * (Python must hash it) if given. Returns the offset of `close`.
   */
  private rest(open: number, close: number, items: PyValue[], role: string | undefined): number {
    const b = this.b;
    for (;;) {
      const i = this.afterItem(open, close);
      if (b[i] === close) return i;
      items.push(role === undefined ? this.value(i) : this.key(i, role));
    }
  }

  /** A dict or a set. */
  private brace(open: number): PyValue {
    this.enter(open);
    const b = this.b;
    const i = this.skip(open + 1);
    if (b[i] === C.RBRACE) {
      this.leave(i);
      this.dicts++;
      return Object.create(null) as PyObject;
    }
    // Every key a str so far: filled as an object. A key of another type, or one JS would order
    // first (integer-like), hands the entries to dict(); a first item with no ':' makes a set.
    const o = new Shaped();
    let slot = -1; // the key's place in the key cache, -1 for a key not from it
    let at = i;
    for (;;) {
      let key: string;
      slot = this.plainKey(at, slot);
      if (slot >= 0) key = keyCache[slot]!;
      else {
        const k = this.key(at, 'dict key');
        if (at === i && b[this.pos] !== C.COLON) {
          const items = [k];
          this.leave(this.rest(open, C.RBRACE, items, 'set element'));
          return makeSet(items);
        }
        if (typeof k !== 'string' || isDigit(k.charCodeAt(0))) return this.dict(open, entries(o, k));
        if (b[this.pos] !== C.COLON) this.afterKey(this.pos, open);
        key = k;
      }
      o[key] = this.value(this.skip(this.pos + 1));
      at = this.afterItem(open, C.RBRACE);
      if (b[at] === C.RBRACE) break;
    }
    this.leave(at);
    this.dicts++;
    Object.setPrototypeOf(o, null);
    return special(o);
  }

  /** The rest of a dict read as keys and values interleaved: `items` ends with a key, `pos` after it. */
  private dict(open: number, items: PyValue[]): PyValue {
    const b = this.b;
    for (;;) {
      if (b[this.pos] !== C.COLON) this.afterKey(this.pos, open);
      items.push(this.value(this.skip(this.pos + 1)));
      const at = this.afterItem(open, C.RBRACE);
      if (b[at] === C.RBRACE) {
        this.leave(at);
        this.dicts++;
        return makeDict(items);
      }
      items.push(this.key(at, 'dict key'));
    }
  }

  /** A dict key or set element: a value Python can hash. */
  private key(i: number, role: string): PyValue {
    const dicts = this.dicts;
    const v = this.value(i);
    if (typeof v !== 'string' && (this.dicts !== dicts || hashKey(v) === undefined)) {
      this.lookahead(this.pos);
      const type = Array.isArray(v) ? 'list' : v instanceof PySet ? 'set' : v instanceof PyTuple ? 'tuple (holding an unhashable value)' : 'dict';
      this.fail(`unhashable ${type} as a ${role}`, i);
    }
    return v;
  }

  /**
   * The common dict key: a short str literal of printable ASCII, no escape, not starting with a
   * digit, followed by ':'. Returns its place in the key cache, `pos` on the ':'; else -1, nothing
   * consumed. Dicts repeat their keys in order, so the key that followed `previous` (the place of the
   * key before it in this dict, or -1) last time is compared first, while scanning, without a hash.
   */
  private plainKey(at: number, previous: number): number {
    const b = this.b;
    const q = b[at]!;
    const start = at + 1;
    if ((q !== C.QUOTE && q !== C.DQUOTE) || isDigit(b[start]!)) return -1;
    const guess = previous < 0 ? -1 : keyNext[previous]!;
    if (guess >= 0) {
      const end = start + keyLengths[guess]!;
      if (sameBytes(keyBytes, guess * KEY_MAX, b, start, end - start) && b[end] === q) {
        const colon = b[end + 1] === C.COLON ? end + 1 : this.skip(end + 1);
        if (b[colon] !== C.COLON) return -1;
        this.pos = colon;
        return guess;
      }
    }
    let h = 0;
    let end = start;
    for (let c = b[end]!; PLAIN[c] === 1; c = b[++end]!) h = (h * 31 + c) | 0;
    const len = end - start;
    if (b[end] !== q || len > KEY_MAX || len === 0) return -1;
    const colon = b[end + 1] === C.COLON ? end + 1 : this.skip(end + 1);
    if (b[colon] !== C.COLON) return -1;
    this.pos = colon;
    const slot = (h ^ (h >>> 15)) & (KEY_CACHE_SIZE - 1);
    if (previous >= 0) keyNext[previous] = slot;
    if (keyLengths[slot] !== len || !sameBytes(keyBytes, slot * KEY_MAX, b, start, len)) {
      // Not cached: store the internalized copy (a property name; a slice used as a key becomes a
      // ThinString, several times slower to read). The slot reads as empty until it is whole.
      const key = Object.keys({ [this.ascii(start, end)]: 0 })[0]!;
      keyLengths[slot] = -1;
      keyBytes.set(b.subarray(start, end), slot * KEY_MAX);
      keyCache[slot] = key;
      keyLengths[slot] = len;
    }
    return slot;
  }

  /** After a dict key, `i` is not on ':'. */
  private afterKey(i: number, open: number): never {
    if (this.b[i] === C.COMMA || this.b[i] === C.RBRACE) this.fail("expected ':' after a dict key", i);
    return this.expected(i, C.RBRACE, open);
  }

  /** After an item in brackets opened at `open`, `i` is on neither ',' nor `close`. */
  private expected(i: number, close: number, open: number): never {
    if (i >= this.n) this.fail(`'${String.fromCharCode(this.b[open]!)}' was never closed`, open);
    return this.fail(`expected ',' or '${String.fromCharCode(close)}', found ${this.describe(i)}`, i);
  }

  /** The token at `i`, named for an error message (reading it may itself be the error, as in Python). */
  private describe(i: number): string {
    const b = this.b;
    const c = b[i]!;
    if (c === C.NUL) return 'end of input';
    if (c === C.LF || c === C.CR) return 'end of line';
    if (isDigit(c) || (c === C.DOT && isDigit(b[i + 1]!))) {
      this.number(i);
      return 'a literal';
    }
    if (this.literalAt(i)) {
      this.string(i);
      return 'a literal';
    }
    let e = i;
    while (isIdentChar(b[e]!)) e++;
    if (e > i) return `name '${this.ascii(i, e)}'`;
    if ((c === C.LPAREN || c === C.LBRACKET || c === C.LBRACE) && this.depth >= this.maxDepth) {
      this.fail(`nesting deeper than maxDepth (${this.maxDepth}) brackets`, i);
    }
    if (c <= C.SPACE || c >= C.DEL) {
      const cp = b.toString('utf8', i, Math.min(i + 4, this.n)).codePointAt(0)!;
      this.fail(`invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`, i);
    }
    return `'${String.fromCharCode(c)}'`;
  }

  /** Python's tokenizer has read the token at `i` before it refuses an earlier one: its error comes first. */
  private lookahead(i: number): void {
    if (i < this.n) this.describe(i);
  }

  stackExhausted(): never {
    this.fail(`nesting of ${this.depth} brackets is deeper than the JS stack allows: lower maxDepth`, this.deepest);
  }

  /** Refuses the input; its first invalid UTF-8 byte, else its first NUL, is named instead of `reason`. */
  private fail(reason: string, at: number): never {
    const { b, n } = this;
    let invalid = 0;
    while (invalid < n) {
      const end = b[invalid]! < 0x80 ? invalid + 1 : utf8End(b, invalid);
      if (end < 0) break;
      invalid = end;
    }
    const nul = b.indexOf(C.NUL);
    if (invalid < n) [reason, at] = [`invalid UTF-8 (byte 0x${b[invalid]!.toString(16).padStart(2, '0')})`, invalid];
    else if (nul < n) [reason, at] = ['NUL character: serpent data contains 0-bytes (corrupted?)', nul];
    at = Math.min(at, n);
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at; k++) {
      if (b[k] === C.LF || (b[k] === C.CR && b[k + 1] !== C.LF)) [line, lineStart] = [line + 1, k + 1];
    }
    throw new SerpentParseError(reason, at, line, at - lineStart + 1);
  }
}

const reader = new Reader();
