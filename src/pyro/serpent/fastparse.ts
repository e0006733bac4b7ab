/**
 * The fast path of parse() for UTF-8 input: a recursive reader of the forms serpent itself writes
 * (`# header` lines, dicts, lists, tuples, sets, plain str literals with the escapes repr() writes,
 * plain ints and floats, True/False/None, blanks and newlines inside brackets).
 *
 * It never reports an error. Whenever the input leaves that subset (any other token, prefix,
 * escape, comment, number form, an unhashable or composite key, nesting past FAST_MAX_DEPTH or
 * maxDepth, anything after the value, invalid UTF-8, a NUL, ...) it gives up and returns NOT_FAST,
 * and parse() reads the input again with the full parser, which gives the value or the exact error.
 * So whatever it accepts must read as exactly the value the full parser gives: every rule here is a
 * narrowing of the one in lexer.ts / parse.ts.
 *
 * The bytes are read as a latin1 string (one char per byte): ASCII string bodies and number texts
 * are slices of it; a body holding UTF-8 sequences is validated here and decoded from the bytes.
 */
import { makeDict, makeSet, special } from './dicts.js';
import { MAX_INT_DIGITS, normalizeInt } from './lexer.js';
import { PyFloat, PyTuple, type PyObject, type PyValue } from './values.js';

export const NOT_FAST: unique symbol = Symbol('not fast');

/** Deepest nesting read here (each level is two JS frames); deeper input takes the full parser. */
const FAST_MAX_DEPTH = 256;

interface SliceBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Thrown (never escapes this module) when the input leaves the fast subset. */
const BAIL = { bail: true };

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const EMPTY = Buffer.alloc(0) as SliceBuffer;

// The state of the one read under way (parse() is synchronous and calls no user code). Positions
// are passed and returned as arguments (heap state in the inner loops costs several times more);
// each reader returns the index after what it read and leaves the value in `out` (or `outKey`).
/** The input bytes and a 0 after them: every scan stops at that NUL, which is never valid here. */
let buf: SliceBuffer = EMPTY;
/** The same bytes as a latin1 string, one char per byte: ASCII str bodies and numbers are sliced from it. */
let text = '';
let depth = 0;
let maxDepth = 0;
let preserveFloats = false;
let out: PyValue = null;
let outKey = '';

/** Reused for the copy of inputs up to this size; a larger input gets its own buffer. */
const SCRATCH_MAX = 1 << 20;
let scratch: SliceBuffer = EMPTY;

export function fastParse(input: Uint8Array, maxDepthOption: number, preserve: boolean): PyValue | typeof NOT_FAST {
  const n = input.length;
  let b: SliceBuffer;
  if (n < SCRATCH_MAX) {
    if (scratch.length <= n) scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(4096, 2 * (n + 1)))) as SliceBuffer;
    b = scratch;
  } else b = Buffer.allocUnsafeSlow(n + 1) as SliceBuffer;
  b.set(input);
  b[n] = 0;
  buf = b;
  text = b.latin1Slice(0, n);
  depth = 0;
  maxDepth = maxDepthOption;
  preserveFloats = preserve;
  try {
    // Comment lines (serpent's header) at the very start, each ended by '\n'.
    let i = 0;
    while (b[i]! === 35) {
      i++;
      for (;;) {
        const c = b[i]!;
        if (c === 10) break;
        if (!((c >= 32 && c < 127) || c === 9)) return NOT_FAST;
        i++;
      }
      i++;
    }
    i = value(b, i);
    if (i === n || (i === n - 1 && b[i]! === 10)) return out;
    return NOT_FAST;
  } catch {
    // BAIL, or anything unforeseen: the full parser decides.
    return NOT_FAST;
  } finally {
    buf = EMPTY;
    text = '';
    out = null;
    outKey = '';
  }
}

/** Skips blanks and newlines (callers are inside brackets). */
function skip(b: Uint8Array, i: number): number {
  let c = b[i]!;
  while (c === 32 || c === 10 || c === 9 || c === 13) c = b[++i]!;
  return i;
}

