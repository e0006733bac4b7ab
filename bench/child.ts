import type { SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { start, type Running } from '../test/helpers/process.js';

// Children are killed when this process exits (test/helpers/process.ts); a signal exits too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export type Child = Running;

/** Starts a child with a hard lifetime, collecting its output (stdin closed). */
export function startChild(command: string, args: string[], options: SpawnOptions & { lifetimeMs?: number } = {}): Child {
  return start(command, args, { stdio: ['ignore', 'pipe', 'pipe'], lifetimeMs: 180_000, ...options });
}

/**
 * Resident set size of a process in kB, from /proc/<pid>/status: VmRSS (all of it), or RssAnon
 * (its own memory, without the pages of its binary and libraries, which every process running
 * them shares).
 */
export function rssKb(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
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
