/**
 * The TypeScript side of serpent's Python values.
 *
 * | Python                     | TypeScript                                                        |
 * |----------------------------|-------------------------------------------------------------------|
 * | None / True / False        | `null` / `true` / `false`                                         |
 * | int                        | `number` when a safe integer (±2^53-1), else `bigint`             |
 * | float                      | `number` (`-0` kept, ±Infinity, NaN); `PyFloat` forces float text |
 * | complex                    | `PyComplex { real, imag }`                                        |
 * | str                        | `string` (lone surrogates are plain UTF-16 code units)            |
 * | bytes                      | `Uint8Array` on encode, `Buffer` on decode                        |
 * | list                       | `PyValue[]`                                                       |
 * | tuple                      | `PyTuple { items }`                                               |
 * | set / frozenset            | `PySet { items }` (encode also accepts a JS `Set`)                |
 * | dict, every key a str      | `PyObject`: an object with a null prototype                       |
 * | dict, any other key        | `PyDict { entries }` (encode also accepts a `Map`)                |
 *
 * Encoding a `number`: an integral value within ±(2^53-1) (and not `-0`) is written as an int, any
 * other value as a float (`repr` text, `1e30000`/`-1e30000` for the infinities, serpent's
 * `{'__class__':'float','value':'nan'}` for NaN). Wrap a number in `PyFloat` to send an integral
 * float (`3.0`). Decoding gives ints beyond the safe range as `bigint` and floats as `number`; with
 * `preserveFloats` integral floats come back as `PyFloat` so they re-encode as floats.
 *
 * Dicts that serpent and Pyro4 use as encodings are decoded the way Pyro4's SerpentSerializer does:
 * - `{'data': <str>, 'encoding': 'base64'}` (exactly these two keys, `data` strict padded base64)
 *   is bytes: a `Buffer`. Pyro4 itself leaves this dict to the application (`serpent.tobytes`);
 *   we always decode it, so a real dict of exactly that shape cannot be told from bytes.
 * - `{'__class__': 'float', 'value': <str>}` (exactly these two keys) is `float(value)`, e.g. NaN
 *   (Pyro4's `dict_to_class`); a value that is no float leaves the dict as it is.
 * - Every other `__class__` dict (exceptions: `{'__class__': 'builtins.ValueError',
 *   '__exception__': True, 'args': (...), 'attributes': {...}}`) stays a `PyObject`; the Pyro layer
 *   turns exception dicts into errors. Never send a `__class__` key by accident.
 *
 * Strings: a Python str may hold lone surrogates (`'\ud800'`); so may a JS string, and that is how
 * they are kept. serialize() writes them as `\udXXX` escapes, as Python's repr does, so the UTF-8
 * on the wire stays valid. parse() of a JS *string* holding a raw lone surrogate is refused (no
 * UTF-8 bytes could have produced it).
 *
 * Limits: parse() refuses input longer than `maxLength` (256 MiB) before reading it, and nesting
 * deeper than `maxDepth` (1000; Python itself reads at most 200) without recursing; serialize()
 * refuses nesting past level 200 (`maxLevel`), as Python serpent does, and int literals of more
 * than 4300 decimal digits, which Python 3.11 will not read.
 *
 * JS limits of the mapping, documented rather than hidden:
 * - A Python str holding a high surrogate followed by a low surrogate as two separate code points
 *   cannot be told from the astral character that pair encodes in UTF-16.
 * - A `PyObject` iterates integer-like keys (`'1'`, `'42'`) first, so such dicts re-encode in JS
 *   key order, not the order Python wrote them (the content is the same).
 * - Python's `Ellipsis` (`...`) is a literal `ast.literal_eval` accepts; it has no TS value and is a
 *   parse error here. So is a `\N{NAME}` escape (we ship no Unicode name table); serpent never
 *   writes either.
 * - Python writes complex(x, -0.0) as `(x+-0.0j)`, which Python itself cannot read; we write
 *   `(x-0.0j)`, which it reads as imag +0.0. Python 3.11 also reads `(-0.0+1j)` with real +0.0.
 * - Set order: Python writes sets in hash order, we in the order given; the content is the same.
 * - A PyDict/Map/PySet holding two keys Python calls equal (1, 1.0, True) is refused on encode.
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
