/**
 * The TypeScript side of serpent's Python values: None/True/False are null/true/false; int is a
 * `number` when safe, else a `bigint`; float a `number` (`PyFloat` keeps an integral one a float);
 * str a `string`; bytes a `Uint8Array` (decoded: `Buffer`); list an array; tuple, set, complex and a
 * dict with a non-str key are the classes below; a dict whose keys are all str is a `PyObject` (null
 * prototype). docs/pyro.md ("What each Python type becomes") has the whole mapping: how numbers are
 * written, the bytes and float dicts Pyro4 decodes, lone surrogates, and what JS cannot tell apart.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PySet
  | PyComplex
  | PyFloat
  | PyDict
  | PyObject
  | Map<PyValue, PyValue>
  | Set<PyValue>;

/** Python 3.11's default `sys.get_int_max_str_digits()`: the longest decimal int it reads or writes. */
export const MAX_INT_DIGITS = 4300;

/** A dict whose keys are all str. Decoded ones have a null prototype, so any key is plain data. */
export interface PyObject {
  [key: string]: PyValue;
}

/** Python tuple. */
export class PyTuple {
  constructor(public readonly items: PyValue[] = []) {}
}

/** Python set (decoded sets hold each element once, in the order first written). */
export class PySet {
  constructor(public readonly items: PyValue[] = []) {}
}

/** Python complex number. */
export class PyComplex {
  constructor(
    public readonly real: number,
    public readonly imag: number,
  ) {}
}

/** A float that stays a float on the wire even when integral (`PyFloat(3)` is written `3.0`). */
export class PyFloat {
  constructor(public readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** A dict with at least one key that is not a str, as ordered [key, value] pairs. */
export class PyDict {
  constructor(public readonly entries: [PyValue, PyValue][] = []) {}
  /** The value for a key, compared the way Python compares dict keys (1 == 1.0 == True). */
  get(key: PyValue): PyValue | undefined {
    const wanted = hashKey(key);
    if (wanted === undefined) return undefined;
    for (const [k, v] of this.entries) if (hashKey(k) === wanted) return v;
    return undefined;
  }
}

/** A fresh `PyObject` with a null prototype. */
export function pyObject(entries?: Iterable<[string, PyValue]>): PyObject {
  const o = Object.create(null) as PyObject;
  if (entries) for (const [k, v] of entries) o[k] = v;
  return o;
}

/** True for objects the codec treats as a str-keyed dict (plain or null-prototype objects). */
export function isPlainObject(value: unknown): value is PyObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

let nanCounter = 0;

/**
 * A string equal for two values exactly when Python's `==` (and hash) says their keys are equal,
 * e.g. `1`, `1.0`, `True` and `(1+0j)` share one; `undefined` when the value is unhashable.
 */
export function hashKey(value: PyValue): string | undefined {
  switch (typeof value) {
    case 'string':
      return 's' + value;
    case 'boolean':
      return value ? 'n1' : 'n0';
    case 'bigint':
      return 'n' + value.toString();
    case 'number':
      return numberKey(value);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return 'N';
  if (value instanceof PyFloat) return numberKey(value.value);
  if (value instanceof PyComplex) {
    if (value.imag === 0) return numberKey(value.real);
    return 'c' + numberKey(value.real) + ',' + numberKey(value.imag);
  }
  if (value instanceof Uint8Array) return 'b' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  if (value instanceof PyTuple) {
    const keys: string[] = [];
    for (const item of value.items) {
      const k = hashKey(item);
      if (k === undefined) return undefined;
      keys.push(k);
    }
    return 't' + JSON.stringify(keys);
  }
  return undefined;
}

function numberKey(n: number): string {
  if (Number.isNaN(n)) return 'nan' + nanCounter++;
  if (Number.isInteger(n)) return 'n' + BigInt(n).toString();
  return 'f' + String(n);
}
