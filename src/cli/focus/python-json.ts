/**
 * `json.dumps(value)` as Python writes it with its defaults (separators `', '` and `': '`,
 * `ensure_ascii`, NaN/Infinity allowed, floats in `repr` form), so `focus json` prints the same
 * line the Python tool does for the same status dict.
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const frac = digits.length > 1 ? '.' + digits.slice(1) : '';
    const expText = String(Math.abs(e)).padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${e < 0 ? '-' : '+'}${expText}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A JSON string with everything outside printable ASCII escaped, as `ensure_ascii=True` does. */
export function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const escaped = ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += '\\u' + code.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** Raised for values Python's json module cannot write either (sets, bytes, complex numbers). */
export class NotJsonSerializableError extends TypeError {
  constructor(readonly typeName: string) {
    super(`Object of type ${typeName} is not JSON serializable`);
    this.name = 'NotJsonSerializableError';
  }
}

function keyText(key: unknown): string {
  if (typeof key === 'string') return pyJsonString(key);
  if (key === null) return '"null"';
  if (key === true) return '"true"';
  if (key === false) return '"false"';
  if (typeof key === 'bigint') return `"${key}"`;
  if (typeof key === 'number') return `"${Number.isInteger(key) ? String(key) : pyFloatRepr(key)}"`;
  throw new TypeError(`keys must be str, int, float, bool or None, not ${typeof key}`);
}

/** Python's `json.dumps` for a decoded serpent value. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : pyFloatRepr(value);
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (value instanceof Uint8Array) throw new NotJsonSerializableError('bytes');
  if (value instanceof Map) return '{' + [...value].map(([k, v]) => `${keyText(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
  const object = value as Record<string, unknown>;
  switch ((value as object).constructor?.name) {
    case 'PyTuple':
      return pyJsonDumps(object.items);
    case 'PySet':
      throw new NotJsonSerializableError('set');
    case 'PyComplex':
      throw new NotJsonSerializableError('complex');
    case 'PyFloat':
      return pyFloatRepr(Number(object.value));
    case 'PyDict':
      return '{' + (object.entries as [unknown, unknown][]).map(([k, v]) => `${keyText(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
    default:
      return '{' + Object.entries(object).map(([k, v]) => `${pyJsonString(k)}: ${pyJsonDumps(v)}`).join(', ') + '}';
  }
}
