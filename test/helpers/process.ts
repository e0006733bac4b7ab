import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { after } from 'node:test';

export interface Running {
  child: ChildProcess;
  /** Everything the process has written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout/stderr line matching `pattern`, rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
// Registered when this module is first imported (top level of the test file), so the hook belongs
// to the file's root and not to whichever test or before() hook happens to start the first child.
after(() => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts a child process that the test file always cleans up: every process started here is
 * killed when the file's tests end, and a hard `lifetimeMs` bounds it even if the test hangs.
 */
export function start(command: string, args: string[], options: SpawnOptions & { lifetimeMs?: number } = {}): Running {
  const { lifetimeMs = 120_000, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions });
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
    stdout: () => out,
    stderr: () => err,
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
