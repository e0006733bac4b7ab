import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { after } from 'node:test';

export interface Running {
  child: ChildProcess;
  pid: number;
  /** Everything the process has written so far. */
  stdout(): string;
  stderr(): string;
  /** stdout so far, split into lines. */
  lines(): string[];
  /** Resolves with the first stdout/stderr line matching `pattern`, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
const killAll = (): void => {
  for (const c of live) c.kill('SIGKILL');
};
process.on('exit', killAll);
// Under the test runner (which sets NODE_TEST_CONTEXT), children also end with the file's tests:
// the hook is registered when this module is imported, so it belongs to the file's root and not to
// whichever test or before() hook starts the first child. Plain scripts (bench, soak) get no hook,
// which would otherwise make them print an empty test report.
if (process.env.NODE_TEST_CONTEXT) after(killAll);

/**
 * Starts a child process that is always cleaned up: every process started here is killed when the
 * test file's tests end (or the script exits), and a hard `lifetimeMs` bounds it even if the
 * caller hangs.
 */
export function start(command: string, args: string[], options: SpawnOptions & { lifetimeMs?: number } = {}): Running {
  const { lifetimeMs = 120_000, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions });
  // A command that cannot start also emits 'error' (ENOENT) a tick later: the throw below reports
  // it as this test's failure, instead of an unhandled event ending the whole file.
  child.once('error', () => undefined);
  if (child.pid === undefined) throw new Error(`could not start ${command} (is it installed and on PATH?)`);
  live.add(child);
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = (out + '\n' + err).match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => ((out += d), check()));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => ((err += d), check()));
  const killTimer = setTimeout(() => child.kill('SIGKILL'), lifetimeMs);
  killTimer.unref();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    lines: () => out.split('\n'),
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex((w) => w.pattern === pattern), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; stdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const entry = {
          pattern,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.push(entry);
        check();
        void exited.then(() => {
          if (waiters.includes(entry)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(entry), 1);
            reject(new Error(`process exited before ${pattern}; stdout: ${out}\nstderr: ${err}`));
          }
        });
      });
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        t.unref();
      }
      return exited;
    },
  };
}
