import { SerpentSerializeError } from './errors.js';
import { floatRepr, strRepr } from './repr.js';
import { hashKey, isPlainObject, MAX_INT_DIGITS, PyComplex, PyDict, PyFloat, PySet, PyTuple, type PyValue } from './values.js';

export const SERPENT_HEADER = '# serpent utf-8 python3.2\n';

/** Python serpent's own limit: `min(sys.getrecursionlimit() // 5, 1000)`, 200 on a stock Python. */
export const DEFAULT_MAX_LEVEL = 200;

export interface SerializeOptions {
  /** Deepest nesting level written (the top value is level 0); Python serpent refuses past 200. */
  maxLevel?: number;
}

const NAN_TEXT = "{'__class__':'float','value':'nan'}";

/**
 * Writes `value` as serpent 1.41 text (header line included), the bytes Python's
 * `serpent.dumps(value)` gives for the same value (indent off, dicts in insertion order).
 * Set order cannot match Python's hash order; sets are written in the order given.
 */
export function serialize(value: PyValue, options: SerializeOptions = {}): Buffer {
  const out: string[] = [SERPENT_HEADER];
  const maxLevel = options.maxLevel ?? DEFAULT_MAX_LEVEL;
  try {
    new Writer(out, maxLevel).write(value, 0);
  } catch (err) {
    // The writer recurses once per level; only a caller-raised maxLevel can get here.
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      throw new SerpentSerializeError(`value nested too deep for the JS stack (maxLevel ${maxLevel}): lower maxLevel`);
    }
    throw err;
  }
  return Buffer.from(out.join(''), 'utf8');
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return NAN_TEXT;
  if (x === Infinity) return '1e30000';
  if (x === -Infinity) return '-1e30000';
  return floatRepr(x);
}

function intText(n: bigint | number): string {
  const s = n.toString();
  if (s.length - (s.startsWith('-') ? 1 : 0) > MAX_INT_DIGITS) {
    throw new SerpentSerializeError(
      `int with more than ${MAX_INT_DIGITS} digits: Python cannot read it back (sys.set_int_max_str_digits)`,
    );
  }
  return s;
}

function bytesText(b: Uint8Array): string {
  const b64 = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  return "{'data': '" + b64 + "', 'encoding': 'base64'}";
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return `object of class ${value.constructor?.name ?? '(none)'}`;
  return typeof value;
}

class Writer {
  private readonly active = new Set<object>();
  constructor(
    private readonly out: string[],
    private readonly maxLevel: number,
  ) {}

