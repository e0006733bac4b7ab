/**
 * Serpent 1.41 (Pyro4's default serializer) for TypeScript: `serialize` writes what Python's
 * `serpent.dumps` writes, `parse` reads what `ast.literal_eval` reads. The Python <-> TS mapping
 * (tuples, sets, bytes, big ints, NaN, `__class__` dicts) is documented in values.ts.
 */
export { serialize, SERPENT_HEADER, DEFAULT_MAX_LEVEL, type SerializeOptions } from './serialize.js';
export { parse, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, type ParseOptions } from './parse.js';
export { SerpentParseError, SerpentSerializeError } from './errors.js';
export { floatRepr, strRepr } from './repr.js';
export {
  PyTuple,
  PySet,
  PyComplex,
  PyFloat,
  PyDict,
  pyObject,
  isPlainObject,
  hashKey,
  MAX_INT_DIGITS,
  type PyObject,
  type PyValue,
} from './values.js';
