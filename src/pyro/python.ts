/**
 * Decoded Python values as Python sees them: a sequence's items, truthiness, type names, and the
 * parts of a call. One place, so that every reader of a remote value applies the same rule.
 */
import { ProtocolError } from './errors.js';
import { isPlainObject, PyComplex, PyDict, PyFloat, pyObject, PySet, PyTuple, type PyObject, type PyValue } from './serpent/index.js';

/** The items of a list or a tuple (and of a set, when `sets`); null for any other value. */
export function sequenceItems(value: PyValue | undefined, sets = false): PyValue[] | null {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple || (sets && value instanceof PySet)) return value.items;
  return null;
}

/** Python's `bool(value)`: None, False, zero and empty containers are false; absent counts as None. */
export function pyTruthy(value: PyValue | undefined): boolean {
  if (value === undefined || value === null || typeof value === 'boolean') return value === true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string' || Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  if (value instanceof PyTuple || value instanceof PySet) return value.items.length > 0;
  if (value instanceof PyDict) return value.entries.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof PyComplex) return value.real !== 0 || value.imag !== 0;
  if (value instanceof PyFloat) return value.value !== 0;
  return Object.keys(value).length > 0;
}

/** Python's name for a decoded value's type, for error messages a Python caller recognises. */
export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0) ? 'int' : 'float'; // as serialize() writes it
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PySet || value instanceof Set) return 'set';
  if (value instanceof PyComplex) return 'complex';
  if (value instanceof PyFloat) return 'float';
  return 'dict';
}

/**
 * A method call's parts as Pyro4 sends them, checked: the method name a str, vargs a tuple or list,
 * kwargs a dict with str keys (None or absent: none). `what` names the call in the ProtocolError.
 */
export function checkedCall(
  what: string,
  method: PyValue | undefined,
  vargs: PyValue | undefined,
  kwargs: PyValue | undefined,
): { method: string; vargs: PyValue[]; kwargs: PyObject } {
  if (typeof method !== 'string') throw new ProtocolError(`invalid ${what}: method name is not a str`);
  const args = sequenceItems(vargs);
  if (!args) throw new ProtocolError(`invalid ${what}: vargs is not a tuple or list`);
  if (kwargs === null || kwargs === undefined) return { method, vargs: args, kwargs: pyObject() };
  if (!isPlainObject(kwargs)) throw new ProtocolError(`invalid ${what}: kwargs is not a dict with str keys`);
  return { method, vargs: args, kwargs };
}
