import { PyComplex, PyDict, PyFloat, PySet, PyTuple, type PyValue } from '../pyro/serpent/index.js';

/** Python's name for a decoded value's type, for error messages a Python caller recognises. */
export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PySet || value instanceof Set) return 'set';
  if (value instanceof PyComplex) return 'complex';
  if (value instanceof PyFloat) return 'float';
  return 'dict';
}

/** Python truthiness of a decoded value (upstream uses `offset` as `if offset:`). */
export function pyTruthy(value: PyValue): boolean {
  if (value === null || typeof value === 'boolean') return value === true;
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
