import { SerpentParseError } from './errors.js';
import { LexError, Lexer, normalizeInt, T_BYTES, T_END, T_FLOAT, T_IMAG, T_INT, T_NAME, T_NEWLINE, T_OP, T_STR } from './lexer.js';
import { makeDict, makeSet } from './dicts.js';
import { fastParse, NOT_FAST } from './fastparse.js';
import { hashKey, PyComplex, PyFloat, PySet, PyTuple, type PyValue } from './values.js';

export interface ParseOptions {
  /** Deepest bracket nesting accepted (default 1000). Deeper input is a SerpentParseError. */
  maxDepth?: number;
  /** Largest input accepted, in bytes (Uint8Array) or UTF-16 units (string); checked first. */
  maxLength?: number;
  /** Return integral floats as `PyFloat` so that they re-encode as floats (`3.0`, not `3`). */
  preserveFloats?: boolean;
}

export const DEFAULT_MAX_DEPTH = 1000;
export const DEFAULT_MAX_LENGTH = 256 * 1024 * 1024;

// What a finished value is, in ast terms: literal_eval allows unary +/- only on a number constant
// and binary +/- only as <real number, maybe signed> +/- <imaginary constant>.
const K_OTHER = 0;
const K_REAL = 1; // int or float constant (parentheses allowed around it)
const K_IMAG = 2; // imaginary constant
const K_SIGNED_REAL = 3; // -<real>
const K_SIGNED_IMAG = 4; // -<imaginary>
const K_UNHASHABLE = 5; // from a dict (bytes or NaN decoded), or a tuple holding one: Python can't hash it

const F_TOP = 0;
const F_PAREN = 1;
const F_LIST = 2;
const F_BRACE = 3;

const S_VALUE = 0; // expecting a value (or a closing bracket where allowed)
const S_SEP = 1; // after a value: expecting ',' or the close (':' after a brace key)
const S_DICT_VALUE = 2; // after ':' in a dict

interface Frame {
  kind: number;
  open: number; // offset of the opening bracket
  items: PyValue[]; // list/tuple/set elements, or dict keys and values interleaved
  sawComma: boolean;
  isDict: boolean | undefined;
  state: number;
  lastKind: number;
  holdsUnhashable: boolean;
}

const CLOSE_FOR: Record<number, number> = { [F_PAREN]: 41, [F_LIST]: 93, [F_BRACE]: 125 };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads serpent text (a Python literal, as `ast.literal_eval` accepts it) into TS values; see
 * values.ts for the mapping. A safe literal reader: nothing is evaluated, nesting and size are
 * bounded, and every error is a SerpentParseError naming the offset, line and column.
 */
export function parse(input: Uint8Array | string, options: ParseOptions = {}): PyValue {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (input.length > maxLength) {
    const unit = typeof input === 'string' ? 'characters' : 'bytes';
    throw new SerpentParseError(`input of ${input.length} ${unit} exceeds maxLength ${maxLength}`, 0, 1, 1);
  }
  if (typeof input !== 'string') {
    const fast = fastParse(input, maxDepth, options.preserveFloats ?? false);
    if (fast !== NOT_FAST) return fast;
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
    const lone = loneSurrogateOffset(text);
    if (lone >= 0) {
      const { line, column } = lineColumn(text, lone, (s) => s.length);
      throw new SerpentParseError('lone surrogate in the text (it has no UTF-8 form; escape it as \\udXXX)', lone, line, column);
    }
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      const at = invalidUtf8Offset(input);
      const head = Buffer.from(input.buffer, input.byteOffset, at).toString('utf8'); // valid up to `at`
      const { line, column } = lineColumn(head, head.length, (s) => Buffer.byteLength(s));
      throw new SerpentParseError(`invalid UTF-8 (byte 0x${(input[at] ?? 0).toString(16).padStart(2, '0')})`, at, line, column);
    }
  }
  try {
    const nul = text.indexOf('\0');
    if (nul >= 0) throw new LexError('NUL character: serpent data contains 0-bytes (corrupted?)', nul);
    return new Parser(text, maxDepth, options.preserveFloats ?? false).run();
  } catch (err) {
    if (!(err instanceof LexError)) throw err;
    const at = Math.min(err.offset, text.length);
    if (typeof input === 'string') {
      const { line, column } = lineColumn(text, at, (s) => s.length);
      throw new SerpentParseError(err.reason, at, line, column);
    }
    const head = text.slice(0, at);
    const { line, column } = lineColumn(text, at, (s) => Buffer.byteLength(s));
    throw new SerpentParseError(err.reason, Buffer.byteLength(head), line, column);
  }
}

function lineColumn(text: string, at: number, measure: (s: string) => number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: measure(text.slice(start, at)) + 1 };
}