function value(b: Uint8Array, i: number): number {
  const c = b[i]!;
  switch (c) {
    case 39:
    case 34:
      return str(b, i, c);
    case 123:
      return brace(b, i);
    case 91:
      return list(b, i);
    case 40:
      return paren(b, i);
    case 45:
      return number(b, i + 1, true);
    case 84: // True
      if (b[i + 1]! === 114 && b[i + 2]! === 117 && b[i + 3]! === 101) {
        out = true;
        return i + 4;
      }
      throw BAIL;
    case 70: // False
      if (b[i + 1]! === 97 && b[i + 2]! === 108 && b[i + 3]! === 115 && b[i + 4]! === 101) {
        out = false;
        return i + 5;
      }
      throw BAIL;
    case 78: // None
      if (b[i + 1]! === 111 && b[i + 2]! === 110 && b[i + 3]! === 101) {
        out = null;
        return i + 4;
      }
      throw BAIL;
    default:
      if (c >= 48 && c <= 57) return number(b, i, false);
      throw BAIL;
  }
}

function list(b: Uint8Array, i: number): number {
  if (++depth > maxDepth || depth > FAST_MAX_DEPTH) throw BAIL;
  const items: PyValue[] = [];
  i = skip(b, i + 1);
  if (b[i]! !== 93) {
    for (;;) {
      i = skip(b, value(b, i));
      items.push(out);
      const c = b[i]!;
      if (c === 44) {
        i = skip(b, i + 1);
        if (b[i]! === 93) break;
      } else if (c === 93) break;
      else throw BAIL;
    }
  }
  depth--;
  out = items;
  return i + 1;
}

function paren(b: Uint8Array, i: number): number {
  if (++depth > maxDepth || depth > FAST_MAX_DEPTH) throw BAIL;
  const items: PyValue[] = [];
  let comma = false;
  i = skip(b, i + 1);
  if (b[i]! !== 41) {
    for (;;) {
      i = skip(b, value(b, i));
      items.push(out);
      const c = b[i]!;
      if (c === 44) {
        comma = true;
        i = skip(b, i + 1);
        if (b[i]! === 41) break;
      } else if (c === 41) break;
      else throw BAIL;
    }
  }
  depth--;
  out = items.length === 1 && !comma ? items[0]! : new PyTuple(items);
  return i + 1;
}

/**
 * Dicts are filled as instances of this constructor (V8 keeps such objects in fast, shaped mode,
 * where an object made by Object.create(null) is a hash table from the start) and then get the
 * null prototype PyObject promises. Its prototype is an empty object without a prototype, so no
 * setter (not even Object.prototype's `__proto__`) can see the stores: every key, `__proto__`
 * included, becomes an own data property, exactly as on Object.create(null).
 */
const Shaped = function Shaped(): void {} as unknown as new () => object;
Shaped.prototype = Object.create(null) as object;

/**
 * A dict key or set element: only a scalar (str, number, True/False/None). A bracket takes the full
 * parser, which knows which values are unhashable (a dict, even one decoded to NaN or bytes, or a
 * tuple or parenthesized value holding one).
 */
function key(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c === 123 || c === 91 || c === 40) throw BAIL;
  return value(b, i);
}

function brace(b: Uint8Array, open: number): number {
  if (++depth > maxDepth || depth > FAST_MAX_DEPTH) throw BAIL;
  let i = skip(b, open + 1);
  let c = b[i]!;
  if (c === 125) {
    depth--;
    out = Object.create(null) as PyObject;
    return i + 1;
  }
  if (c === 39 || c === 34) {
    // Every key a str (the common case): fill the object directly.
    const o = new Shaped() as PyObject;
    let first = true;
    for (;;) {
      i = skip(b, dictKey(b, i, c));
      const k = outKey;
      if (b[i]! !== 58) {
        if (first) break; // a set: read again below (only one str read twice)
        throw BAIL;
      }
      first = false;
      i = skip(b, value(b, skip(b, i + 1)));
      o[k] = out;
      c = b[i]!;
      if (c === 44) {
        i = skip(b, i + 1);
        c = b[i]!;
        if (c === 125) break;
      } else if (c === 125) break;
      else throw BAIL;
      // A key of another type after str keys: the full parser. (Reading this dict again here
      // would read its values twice, and nested ones once per level: hostile input could make
      // that quadratic.)
      if (c !== 39 && c !== 34) throw BAIL;
    }
    if (c === 125) {
      depth--;
      Object.setPrototypeOf(o, null);
      out = special(o);
      return i + 1;
    }
    i = skip(b, open + 1);
  }
  // Keys and values interleaved (or set elements), as the full parser collects them.
  const items: PyValue[] = [];
  i = skip(b, key(b, i));
  items.push(out);
  c = b[i]!;
  if (c === 58) {
    for (;;) {
      i = skip(b, value(b, skip(b, i + 1)));
      items.push(out);
      c = b[i]!;
      if (c === 44) {
        i = skip(b, i + 1);
        if (b[i]! === 125) break;
        i = skip(b, key(b, i));
        items.push(out);
        if (b[i]! !== 58) throw BAIL;
      } else if (c === 125) break;
      else throw BAIL;
    }
    depth--;
    out = makeDict(items);
    return i + 1;
  }
  for (;;) {
    if (c === 44) {
      i = skip(b, i + 1);
      if (b[i]! === 125) break;
      i = skip(b, key(b, i));
      items.push(out);
      c = b[i]!;
    } else if (c === 125) break;
    else throw BAIL;
  }
  depth--;
  out = makeSet(items);
  return i + 1;
}

