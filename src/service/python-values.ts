import type { PyValue } from '../pyro/index.js';

/** Python's name for a decoded value's type, for error messages a Python caller recognises. */
export function pyTypeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  const name = (value as object).constructor?.name;
  switch (name) {
    case 'PyTuple':
      return 'tuple';
    case 'PySet':
      return 'set';
    case 'PyComplex':
      return 'complex';
    case 'PyFloat':
      return 'float';
    default:
      return 'dict';
  }
}

/** Python truthiness of a decoded value (`offset` is used as `if offset:` upstream). */
export function pyTruthy(value: PyValue): boolean {
  if (value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string' || Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  const v = value as unknown as Record<string, unknown>;
  if (Array.isArray(v.items)) return v.items.length > 0;
  if (Array.isArray(v.entries)) return v.entries.length > 0;
  if (typeof v.real === 'number' && typeof v.imag === 'number') return v.real !== 0 || v.imag !== 0;
  if (typeof v.value === 'number') return v.value !== 0;
  return Object.keys(v).length > 0;
}