/** The index of the first unpaired surrogate code unit, or -1. */
function loneSurrogateOffset(s: string): number {
  const wellFormed = (s as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  if (wellFormed !== undefined && wellFormed.call(s)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence. */
function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [need, min, cp] = [3, 0x10000, c & 0x07];
    else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}

class Parser {
  private readonly lx: Lexer;
  constructor(
    text: string,
    maxDepth: number,
    private readonly preserveFloats: boolean,
  ) {
    this.lx = new Lexer(text, maxDepth);
  }

  private fail(reason: string, at: number = this.lx.start): never {
    throw new LexError(reason, at);
  }

  private describeToken(): string {
    const lx = this.lx;
    switch (lx.type) {
      case T_END:
        return 'end of input';
      case T_NEWLINE:
        return 'end of line';
      case T_OP:
        return `'${String.fromCharCode(lx.op)}'`;
      case T_NAME:
        return `name '${String(lx.value)}'`;
      default:
        return 'a literal';
    }
  }

  run(): PyValue {
    const lx = this.lx;
    const stack: Frame[] = [];
    let f: Frame = newFrame(F_TOP, 0);
    let value: PyValue = null;
    let kind = K_OTHER;
    let valueStart = 0;
    let have = false;
    lx.next();
    for (;;) {
      if (!have) {
        // Expecting a value (or, where the grammar allows, the frame's close).
        if (lx.type === T_OP) {
          const c = lx.op;
          if (c === 40 || c === 91 || c === 123) {
            stack.push(f);
            f = newFrame(c === 40 ? F_PAREN : c === 91 ? F_LIST : F_BRACE, lx.start);
            lx.next();
            continue;
          }
          if (f.kind !== F_TOP && c === CLOSE_FOR[f.kind] && f.state === S_VALUE && (f.items.length === 0 || f.sawComma)) {
            [value, kind] = this.close(f);
            valueStart = f.open;
            f = stack.pop()!;
            have = true;
            lx.next();
            continue;
          }
        }
        if (f.kind === F_TOP && f.sawComma && (lx.type === T_NEWLINE || lx.type === T_END)) {
          return this.finishTop(f);
        }
        valueStart = lx.start;
        [value, kind] = this.operand();
        have = true;
        continue;
      }

      // A finished value; the lexer holds the token after it.
      if (lx.type === T_OP && (lx.op === 43 || lx.op === 45)) {
        if (kind !== K_REAL && kind !== K_SIGNED_REAL) {
          this.fail('malformed literal: + and - only join a real number and an imaginary number, as in 1+2j');
        }
        const minus = lx.op === 45;
        lx.next();
        const imag = this.number(K_IMAG)[0] as number;
        const re: number = Number(value instanceof PyFloat ? value.value : (value as number | bigint));
        if (!Number.isFinite(re) && typeof value === 'bigint') this.fail('int too large to convert to float', valueStart);
        value = minus ? new PyComplex(re - 0, 0 - imag) : new PyComplex(re + 0, 0 + imag);
        kind = K_OTHER;
      }
      have = false;
      // Place the value into its frame.
      if (kind === K_UNHASHABLE) f.holdsUnhashable = true;
      if (f.state === S_DICT_VALUE) {
        f.items.push(value);
        f.state = S_SEP;
      } else {
        if (f.kind === F_BRACE) {
          if (typeof value !== 'string' && (kind === K_UNHASHABLE || hashKey(value) === undefined)) {
            this.fail(`unhashable ${typeName(value)} as a ${f.isDict === false ? 'set element' : 'dict key'}`, valueStart);
          }
        }
        f.items.push(value);
        f.lastKind = kind;
        f.state = S_SEP;
      }
      // Separator or close.
      const t = lx.type;
      if (t === T_OP) {
        const c = lx.op;
        if (c === 44) {
          if (f.kind === F_BRACE && f.isDict === undefined) f.isDict = false;
          if (f.kind === F_BRACE && f.isDict === true && f.items.length % 2 === 1) this.fail("expected ':' after a dict key");
          f.sawComma = true;
          f.state = S_VALUE;
          lx.next();
          continue;
        }
        if (c === 58 && f.kind === F_BRACE && f.isDict !== false && f.items.length % 2 === 1) {
          if (f.isDict === undefined) {
            if (f.items.length !== 1) this.fail("':' in a set");
            f.isDict = true;
          }
          f.state = S_DICT_VALUE;
          lx.next();
          continue;
        }
        if (f.kind !== F_TOP && c === CLOSE_FOR[f.kind]) {
          if (f.kind === F_BRACE && f.isDict === true && f.items.length % 2 === 1) this.fail("expected ':' after a dict key");
          [value, kind] = this.close(f);
          valueStart = f.open;
          f = stack.pop()!;
          have = true;
          lx.next();
          continue;
        }
      }
      if (f.kind === F_TOP && (t === T_NEWLINE || t === T_END)) return this.finishTop(f);
      if (t === T_END) {
        const open = String.fromCharCode(f.kind === F_PAREN ? 40 : f.kind === F_LIST ? 91 : 123);
        this.fail(`'${open}' was never closed`, f.open);
      }
      const expected = f.kind === F_TOP ? "',' or end of input" : `',' or '${String.fromCharCode(CLOSE_FOR[f.kind]!)}'`;
      this.fail(`expected ${expected}, found ${this.describeToken()}`);
    }
  }

  private finishTop(f: Frame): PyValue {
    const lx = this.lx;
    if (lx.type === T_NEWLINE) lx.next();
    if (lx.type !== T_END) this.fail(`unexpected ${this.describeToken()} after the value`);
    if (f.items.length === 0) this.fail('no value: the input holds no literal');
    return f.sawComma ? new PyTuple(f.items) : f.items[0]!;
  }

  private close(f: Frame): [PyValue, number] {
    switch (f.kind) {
      case F_PAREN:
        if (f.items.length === 1 && !f.sawComma) return [f.items[0]!, f.lastKind];
        return [new PyTuple(f.items), f.holdsUnhashable ? K_UNHASHABLE : K_OTHER];
      case F_LIST:
        return [f.items, K_OTHER];
      default:
        // `{}` is a dict; `{x}` (no ':' seen) is a set.
        return f.isDict === true || f.items.length === 0 ? [makeDict(f.items), K_UNHASHABLE] : [makeSet(f.items), K_OTHER];
    }
  }

  /** A literal that is not a bracket: number (maybe signed), string, bytes, True/False/None, set(). */
  private operand(): [PyValue, number] {
    const lx = this.lx;
    switch (lx.type) {
      case T_INT:
      case T_FLOAT:
      case T_IMAG: {
        const [v, type] = this.number(K_REAL);
        return [this.numberValue(v, type), type === T_IMAG ? K_IMAG : K_REAL];
      }
      case T_STR: {
        const v = lx.value as string;
        lx.next();
        return [v, K_OTHER];
      }
      case T_BYTES: {
        const v = Buffer.from(lx.value as string, 'latin1');
        lx.next();
        return [v, K_OTHER];
      }
      case T_NAME: {
        const name = lx.value as string;
        const at = lx.start;
        lx.next();
        if (name === 'None') return [null, K_OTHER];
        if (name === 'True') return [true, K_OTHER];
        if (name === 'False') return [false, K_OTHER];
        if (name === 'set' && this.isOp(40)) {
          lx.next();
          if (!this.isOp(41)) this.fail('only set() without arguments is a literal (the empty set)');
          lx.next();
          return [new PySet([]), K_OTHER];
        }
        return this.fail(`name '${name}' is not a literal (only True, False, None and set())`, at);
      }
      case T_OP:
        if (lx.op === 43 || lx.op === 45) {
          const minus = lx.op === 45;
          lx.next();
          const [v, type] = this.number(K_REAL);
          if (type === T_IMAG) {
            const im = v as number;
            return [minus ? new PyComplex(-0, -im) : new PyComplex(0, im), K_SIGNED_IMAG];
          }
          let signed = v;
          if (minus) signed = typeof v === 'bigint' ? normalizeInt(-v) : type === T_INT && v === 0 ? 0 : -v;
          return [this.numberValue(signed, type), K_SIGNED_REAL];
        }
        if (lx.op === 46) this.fail("'.' is not a literal (Ellipsis and attribute access are not supported)");
        return this.fail(`expected a value, found ${this.describeToken()}`);
      case T_END:
        return this.fail('unexpected end of input: expected a value');
      default:
        return this.fail(`expected a value, found ${this.describeToken()}`);
    }
  }

  /**
   * A number constant, possibly in parentheses: `2j`, `(1.5)`. With `want` K_IMAG it must be
   * imaginary. Returns the raw number (int as number|bigint) and K_REAL or K_IMAG.
   */
  private number(want: number): [number | bigint, number] {
    const lx = this.lx;
    let parens = 0;
    while (this.isOp(40)) {
      parens++;
      lx.next();
    }
    const t = lx.type;
    if (t !== T_INT && t !== T_FLOAT && t !== T_IMAG) {
      this.fail(
        want === K_IMAG
          ? `malformed literal: expected an imaginary number (like 2j) after + or -, found ${this.describeToken()}`
          : `malformed literal: + and - apply only to a number, found ${this.describeToken()}`,
      );
    }
    if (want === K_IMAG && t !== T_IMAG) this.fail('malformed literal: + and - only join a real number and an imaginary number, as in 1+2j');
    const v = lx.value as number | bigint;
    lx.next();
    for (let k = 0; k < parens; k++) {
      if (!this.isOp(41)) this.fail(`malformed literal: expected ')' after the number, found ${this.describeToken()}`);
      lx.next();
    }
    return [v, t];
  }

  private isOp(op: number): boolean {
    return this.lx.type === T_OP && this.lx.op === op;
  }

  private numberValue(v: number | bigint, type: number): PyValue {
    if (type === T_IMAG) return new PyComplex(0, v as number);
    if (type === T_FLOAT && this.preserveFloats && Number.isInteger(v) && !Object.is(v, -0)) return new PyFloat(v as number);
    return v;
  }
}

function newFrame(kind: number, open: number): Frame {
  return { kind, open, items: [], sawComma: false, isDict: undefined, state: S_VALUE, lastKind: K_OTHER, holdsUnhashable: false };
}

function typeName(v: PyValue): string {
  if (Array.isArray(v)) return 'list';
  if (v instanceof PySet) return 'set';
  if (v instanceof PyTuple) return 'tuple (holding an unhashable value)';
  return 'dict';
}
