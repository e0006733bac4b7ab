import { PyroError, PythonError, RemotePythonError } from './errors.js';
import { sequenceItems } from './python.js';
import { PyTuple, isPlainObject, pyObject, type PyObject, type PyValue } from './serpent/index.js';

/** An exception as Pyro4 sends it: class name, args, and the remote traceback lines. */
export interface ExceptionInfo {
  pythonClass: string;
  args: PyValue[];
  traceback: string[];
}

/** The class dict Pyro4's serializers write for an exception, which Python rebuilds as that class. */
export function exceptionDict(info: ExceptionInfo): PyObject {
  return pyObject([
    ['__class__', info.pythonClass],
    ['__exception__', true],
    ['args', new PyTuple(info.args)],
    ['attributes', pyObject([['_pyroTraceback', info.traceback]])],
  ]);
}

/** A batch result item that Pyro4 raises when the caller reaches it. */
export function exceptionWrapperDict(info: ExceptionInfo): PyObject {
  return pyObject([
    ['__class__', 'Pyro4.futures._ExceptionWrapper'],
    ['exception', exceptionDict(info)],
  ]);
}

/**
 * What a thrown value becomes on the wire. `PythonError` and the Pyro errors keep their Python
 * class; anything else is a bug in a handler and is reported as a RuntimeError naming the JS error,
 * so the caller learns something went wrong without the daemon going down.
 */
export function exceptionInfo(error: unknown, where: string): ExceptionInfo {
  if (error instanceof PythonError) {
    return { pythonClass: error.pythonClass, args: error.args, traceback: traceback(where, error.pythonClass, error.args) };
  }
  if (error instanceof PyroError) {
    return { pythonClass: error.pythonClass, args: [error.message], traceback: traceback(where, error.pythonClass, [error.message]) };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const lines = traceback(where, 'builtins.RuntimeError', [message]);
  if (error instanceof Error && error.stack) {
    lines.splice(1, 0, ...error.stack.split('\n').slice(1).map((l) => `  ${l.trim()}\n`));
  }
  return { pythonClass: 'builtins.RuntimeError', args: [`internal error in ${where}: ${message}`], traceback: lines };
}

function traceback(where: string, pythonClass: string, args: PyValue[]): string[] {
  const shortName = pythonClass.replace(/^builtins\./, '');
  const text = args.length === 1 && typeof args[0] === 'string' ? args[0] : args.map((a) => String(a)).join(', ');
  return ['Traceback (most recent call last):\n', `  focusd (TypeScript Pyro4 daemon), in ${where}\n`, `${shortName}: ${text}\n`];
}

/** The error a received exception dict stands for, or null when the value is not one. */
export function remoteError(value: PyValue): RemotePythonError | null {
  if (!isPlainObject(value)) return null;
  if (value.__class__ === 'Pyro4.futures._ExceptionWrapper') {
    const inner = value.exception;
    return inner === undefined ? null : remoteError(inner);
  }
  if (typeof value.__class__ !== 'string' || value.__exception__ !== true) return null;
  const args = value.args;
  const list = sequenceItems(args) ?? [];
  const attributes = value.attributes;
  const tb = isPlainObject(attributes) ? attributes._pyroTraceback : undefined;
  const lines = Array.isArray(tb) ? tb.filter((l): l is string => typeof l === 'string') : typeof tb === 'string' ? [tb] : [];
  return new RemotePythonError(value.__class__, list, lines);
}
