import { start } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';

/**
 * Runs a Python program without blocking this process's event loop (the daemon under test may
 * live in this process), and returns the JSON it printed on a `RESULT ` line.
 */
export async function pythonJson<T>(code: string, timeoutMs = 60_000): Promise<T> {
  requirePythonPyro4();
  const run = start(PYTHON, ['-c', code], { lifetimeMs: timeoutMs });
  const { code: status, signal } = await run.exited;
  const line = run
    .stdout()
    .split('\n')
    .find((l) => l.startsWith('RESULT '));
  if (status !== 0 || line === undefined) throw new Error(`python exited ${status ?? signal}:\n${run.stdout()}\n${run.stderr()}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** The Python prologue: Pyro4 imported, `attempt(f)` giving {ok, value} or {ok: false, cls, text}. */
export const PY_PRELUDE = `
import json, sys, socket
import Pyro4, Pyro4.errors
def attempt(f):
    try:
        return {'ok': True, 'value': f()}
    except Exception as e:
        return {'ok': False, 'cls': type(e).__name__, 'mro': [c.__name__ for c in type(e).__mro__], 'text': str(e)}
`;

export type PyAttempt = { ok: true; value: unknown } | { ok: false; cls: string; mro: string[]; text: string };
