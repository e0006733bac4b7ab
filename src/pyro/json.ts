import { SerializeError } from './errors.js';
import {
  PyComplex,
  PyDict,
  PyFloat,
  PySet,
  PyTuple,
  MAX_INT_DIGITS,
  floatRepr,
  isPlainObject,
  pyObject,
  type PyObject,
  type PyValue,
} from './serpent/index.js';

/**
 * Python's json module for the values JSON can carry: `json.dumps` with its defaults (separators
 * `', '` and `': '`, floats as `repr()` writes them, NaN and Infinity allowed) and `json.loads`.
 * Pyro4's json serializer calls `json.dumps(..., ensure_ascii=False)`, so jsonDumps() writes text
 * as UTF-8; `ensureAscii` escapes it as `\uXXXX`, as a plain `json.dumps(value)` does (focus json).
 * Tuples and sets become arrays, as Pyro4 writes them; non-str dict keys become strings the way
 * Python's json writes them; bytes and complex are refused, as Python refuses them. The reader keeps
 * ints exact (bigint past 2^53) and reads NaN/Infinity as Python's json does.
 */
export interface JsonDumpOptions {
  /** Escape every character outside printable ASCII, as json.dumps does by default (Pyro4 does not). */
  ensureAscii?: boolean;
  /** Deepest nesting written (default 1000). */
  maxDepth?: number;
}

/** Pyro4's JsonSerializer.dumps: the UTF-8 bytes of `json.dumps(value, ensure_ascii=False)`. */
export function jsonDumps(value: PyValue): Buffer {
  return Buffer.from(jsonText(value), 'utf8');
}

/** `json.dumps(value)` as Python writes it (with `ensure_ascii=False` unless `ensureAscii`). */
export function jsonText(value: PyValue, options: JsonDumpOptions = {}): string {
  return writeJson(value, 0, options.maxDepth ?? 1000, options.ensureAscii ?? false);
}

