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

// The state of the one read under way (parse() is synchronous and calls no user code).
let buf: SliceBuffer = EMPTY;
let s = '';
let p = 0;
let depth = 0;
let maxDepth = 0;
let preserveFloats = false;

export function fastParse(input: Uint8Array, maxDepthOption: number, preserve: boolean): PyValue | typeof NOT_FAST {
  buf = (Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)) as SliceBuffer;
  const n = buf.length;
  s = buf.latin1Slice(0, n);
  p = 0;
  depth = 0;
  maxDepth = maxDepthOption;
  preserveFloats = preserve;
  try {
    // Comment lines (serpent's header) at the very start, each ended by '\n'.
    while (s.charCodeAt(p) === 35) {
      let i = p + 1;
      for (;;) {
        const c = s.charCodeAt(i);
        if (c === 10) break;
        if (!((c >= 32 && c < 127) || c === 9)) return NOT_FAST;
        i++;
      }
      p = i + 1;
    }
    const v = value();
    if (p === n || (p === n - 1 && s.charCodeAt(p) === 10)) return v;
    return NOT_FAST;
  } catch {
    // BAIL, or anything unforeseen: the full parser decides.
    return NOT_FAST;
  } finally {
    buf = EMPTY;
    s = '';
  }
}

/** Skips blanks and newlines (callers are inside brackets); returns the next char code (NaN at the end). */
function ws(): number {
  let c = s.charCodeAt(p);
  while (c === 32 || c === 10 || c === 9 || c === 13) c = s.charCodeAt(++p);
  return c;
}

function value(): PyValue {
  const c = s.charCodeAt(p);
  switch (c) {
    case 39:
    case 34:
      return str(c);
    case 123:
      return brace();
    case 91:
      return list();
    case 40:
      return paren();
    case 45:
      p++;
      return number(true);
    case 84: // True
      if (s.charCodeAt(p + 1) === 114 && s.charCodeAt(p + 2) === 117 && s.charCodeAt(p + 3) === 101) {
        p += 4;
        return true;
      }
      throw BAIL;
    case 70: // False
      if (s.charCodeAt(p + 1) === 97 && s.charCodeAt(p + 2) === 108 && s.charCodeAt(p + 3) === 115 && s.charCodeAt(p + 4) === 101) {
        p += 5;
        return false;
      }
      throw BAIL;
    case 78: // None
      if (s.charCodeAt(p + 1) === 111 && s.charCodeAt(p + 2) === 110 && s.charCodeAt(p + 3) === 101) {
        p += 4;
        return null;
      }
      throw BAIL;
    default:
      if (c >= 48 && c <= 57) return number(false);
      throw BAIL;
  }
}

function enter(): void {
  if (++depth > maxDepth || depth > FAST_MAX_DEPTH) throw BAIL;
  p++;
}

function list(): PyValue[] {
  enter();
  const items: PyValue[] = [];
  let c = ws();
  if (c !== 93) {
    for (;;) {
      items.push(value());
      c = ws();
      if (c === 44) {
        p++;
        if (ws() === 93) break;
      } else if (c === 93) break;
      else throw BAIL;
    }
  }
  p++;
  depth--;
  return items;
}

function paren(): PyValue {
  enter();
  const items: PyValue[] = [];
  let comma = false;
  let c = ws();
  if (c !== 41) {
    for (;;) {
      items.push(value());
      c = ws();
      if (c === 44) {
        comma = true;
        p++;
        if (ws() === 41) break;
      } else if (c === 41) break;
      else throw BAIL;
    }
  }
  p++;
  depth--;
  return items.length === 1 && !comma ? items[0]! : new PyTuple(items);
}

/**
 * A dict key or set element: only a scalar (str, number, True/False/None). A bracket takes the full
 * parser, which knows which values are unhashable (a dict, even one decoded to NaN or bytes, or a
 * tuple or parenthesized value holding one).
 */
function key(): PyValue {
  const c = s.charCodeAt(p);
  if (c === 123 || c === 91 || c === 40) throw BAIL;
  return value();
}

function brace(): PyValue {
  enter();
  const open = p;
  let c = ws();
  if (c === 125) {
    p++;
    depth--;
    return Object.create(null) as PyObject;
  }
  if (c === 39 || c === 34) {
    // Every key a str (the common case): fill the object directly.
    const o = Object.create(null) as PyObject;
    let key = str(c);
    for (;;) {
      if (ws() !== 58) break; // a set: read it again below
      p++;
      ws();
      o[key] = value();
      c = ws();
      if (c === 44) {
        p++;
        c = ws();
        if (c === 125) break;
      } else if (c === 125) break;
      else throw BAIL;
      if (c !== 39 && c !== 34) break; // a key of another type: read it again below
      key = str(c);
    }
    if (c === 125) {
      p++;
      depth--;
      return special(o);
    }
    p = open;
    ws();
  }
  // Keys and values interleaved (or set elements), as the full parser collects them.
  const items: PyValue[] = [];
  items.push(key());
  c = ws();
  if (c === 58) {
    for (;;) {
      p++;
      ws();
      items.push(value());
      c = ws();
      if (c === 44) {
        p++;
        if (ws() === 125) break;
        items.push(key());
        if (ws() !== 58) throw BAIL;
      } else if (c === 125) break;
      else throw BAIL;
    }
    p++;
    depth--;
    return makeDict(items);
  }
  for (;;) {
    if (c === 44) {
      p++;
      if (ws() === 125) break;
      items.push(key());
      c = ws();
    } else if (c === 125) break;
    else throw BAIL;
  }
  p++;
  depth--;
  return makeSet(items);
}

