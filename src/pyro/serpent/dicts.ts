/**
 * How parse() turns the items of a `{...}` into a value: a set, a dict (PyObject when every key is
 * a str, else PyDict), and Pyro4's decoding of serpent's bytes and float dicts.
 */
import { hashKey, PyDict, pyObject, PySet, type PyObject, type PyValue } from './values.js';

/** A set of `items` (each hashable), each kept once, in the order first written. */
export function makeSet(items: PyValue[]): PySet {
  const seen = new Set<string>();
  const out: PyValue[] = [];
  for (const item of items) {
    const k = hashKey(item)!;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return new PySet(out);
}

/** A dict of `items`: keys and values interleaved, every key hashable. */
export function makeDict(items: PyValue[]): PyValue {
  let allStr = true;
  for (let i = 0; i < items.length; i += 2) {
    if (typeof items[i] !== 'string') {
      allStr = false;
      break;
    }
  }
  if (allStr) {
    const o = pyObject();
    for (let i = 0; i < items.length; i += 2) o[items[i] as string] = items[i + 1]!;
    return special(o);
  }
  const index = new Map<string, number>();
  const entries: [PyValue, PyValue][] = [];
  for (let i = 0; i < items.length; i += 2) {
    const k = hashKey(items[i]!)!;
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, entries.length);
      entries.push([items[i]!, items[i + 1]!]);
    } else entries[at]![1] = items[i + 1]!; // Python keeps the first key and the last value
  }
  return new PyDict(entries);
}

/** Strict padded base64 (a loop: a regex over megabytes of data would exhaust the stack). */
function isBase64(s: string): boolean {
  const n = s.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61) end = s.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47)) return false;
  }
  return true;
}
const PY_FLOAT_WORD = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;

/** Pyro4's decoding of serpent's encodings: the base64 bytes dict and the float class dict. */
export function special(o: PyObject): PyValue {
  // Cheap test first: without one of these two values no encoding can match (and no key list is built).
  if (o.encoding !== 'base64' && o.__class__ !== 'float') return o;
  const keys = Object.keys(o);
  if (keys.length !== 2) return o;
  if (o.encoding === 'base64' && typeof o.data === 'string' && isBase64(o.data)) return Buffer.from(o.data, 'base64');
  if (o.__class__ === 'float' && typeof o.value === 'string') {
    const m = PY_FLOAT_WORD.exec(o.value);
    if (m) {
      if (m[2]!.toLowerCase() === 'nan') return NaN;
      return m[1] === '-' ? -Infinity : Infinity;
    }
    const t = o.value.trim().replace(/_/g, '');
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t);
  }
  return o;
}