function writeJson(value: PyValue, depth: number, maxDepth: number, ascii: boolean): string {
  if (depth > maxDepth) throw new SerializeError(`json: value nested deeper than ${maxDepth} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return numberText(value, false);
    case 'string':
      return stringText(value, ascii);
  }
  if (value instanceof PyFloat) return numberText(value.value, true);
  if (Array.isArray(value)) return '[' + value.map((v) => writeJson(v, depth + 1, maxDepth, ascii)).join(', ') + ']';
  if (value instanceof PyTuple || value instanceof PySet) return writeJson(value.items, depth, maxDepth, ascii);
  if (value instanceof Set) return writeJson([...value], depth, maxDepth, ascii);
  if (value instanceof Uint8Array) throw new SerializeError("don't know how to serialize class <class 'bytes'> using serializer JsonSerializer");
  if (value instanceof PyComplex) throw new SerializeError("don't know how to serialize class <class 'complex'> using serializer JsonSerializer");
  const entries: [PyValue, PyValue][] =
    value instanceof PyDict ? value.entries : value instanceof Map ? [...value.entries()] : isPlainObject(value) ? Object.entries(value) : [];
  const parts = entries.map(([k, v]) => stringText(keyText(k), ascii) + ': ' + writeJson(v, depth + 1, maxDepth, ascii));
  return '{' + parts.join(', ') + '}';
}

/** A JSON string as Python writes it (JSON.stringify escapes the same characters, the same way). */
function stringText(s: string, ascii: boolean): string {
  const text = JSON.stringify(s);
  return ascii ? text.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : text;
}

function numberText(x: number, asFloat: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (!asFloat && Number.isSafeInteger(x) && !Object.is(x, -0)) return String(x);
  return floatRepr(x);
}

function keyText(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (typeof key === 'number' || typeof key === 'bigint' || key instanceof PyFloat) {
    return typeof key === 'bigint' ? key.toString() : numberText(Number(key), key instanceof PyFloat);
  }
  throw new SerializeError('json: dict keys must be str, int, float, bool or None');
}

export interface JsonLoadOptions {
  maxDepth?: number;
  /** Integral floats (`2.0`) come back as `PyFloat`, as the serpent reader's option does. */
  preserveFloats?: boolean;
  /** NaN, Infinity and -Infinity, which Python writes and reads but strict JSON has not (default true). */
  nonFinite?: boolean;
}

/** Text that is not JSON: why, and the offset of the character where reading stopped (as Python's JSONDecodeError). */
export class JsonDecodeError extends SerializeError {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`json: ${reason} at offset ${offset}`);
  }
}

/** Reads JSON text as Python's `json.loads` does (NaN, Infinity and -Infinity accepted). */
export function jsonLoads(data: Uint8Array | string, options: JsonLoadOptions = {}): PyValue {
  let text: string;
  try {
    text = typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new SerializeError('json: payload is not valid UTF-8');
  }
  const literals = (options.nonFinite ?? true) ? LITERALS : FINITE_LITERALS;
  const reader = new JsonReader(text, options.maxDepth ?? 1000, options.preserveFloats ?? false, literals);
  const value = reader.value(0);
  reader.end();
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

class JsonReader {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly preserveFloats: boolean,
    private readonly literals: readonly (readonly [string, PyValue])[],
  ) {}

  end(): void {
    this.skip();
    if (this.pos !== this.text.length) this.fail('extra data');
  }

  value(depth: number): PyValue {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth} levels`);
    this.skip();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    for (const [word, value] of this.literals) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.number();
  }

  private object(depth: number): PyObject {
    const out = pyObject();
    this.pos++;
    this.skip();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skip();
      if (this.text[this.pos] !== '"') this.fail('expected a property name in double quotes');
      const key = this.string();
      this.skip();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      out[key] = this.value(depth + 1);
      this.skip();
      const c = this.text[this.pos];
      if (c !== ',' && c !== '}') this.fail("expected ',' or '}'");
      this.pos++;
      if (c === '}') return out;
    }
  }

  private array(depth: number): PyValue[] {
    const out: PyValue[] = [];
    this.pos++;
    this.skip();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skip();
      const c = this.text[this.pos];
      if (c !== ',' && c !== ']') this.fail("expected ',' or ']'");
      this.pos++;
      if (c === ']') return out;
    }
  }

  private string(): string {
    // Scanned by hand: a regex over a 10 MB string would exhaust the regex backtracking stack.
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const code = this.text.charCodeAt(i);
      if (Number.isNaN(code) || code < 0x20) this.fail('unterminated string or control character in string');
      if (code === 0x22) break;
      i += code === 0x5c ? 2 : 1;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('invalid string escape');
    }
  }

  private number(): PyValue {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('expecting value');
    const match = m as RegExpExecArray;
    if (match[1] === undefined && match[2] === undefined) {
      // Python's json refuses such ints too; reading one into a BigInt takes time superlinear in
      // its length, so a few compressed kilobytes could stall the daemon for seconds.
      const digits = match[0].length - (match[0].startsWith('-') ? 1 : 0);
      if (digits > MAX_INT_DIGITS) this.fail(`int of ${digits} digits exceeds Python's limit of ${MAX_INT_DIGITS} digits`);
      this.pos = NUMBER.lastIndex;
      const n = Number(match[0]);
      return Number.isSafeInteger(n) ? n : BigInt(match[0]);
    }
    this.pos = NUMBER.lastIndex;
    const x = Number(match[0]);
    return this.preserveFloats && Number.isInteger(x) ? new PyFloat(x) : x;
  }

  private skip(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private fail(reason: string): never {
    throw new JsonDecodeError(reason, this.pos);
  }
}

const LITERALS: [string, PyValue][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];
/** Strict JSON's: no NaN or Infinity. */
const FINITE_LITERALS = LITERALS.filter(([, value]) => typeof value !== 'number');
