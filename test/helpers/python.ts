import { spawnSync } from 'node:child_process';

/**
 * Debian's interpreter, which has python3-pyro4 (4.82) and python3-serpent (1.41). The python3 first
 * on PATH may be another interpreter without them, so it is never used.
 */
export const PYTHON = process.env.FOCUSD_TEST_PYTHON ?? '/usr/bin/python3';

let checked = false;

/**
 * Interop tests call this first. It throws (a failure, never a skip) when the reference library is
 * missing, so a run without real Pyro4 can never pass as green.
 */
export function requirePythonPyro4(): void {
  if (checked) return;
  const probe = spawnSync(PYTHON, ['-c', 'import Pyro4, serpent; print(Pyro4.__version__, serpent.__version__)'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import Pyro4 and serpent (${probe.stderr.trim() || probe.error?.message}). ` +
        'Install them: apt-get install -y python3-pyro4 python3-serpent',
    );
  }
  const [pyro, serpent] = probe.stdout.trim().split(' ');
  if (pyro !== '4.82' || serpent !== '1.41') {
    throw new Error(`expected Pyro4 4.82 and serpent 1.41, found Pyro4 ${pyro} and serpent ${serpent}`);
  }
  checked = true;
}

/** Runs a short Python program to completion and returns its stdout; throws with stderr on failure. */
export function runPython(code: string, input?: string | Buffer, timeoutMs = 60_000): string {
  requirePythonPyro4();
  const r = spawnSync(PYTHON, ['-c', code], { input, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}
