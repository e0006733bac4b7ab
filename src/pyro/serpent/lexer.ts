/**
 * Tokens of the Python literal subset `ast.literal_eval` reads, following CPython 3.11's tokenizer:
 * comments, `\` line continuations, newlines ignored inside brackets, adjacent string literals
 * joined, every string prefix and escape form, every number form. Works on indices into one string;
 * long string bodies are sliced, never built a character at a time.
 */

export const T_END = 0;
export const T_NEWLINE = 1;
export const T_INT = 2;
export const T_FLOAT = 3;
export const T_IMAG = 4;
export const T_STR = 5;
export const T_BYTES = 6;
export const T_NAME = 7;
export const T_OP = 8;

/** Thrown by the lexer and parser with an offset into the decoded text; parse() adds line/column. */
export class LexError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

/** Python 3.11's default `sys.get_int_max_str_digits()`. */
export const MAX_INT_DIGITS = 4300;

const NUMBER =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][-+]?[0-9](?:_?[0-9])*)?[jJ]?/y;

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  10: '', // backslash-newline: continuation inside the literal
  92: '\\',
  39: "'",
  34: '"',
  97: '\x07', // a
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
  118: '\v',
};

export class Lexer {
  pos: number;
  /** Bracket nesting at the current position. */
  depth = 0;
  type = T_END;
  start = 0;
  /** T_INT: number | bigint; T_FLOAT/T_IMAG: number; T_STR/T_NAME: string; T_BYTES: latin1 string. */
  value: number | bigint | string = 0;
  /** T_OP: the operator's character code. */
  op = 0;
  private emitted = false;
  private lastNewline = false;
  private lineStart: number;

  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
  ) {
    // ast.literal_eval strips leading spaces and tabs before parsing.
    let p = 0;
    while (p < src.length && (src.charCodeAt(p) === 32 || src.charCodeAt(p) === 9)) p++;
    this.pos = p;
    this.lineStart = p;
  }

  /** Skips blanks, comments and continuations, and newlines when inside brackets or asked to. */
  private skip(pos: number, newlines: boolean): number {
    const src = this.src;
    const n = src.length;
    for (;;) {
      const c = src.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 12) pos++;
      else if (c === 35) {
        while (pos < n) {
          const d = src.charCodeAt(pos);
          if (d === 10 || d === 13) break;
          pos++;
        }
      } else if (c === 92) {
        const d = src.charCodeAt(pos + 1);
        if (d === 10) pos += 2;
        else if (d === 13) pos += src.charCodeAt(pos + 2) === 10 ? 3 : 2;
        else throw new LexError('unexpected character after line continuation character', pos);
        if (pos >= n) throw new LexError('unexpected end of input after a line continuation', pos);
        this.lineStart = pos;
      } else if ((c === 10 || c === 13) && (newlines || this.depth > 0)) {
        pos += c === 13 && src.charCodeAt(pos + 1) === 10 ? 2 : 1;
        this.lineStart = pos;
      } else return pos;
    }
  }

  next(): void {
    const src = this.src;
    let pos = this.skip(this.pos, !this.emitted || this.lastNewline);
    if (pos >= src.length) {
      if (this.lastNewline) this.checkLastLineIndent(pos);
      this.start = pos;
      this.type = T_END;
      this.pos = pos;
      return;
    }
    let c = src.charCodeAt(pos);
    if (c === 10 || c === 13) {
      this.start = pos;
      this.type = T_NEWLINE;
      this.lastNewline = true;
      this.pos = pos + (c === 13 && src.charCodeAt(pos + 1) === 10 ? 2 : 1);
      this.lineStart = this.pos;
      return;
    }
    if (!this.emitted) {
      // The first statement must not be indented; a form feed resets the indentation count.
      for (let p = pos - 1; p >= this.lineStart; p--) {
        const d = src.charCodeAt(p);
        if (d === 12) break;
        if (d === 32 || d === 9) throw new LexError('unexpected indent', pos);
      }
    }
    this.emitted = true;
    this.lastNewline = false;
    this.start = pos;
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(pos + 1)))) {
      this.pos = this.number(pos);
      return;
    }
    if (c === 39 || c === 34) {
      this.pos = this.strings(pos);
      return;
    }
    if (isIdentStart(c)) {
      let end = pos + 1;
      while (end < src.length && isIdentChar(src.charCodeAt(end))) end++;
      const q = src.charCodeAt(end);
      if ((q === 39 || q === 34) && end - pos <= 2) {
        const prefix = src.slice(pos, end).toLowerCase();
        if (prefix === 'f' || prefix === 'rf' || prefix === 'fr') {
          throw new LexError('f-strings are not literals', pos);
        }
        if (prefix === 'r' || prefix === 'u' || prefix === 'b' || prefix === 'br' || prefix === 'rb') {
          this.pos = this.strings(pos);
          return;
        }
      }
      if (c >= 128) throw new LexError(`invalid character U+${c.toString(16).toUpperCase().padStart(4, '0')}`, pos);
      this.type = T_NAME;
      this.value = src.slice(pos, end);
      this.pos = end;
      return;
    }
    this.type = T_OP;
    this.op = c;
    if (c === 40 || c === 91 || c === 123) {
      if (++this.depth > this.maxDepth) {
        throw new LexError(`nesting deeper than maxDepth (${this.maxDepth}) brackets`, pos);
      }
    } else if (c === 41 || c === 93 || c === 125) {
      if (this.depth > 0) this.depth--;
    } else if (!(c === 44 || c === 58 || c === 43 || c === 45 || (c > 32 && c < 127))) {
      if (c >= 0xd800 && c <= 0xdbff) c = src.codePointAt(pos) ?? c;
      throw new LexError(`invalid character U+${c.toString(16).toUpperCase().padStart(4, '0')}`, pos);
    }
    this.pos = pos + 1;
  }

  /**
   * Python's tokenizer reads a last line of only blanks (no newline after it) as an indented empty
   * statement: "unexpected indent". A form feed resets the indentation count.
   */
  private checkLastLineIndent(end: number): void {
    const src = this.src;
    let p = src.length;
    while (p > 0) {
      const c = src.charCodeAt(p - 1);
      if (c === 10 || c === 13) break;
      p--;
    }
    for (let i = end - 1; i >= p; i--) {
      const c = src.charCodeAt(i);
      if (c === 12) return;
      if (c === 32 || c === 9) {
        for (let k = p; k < src.length; k++) {
          const d = src.charCodeAt(k);
          if (d !== 32 && d !== 9 && d !== 12) return; // a comment: not a blank line
        }
        throw new LexError('unexpected indent', p);
      }
    }
  }

  private number(pos: number): number {
    const src = this.src;
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(src);
    if (m === null) throw new LexError('invalid number', pos);
    const text = m[0];
    const end = pos + text.length;
    const after = src.charCodeAt(end);
    const c1 = text.charCodeAt(1) | 0x20;
    const prefixed = text.charCodeAt(0) === 48 && (c1 === 120 || c1 === 111 || c1 === 98);
    if (isIdentChar(after) || after === 46) {
      const kind = !prefixed ? 'decimal' : c1 === 120 ? 'hexadecimal' : c1 === 111 ? 'octal' : 'binary';
      throw new LexError(`invalid ${kind} literal`, end);
    }
    const clean = text.includes('_') ? text.replace(/_/g, '') : text;
    if (prefixed) {
      this.type = T_INT;
      this.value = normalizeInt(BigInt(clean));
      return end;
    }
    const last = clean.charCodeAt(clean.length - 1) | 0x20;
    if (last === 106) {
      this.type = T_IMAG;
      this.value = Number(clean.slice(0, -1));
      return end;
    }
    if (clean.includes('.') || clean.includes('e') || clean.includes('E')) {
      this.type = T_FLOAT;
      this.value = Number(clean);
      return end;
    }
    this.type = T_INT;
    if (clean.length > 1 && clean.charCodeAt(0) === 48) {
      if (/[1-9]/.test(clean)) {
        throw new LexError('leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers', pos);
      }
      this.value = 0;
      return end;
    }
    if (clean.length > MAX_INT_DIGITS) {
      throw new LexError(`int literal of ${clean.length} digits exceeds Python's limit of ${MAX_INT_DIGITS} digits`, pos);
    }
    this.value = clean.length <= 15 ? Number(clean) : normalizeInt(BigInt(clean));
    return end;
  }

  /** One string literal, plus any adjacent ones (joined, as Python does). */
  private strings(pos: number): number {
    const parts: string[] = [];
    let bytes: boolean | undefined;
    for (;;) {
      const litStart = pos;
      let raw = false;
      let isBytes = false;
      for (;;) {
        const c = this.src.charCodeAt(pos) | 0x20;
        if (c === 114) raw = true;
        else if (c === 98) isBytes = true;
        else if (c !== 117) break;
        pos++;
      }
      if (bytes !== undefined && bytes !== isBytes) throw new LexError('cannot mix bytes and nonbytes literals', litStart);
      bytes = isBytes;
      pos = this.literal(pos, raw, isBytes, parts, litStart);
      // Adjacent literal? Peek past blanks (and newlines inside brackets) without consuming them.
      const saveLineStart = this.lineStart;
      const p = this.skip(pos, false);
      const c = this.src.charCodeAt(p);
      if (c === 39 || c === 34) {
        pos = p;
        continue;
      }
      if (isIdentStart(c)) {
        let e = p;
        while (e < p + 3 && isIdentChar(this.src.charCodeAt(e))) e++;
        const q = this.src.charCodeAt(e);
        const prefix = this.src.slice(p, e).toLowerCase();
        if ((q === 39 || q === 34) && ['r', 'u', 'b', 'br', 'rb'].includes(prefix)) {
          pos = p;
          continue;
        }
        if ((q === 39 || q === 34) && ['f', 'rf', 'fr'].includes(prefix)) {
          throw new LexError('f-strings are not literals', p);
        }
      }
      this.lineStart = saveLineStart;
      break;
    }
    this.type = bytes ? T_BYTES : T_STR;
    this.value = parts.length === 1 ? parts[0]! : parts.join('');
    return pos;
  }

  /** Reads one quoted body starting at its opening quote; appends the decoded text to `parts`. */
  private literal(pos: number, raw: boolean, isBytes: boolean, parts: string[], litStart: number): number {
    const src = this.src;
    const n = src.length;
    const q = src.charCodeAt(pos);
    const triple = src.charCodeAt(pos + 1) === q && src.charCodeAt(pos + 2) === q;
    let i = pos + (triple ? 3 : 1);
    let run = i;
    for (;;) {
      if (i >= n) throw new LexError(triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal', litStart);
      const c = src.charCodeAt(i);
      if (c === q) {
        if (!triple) break;
        if (src.charCodeAt(i + 1) === q && src.charCodeAt(i + 2) === q) break;
        i++;
      } else if (c === 92) {
        if (raw) {
          const d = src.charCodeAt(i + 1);
          if (d === 13) {
            parts.push(src.slice(run, i), '\\\n');
            i += src.charCodeAt(i + 2) === 10 ? 3 : 2;
            run = i;
          } else i += i + 1 < n ? 2 : 1;
          continue;
        }
        if (i > run) parts.push(src.slice(run, i));
        i = this.escape(i, isBytes, parts);
        run = i;
      } else if (c === 10 || c === 13) {
        if (!triple) throw new LexError('unterminated string literal', litStart);
        if (c === 13) {
          parts.push(src.slice(run, i), '\n');
          i += src.charCodeAt(i + 1) === 10 ? 2 : 1;
          run = i;
        } else i++;
      } else {
        if (isBytes && c >= 128) throw new LexError('bytes can only contain ASCII literal characters', i);
        i++;
      }
    }
    if (i > run) parts.push(src.slice(run, i));
    return i + (triple ? 3 : 1);
  }

  /** Decodes the escape whose backslash is at `i`; returns the index after it. */
  private escape(i: number, isBytes: boolean, parts: string[]): number {
    const src = this.src;
    const e = src.charCodeAt(i + 1);
    if (Number.isNaN(e)) throw new LexError('unterminated string literal', i);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      parts.push(simple);
      return i + 2;
    }
    if (e === 13) return src.charCodeAt(i + 2) === 10 ? i + 3 : i + 2;
    if (e >= 48 && e <= 55) {
      let v = e - 48;
      let j = i + 2;
      for (let k = 0; k < 2; k++) {
        const d = src.charCodeAt(j);
        if (d >= 48 && d <= 55) {
          v = v * 8 + d - 48;
          j++;
        } else break;
      }
      parts.push(String.fromCharCode(isBytes ? v & 0xff : v));
      return j;
    }
    let width = 0;
    if (e === 120) width = 2;
    else if (!isBytes && e === 117) width = 4;
    else if (!isBytes && e === 85) width = 8;
    if (width > 0) {
      let v = 0;
      for (let k = 0; k < width; k++) {
        const h = hexValue(src.charCodeAt(i + 2 + k));
        if (h < 0) {
          const form = e === 120 ? '\\xXX' : e === 117 ? '\\uXXXX' : '\\UXXXXXXXX';
          throw new LexError(`truncated ${form} escape`, i);
        }
        v = v * 16 + h;
      }
      if (v > 0x10ffff) throw new LexError('illegal Unicode character in \\U escape', i);
      parts.push(v <= 0xffff ? String.fromCharCode(v) : String.fromCodePoint(v));
      return i + 2 + width;
    }
    if (!isBytes && e === 78) {
      throw new LexError('\\N{...} named escapes are not supported: write the character or a \\u escape', i);
    }
    parts.push('\\'); // unknown escape: Python keeps the backslash
    return i + 1;
  }
}

/** An int as `number` when it is a safe integer, else `bigint`. */
export function normalizeInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}