/** 1 for the bytes a str body holds as they are: ASCII but controls (tab excepted), quotes and backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 32; c < 128; c++) PLAIN[c] = c === 34 || c === 39 || c === 92 ? 0 : 1;
PLAIN[9] = 1;

// Short ASCII dict keys seen before, by a hash of their text: the same string object comes back for
// the same key, already internalized by its use as a property name, which makes storing it cheap.
const KEY_CACHE_SIZE = 1024;
const KEY_CACHE_MAX_LENGTH = 32;
const keyCache: string[] = [];
for (let k = 0; k < KEY_CACHE_SIZE; k++) keyCache.push('');
/** Each cached key's bytes (compared as bytes: reading a typed array is faster than charCodeAt). */
const keyBytes = new Uint8Array(KEY_CACHE_SIZE * KEY_CACHE_MAX_LENGTH);
const keyLengths = new Int32Array(KEY_CACHE_SIZE).fill(-1);

/** A str literal in a dict key position (quote `q` at `at`), into outKey: cached when short plain ASCII. */
function dictKey(b: Uint8Array, at: number, q: number): number {
  const start = at + 1;
  let i = start;
  let h = 0;
  let c = b[i]!;
  while (PLAIN[c] === 1) {
    h = (h * 31 + c) | 0;
    c = b[++i]!;
  }
  const len = i - start;
  if (c !== q || len > KEY_CACHE_MAX_LENGTH || len === 0) {
    const end = str(b, at, q);
    outKey = out as string;
    return end;
  }
  const slot = (h ^ (h >>> 15)) & (KEY_CACHE_SIZE - 1);
  const at0 = slot * KEY_CACHE_MAX_LENGTH;
  if (keyLengths[slot] === len) {
    let k = 0;
    while (k < len && keyBytes[at0 + k] === b[start + k]) k++;
    if (k === len) {
      outKey = keyCache[slot]!;
      return i + 1;
    }
  }
  // Cache the internalized copy (a property name): the slice itself becomes a ThinString once
  // used as a key, and reading that char by char is several times slower.
  const key = Object.keys({ [text.slice(start, i)]: 0 })[0]!;
  keyCache[slot] = key;
  keyLengths[slot] = len;
  keyBytes.set(b.subarray(start, i), at0);
  outKey = key;
  return i + 1;
}

/** A plain (unprefixed, single-line) str literal whose quote `q` is at `at`. */
function str(b: Uint8Array, at: number, q: number): number {
  const start = at + 1;
  let i = start;
  let high = false;
  let c: number;
  for (;;) {
    c = b[i]!;
    if (PLAIN[c] === 1) i++;
    else if (c === q || c === 92) break;
    else if (c >= 128) {
      i = utf8Sequence(b, i, c);
      high = true;
    } else if (c === 34 || c === 39) i++; // the other quote
    else throw BAIL; // end of input, NUL, newline, other control characters
  }
  if (c === 92) return escaped(b, start, i, high, q);
  if (i === start && b[i + 1]! === q) throw BAIL; // a triple-quoted literal
  out = high ? buf.utf8Slice(start, i) : text.slice(start, i);
  return i + 1;
}

