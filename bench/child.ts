import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Every child the benchmark starts; killed on exit so an interrupted run leaves nothing behind. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of live) c.kill('SIGKILL');
    process.exit(130);
  });
}

export interface Child {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Lines of stdout so far. */
  lines(): string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a child with a hard lifetime, collecting its output. */
export function startChild(command: string, args: string[], options: SpawnOptions & { lifetimeMs?: number } = {}): Child {
  const { lifetimeMs = 180_000, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  live.add(child);
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; done: (m: RegExpMatchArray) => void }> = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = (out + '\n' + err).match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done(m);
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
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`)), timeoutMs);
        const entry = {
          pattern,
          done: (m: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.push(entry);
        check();
        void exited.then(() => {
          if (waiters.includes(entry)) {
            waiters.splice(waiters.indexOf(entry), 1);
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern}\nstdout: ${out}\nstderr: ${err}`));
          }
        });
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        t.unref();
      }
      return exited;
    },
  };
}

/** Resident set size of a process in kB, from /proc/<pid>/status (VmRSS). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** Samples RSS every `everyMs` until stopped; returns the peak and the samples. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { peakKb: number; samples: number[] } } {
  const samples: number[] = [];
  const take = (): void => {
    try {
      samples.push(rssKb(pid));
    } catch {
      /* the process ended */
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakKb: Math.max(...samples), samples };
    },
  };
}