/** A plain (unprefixed, single-line) str literal starting at its quote `q`. */
function str(q: number): string {
  const start = p + 1;
  let i = start;
  let high = false;
  let c: number;
  for (;;) {
    c = s.charCodeAt(i);
    if (c === q || c === 92) break;
    if (c >= 128) {
      i = utf8Sequence(i, c);
      high = true;
    } else if (c >= 32 || c === 9) i++;
    else throw BAIL; // end of input, NUL, newline, other control characters
  }
  if (c === 92) return escaped(start, i, high, q);
  if (i === start && s.charCodeAt(i + 1) === q) throw BAIL; // a triple-quoted literal
  p = i + 1;
  return high ? buf.utf8Slice(start, i) : s.slice(start, i);
}

/** The rest of a str literal from its first backslash at `i`. */
function escaped(start: number, i: number, high: boolean, q: number): string {
  let out = i === start ? '' : high ? buf.utf8Slice(start, i) : s.slice(start, i);
  for (;;) {
    // The escape at i.
    const e = s.charCodeAt(i + 1);
    switch (e) {
      case 110:
        out += '\n';
        i += 2;
        break;
      case 116:
        out += '\t';
        i += 2;
        break;
      case 114:
        out += '\r';
        i += 2;
        break;
      case 92:
        out += '\\';
        i += 2;
        break;
      case 39:
        out += "'";
        i += 2;
        break;
      case 34:
        out += '"';
        i += 2;
        break;
      case 97:
        out += '\x07';
        i += 2;
        break;
      case 98:
        out += '\b';
        i += 2;
        break;
      case 102:
        out += '\f';
        i += 2;
        break;
      case 118:
        out += '\v';
        i += 2;
        break;
      case 120:
        out += String.fromCharCode(hex(i + 2, 2));
        i += 4;
        break;
      case 117:
        out += String.fromCharCode(hex(i + 2, 4));
        i += 6;
        break;
      case 85: {
        const v = hex(i + 2, 8);
        if (v > 0x10ffff) throw BAIL;
        out += v <= 0xffff ? String.fromCharCode(v) : String.fromCodePoint(v);
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
      c = s.charCodeAt(i);
      if (c === q || c === 92) break;
      if (c >= 128) {
        i = utf8Sequence(i, c);
        high = true;
      } else if (c >= 32 || c === 9) i++;
      else throw BAIL;
    }
    if (i > run) out += high ? buf.utf8Slice(run, i) : s.slice(run, i);
    if (c === q) {
      p = i + 1;
      return out;
    }
  }
}

function hex(at: number, width: number): number {
  let v = 0;
  for (let k = 0; k < width; k++) {
    const c = s.charCodeAt(at + k);
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
function utf8Sequence(i: number, c: number): number {
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
    const d = s.charCodeAt(i + k);
    if ((d & 0xc0) !== 0x80) throw BAIL;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw BAIL;
  return i + need + 1;
}

/** A plain decimal int or float (digits, optional `.digits`, optional exponent), after any '-'. */
function number(neg: boolean): PyValue {
  const start = p;
  let i = p;
  let v = 0;
  let c = s.charCodeAt(i);
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = s.charCodeAt(++i);
  }
  const digits = i - start;
  if (digits === 0 || (digits > 1 && s.charCodeAt(start) === 48)) throw BAIL;
  if (c !== 46 && c !== 101 && c !== 69) {
    p = i;
    let r: number | bigint;
    if (digits <= 15) r = v;
    else if (digits <= MAX_INT_DIGITS) r = normalizeInt(BigInt(s.slice(start, i)));
    else throw BAIL;
    if (neg) r = typeof r === 'bigint' ? normalizeInt(-r) : r === 0 ? 0 : -r;
    return r;
  }
  let frac = 0;
  if (c === 46) {
    c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) throw BAIL;
    const fracStart = i;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = s.charCodeAt(++i);
    }
    frac = i - fracStart;
  }
  let exp = 0;
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    const negExp = c === 45;
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) throw BAIL;
    while (c >= 48 && c <= 57) {
      exp = exp * 10 + (c - 48);
      c = s.charCodeAt(++i);
    }
    if (negExp) exp = -exp;
  }
  p = i;
  // Digits accumulate upwards, so v <= 2^53 means every step was exact; then one IEEE multiply or
  // divide by an exact power of ten is correctly rounded, as Number() of the text is.
  const k = exp - frac;
  let r = v <= 9007199254740992 && k >= -22 && k <= 22 ? (k < 0 ? v / POW10[-k]! : v * POW10[k]!) : Number(s.slice(start, i));
  if (neg) r = -r;
  return preserveFloats && Number.isInteger(r) && !Object.is(r, -0) ? new PyFloat(r) : r;
}