/** The rest of a str literal from its first backslash at `i`. */
function escaped(b: Uint8Array, start: number, i: number, high: boolean, q: number): number {
  let acc = i === start ? '' : high ? buf.utf8Slice(start, i) : text.slice(start, i);
  for (;;) {
    // The escape at i.
    const e = b[i + 1]!;
    switch (e) {
      case 110:
        acc += '\n';
        i += 2;
        break;
      case 116:
        acc += '\t';
        i += 2;
        break;
      case 114:
        acc += '\r';
        i += 2;
        break;
      case 92:
        acc += '\\';
        i += 2;
        break;
      case 39:
        acc += "'";
        i += 2;
        break;
      case 34:
        acc += '"';
        i += 2;
        break;
      case 97:
        acc += '\x07';
        i += 2;
        break;
      case 98:
        acc += '\b';
        i += 2;
        break;
      case 102:
        acc += '\f';
        i += 2;
        break;
      case 118:
        acc += '\v';
        i += 2;
        break;
      case 120:
        acc += String.fromCharCode(hex(b, i + 2, 2));
        i += 4;
        break;
      case 117:
        acc += String.fromCharCode(hex(b, i + 2, 4));
        i += 6;
        break;
      case 85: {
        const v = hex(b, i + 2, 8);
        if (v > 0x10ffff) throw BAIL;
        acc += v <= 0xffff ? String.fromCharCode(v) : String.fromCodePoint(v);
        i += 10;
        break;
      }
      default:
        throw BAIL; // octal, \N{}, continuation, unknown escapes
    }
    // The run up to the next backslash or the closing quote.
    const run = i;
    high = false;
    let c: number;
    for (;;) {
      c = b[i]!;
      if (c === q || c === 92) break;
      if (c >= 128) {
        i = utf8Sequence(b, i, c);
        high = true;
      } else if (c >= 32 || c === 9) i++;
      else throw BAIL;
    }
    if (i > run) acc += high ? buf.utf8Slice(run, i) : text.slice(run, i);
    if (c === q) {
      out = acc;
      return i + 1;
    }
  }
}

function hex(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let k = 0; k < width; k++) {
    const c = b[at + k]!;
    let h: number;
    if (c >= 48 && c <= 57) h = c - 48;
    else if (c >= 97 && c <= 102) h = c - 87;
    else if (c >= 65 && c <= 70) h = c - 55;
    else throw BAIL;
    v = v * 16 + h;
  }
  return v;
}

/** Checks the well-formed UTF-8 sequence whose lead byte `c` is at `i`; returns the index after it. */
function utf8Sequence(b: Uint8Array, i: number, c: number): number {
  let need: number;
  let min: number;
  let cp: number;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1;
    min = 0x80;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    min = 0x800;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    min = 0x10000;
    cp = c & 0x07;
  } else throw BAIL;
  for (let k = 1; k <= need; k++) {
    const d = b[i + k]!;
    if ((d & 0xc0) !== 0x80) throw BAIL;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw BAIL;
  return i + need + 1;
}

/** A plain decimal int or float (digits, optional `.digits`, optional exponent) at `start`, after any '-'. */
function number(b: Uint8Array, start: number, neg: boolean): number {
  let i = start;
  let v = 0;
  let c = b[i]!;
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = b[++i]!;
  }
  const digits = i - start;
  if (digits === 0 || (digits > 1 && b[start]! === 48)) throw BAIL;
  if (c !== 46 && c !== 101 && c !== 69) {
    let r: number | bigint;
    if (digits <= 15) r = v;
    else if (digits <= MAX_INT_DIGITS) r = normalizeInt(BigInt(text.slice(start, i)));
    else throw BAIL;
    if (neg) r = typeof r === 'bigint' ? normalizeInt(-r) : r === 0 ? 0 : -r;
    out = r;
    return i;
  }
  let frac = 0;
  if (c === 46) {
    c = b[++i]!;
    if (!(c >= 48 && c <= 57)) throw BAIL;
    const fracStart = i;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = b[++i]!;
    }
    frac = i - fracStart;
  }
  let exp = 0;
  if (c === 101 || c === 69) {
    c = b[++i]!;
    const negExp = c === 45;
    if (c === 43 || c === 45) c = b[++i]!;
    if (!(c >= 48 && c <= 57)) throw BAIL;
    while (c >= 48 && c <= 57) {
      exp = exp * 10 + (c - 48);
      c = b[++i]!;
    }
    if (negExp) exp = -exp;
  }
  // Digits accumulate upwards, so v <= 2^53 means every step was exact; then one IEEE multiply or
  // divide by an exact power of ten is correctly rounded, as Number() of the text is.
  const k = exp - frac;
  let r = v <= 9007199254740992 && k >= -22 && k <= 22 ? (k < 0 ? v / POW10[-k]! : v * POW10[k]!) : Number(text.slice(start, i));
  if (neg) r = -r;
  out = preserveFloats && Number.isInteger(r) && !Object.is(r, -0) ? new PyFloat(r) : r;
  return i;
}
