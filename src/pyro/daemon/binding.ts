import { PythonError } from '../errors.js';
import type { PyObject, PyValue } from '../serpent/index.js';

export interface ParamSpec {
  name: string;
  /** Present when the parameter is optional. */
  default?: PyValue;
}

/**
 * Binds a call's positional and keyword arguments to a method's parameters as Python does, and
 * raises Python's own TypeError text on a mismatch (counting `self`, as Python's messages do),
 * so a caller sees exactly what the Python daemon would have told it.
 */
export function bindArguments(qualifiedName: string, params: readonly ParamSpec[], vargs: readonly PyValue[], kwargs: PyObject): Record<string, PyValue> {
  const fn = `${qualifiedName}()`;
  const bound: Record<string, PyValue> = Object.create(null) as Record<string, PyValue>;
  for (const key of Object.keys(kwargs)) {
    const index = params.findIndex((p) => p.name === key);
    if (index < 0) throw typeError(`${fn} got an unexpected keyword argument '${key}'`);
    if (index < vargs.length) throw typeError(`${fn} got multiple values for argument '${key}'`);
    bound[key] = kwargs[key] as PyValue;
  }
  if (vargs.length > params.length) {
    const required = params.filter((p) => !('default' in p)).length;
    const takes =
      required === params.length
        ? `${params.length + 1} positional argument${params.length + 1 === 1 ? '' : 's'}`
        : `from ${required + 1} to ${params.length + 1} positional arguments`;
    throw typeError(`${fn} takes ${takes} but ${vargs.length + 1} were given`);
  }
  vargs.forEach((value, i) => {
    bound[(params[i] as ParamSpec).name] = value;
  });
  const missing: string[] = [];
  for (const p of params) {
    if (p.name in bound) continue;
    if ('default' in p) bound[p.name] = p.default as PyValue;
    else missing.push(`'${p.name}'`);
  }
  if (missing.length > 0) {
    const names =
      missing.length === 1
        ? missing[0]
        : missing.length === 2
          ? `${missing[0]} and ${missing[1]}`
          : `${missing.slice(0, -1).join(', ')}, and ${missing[missing.length - 1]}`;
    throw typeError(`${fn} missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${names}`);
  }
  return bound;
}

const typeError = (message: string): PythonError => new PythonError('builtins.TypeError', [message]);