  write(value: PyValue, level: number): void {
    if (level > this.maxLevel) {
      throw new SerpentSerializeError(
        `value nested deeper than ${this.maxLevel} levels: Python serpent refuses this depth (pass maxLevel to change it)`,
      );
    }
    const out = this.out;
    switch (typeof value) {
      case 'string':
        out.push(strRepr(value));
        return;
      case 'boolean':
        out.push(value ? 'True' : 'False');
        return;
      case 'bigint':
        out.push(intText(value));
        return;
      case 'number':
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) out.push(String(value));
        else out.push(floatText(value));
        return;
      case 'object':
        break;
      default:
        throw new SerpentSerializeError(`cannot serialize ${describe(value)}: not a Python value`);
    }
    if (value === null) {
      out.push('None');
      return;
    }
    if (value instanceof Uint8Array) {
      out.push(bytesText(value));
      return;
    }
    if (value instanceof PyFloat) {
      if (typeof value.value !== 'number') throw new SerpentSerializeError('PyFloat holds a non-number');
      out.push(floatText(value.value));
      return;
    }
    if (value instanceof PyComplex) {
      out.push(this.complexText(value));
      return;
    }
    if (value instanceof PyTuple) {
      this.sequence(value.items, '(', ')', level, value.items.length === 1);
      return;
    }
    if (Array.isArray(value)) {
      this.enter(value);
      this.sequence(value, '[', ']', level, false);
      this.active.delete(value);
      return;
    }
    if (value instanceof PySet || value instanceof Set) {
      const items = value instanceof Set ? [...value] : value.items;
      if (items.length === 0) {
        out.push('()'); // serpent: there is no empty-set literal
        return;
      }
      this.enter(value);
      const seen = new Set<string>();
      for (const item of items) {
        this.checkHashable(item, 'set element');
        this.checkUnique(seen, item, 'set element');
      }
      this.sequence(items, '{', '}', level, false);
      this.active.delete(value);
      return;
    }
    if (value instanceof PyDict || value instanceof Map) {
      this.enter(value);
      out.push('{');
      let first = true;
      const seen = new Set<string>();
      for (const [k, v] of value instanceof Map ? value.entries() : value.entries) {
        if (!first) out.push(',');
        first = false;
        this.checkHashable(k, 'dict key');
        this.checkUnique(seen, k, 'dict key');
        this.write(k, level + 1);
        out.push(':');
        this.write(v, level + 1);
      }
      out.push('}');
      this.active.delete(value);
      return;
    }
    if (isPlainObject(value)) {
      this.enter(value);
      out.push('{');
      let first = true;
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (v === undefined) throw new SerpentSerializeError(`cannot serialize undefined (dict key ${strRepr(k)})`);
        if (!first) out.push(',');
        first = false;
        out.push(strRepr(k), ':');
        this.write(v, level + 1);
      }
      out.push('}');
      this.active.delete(value);
      return;
    }
    throw new SerpentSerializeError(`cannot serialize ${describe(value)}: not a Python value`);
  }

  private sequence(items: PyValue[], open: string, close: string, level: number, trailingComma: boolean): void {
    const out = this.out;
    out.push(open);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(',');
      const item = items[i];
      if (item === undefined) throw new SerpentSerializeError(`cannot serialize undefined (item ${i})`);
      this.write(item, level + 1);
    }
    if (trailingComma) out.push(',');
    out.push(close);
  }

  private enter(container: object): void {
    if (this.active.has(container)) throw new SerpentSerializeError('circular reference: a container holds itself');
    this.active.add(container);
  }

  private complexText(c: PyComplex): string {
    if (Number.isNaN(c.real) || Number.isNaN(c.imag)) {
      throw new SerpentSerializeError('complex with a NaN part: serpent has no literal Python can read for it');
    }
    // Python writes '+' before a non-negative imag, so -0.0 gives "+-0.0j", which Python itself
    // cannot read back; we write "-0.0j" instead (read by Python as +0.0j, the nearest it can do).
    const imag = floatText(c.imag);
    return '(' + floatText(c.real) + (imag.startsWith('-') ? '' : '+') + imag + 'j)';
  }

  /** Python would silently merge equal keys (1, 1.0 and True are one key); we refuse instead. */
  private checkUnique(seen: Set<string>, value: PyValue, what: string): void {
    const key = hashKey(value)!;
    if (key.startsWith('nan')) return;
    if (seen.has(key)) {
      throw new SerpentSerializeError(`duplicate ${what} ${describeKey(value)}: Python treats equal keys (1, 1.0, True) as one`);
    }
    seen.add(key);
  }

  private checkHashable(value: PyValue, what: string): void {
    if (value === null) throw new SerpentSerializeError(`None as a ${what}: serpent refuses it (not a primitive hashable type)`);
    if (value instanceof Uint8Array) {
      throw new SerpentSerializeError(`bytes as a ${what}: serpent writes bytes as a dict, which Python cannot hash`);
    }
    if (!writtenHashable(value)) {
      throw new SerpentSerializeError(`unhashable ${describe(value)} as a ${what}: use str, int, float, bool, complex or a tuple of those`);
    }
  }
}

/** Whether Python can hash what serpent writes for `value` (bytes become an unhashable dict). */
function writtenHashable(value: PyValue): boolean {
  if (value instanceof PyTuple) return value.items.every((item) => item === null || writtenHashable(item));
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean' ||
    value instanceof PyFloat ||
    value instanceof PyComplex
  );
}

function describeKey(value: PyValue): string {
  if (typeof value === 'string') return strRepr(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return describe(value);
}
