// The memory soak, shared by `npm run soak:memory` (memory-soak.ts: 2 million calls and more) and
// its bounded form in npm test (memory-soak.test.ts). focusd --simulate on loopback serves what a
// month of observatory polling looks like, faster: 100 connections at a time, each living 1 to
// 1,000 report_status calls (seeded) before it closes and another takes its place, and a move
// every few seconds from a control connection. Every reply is checked (a result, not an
// exception, with the request's seq; every 997th decoded as a status dict).
//
// Memory is read from inside focusd after a full garbage collection (memory-probe.ts, preloaded
// with --expose-gc in this test only), so the figures are what focusd keeps, not garbage V8 has
// yet to collect: heap used must stay flat, and RSS must settle near its value after warm-up.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Flags, MessageType, encodeMessage, isPlainObject } from '../../src/pyro/index.js';
import { rssKb } from '../../bench/child.js';
import { focusdBin } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { prng } from './soak-core.js';
import { WireClient, callPayload, readReply } from './wire.js';

const OBJ = 'memsoak_focuser_daemon';

export interface MemorySample {
  /** report_status calls answered when the sample was taken. */
  calls: number;
  seconds: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  mallocedMemory: number;
}

export interface MemorySoakOptions {
  calls: number;
  /** Calls before the baseline sample (JIT, socket buffers, V8's heap sized for the load). */
  warmupCalls: number;
  concurrency: number;
  maxLifetime: number;
  moveEveryMs: number;
  sampleEveryMs: number;
  seed: number;
  deadlineMs: number;
  /** Extra node flags for focusd (e.g. --max-semi-space-size=1), to compare. */
  nodeFlags?: string[];
  /** A directory for heap snapshots of focusd at the baseline and after the load (baseline.heapsnapshot, last.heapsnapshot). */
  heapSnapshots?: string;
  progress?: (line: string) => void;
}

export interface MemorySoakSummary {
  calls: number;
  connections: number;
  moves: number;
  durationMs: number;
  violations: string[];
  samples: MemorySample[];
  /** The first sample after the warm-up. */
  baseline: MemorySample;
  last: MemorySample;
  /** Highest RSS read from /proc (no GC) during the soak. */
  rssPeak: number;
  /** focusd's CPU time (user + system) from the baseline to the end, in seconds. */
  cpuSeconds: number;
  nodeFlags: string[];
}

/** A process's CPU time so far (utime + stime from /proc/PID/stat), in seconds. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
}

const probe = fileURLToPath(new URL('./memory-probe.js', import.meta.url));

interface Focusd {
  child: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<unknown>;
}

async function startFocusd(nodeFlags: string[]): Promise<Focusd & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'focusd-memsoak-'));
  const phonebook = join(dir, 'phonebook.json');
  writeFileSync(phonebook, JSON.stringify({ daemons: { memsoak_focuser: { object_id: OBJ, host: '127.0.0.1', port: 0 } } }));
  const config = join(dir, 'memsoak.json');
  writeFileSync(config, JSON.stringify({ daemon: 'memsoak_focuser', log_name: 'focusd@memsoak', control_machines: ['LocalHost'], move_timeout: 60 }));
  const run = start(process.execPath, ['--expose-gc', `--import=${probe}`, ...nodeFlags, focusdBin, '--simulate', config], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, FOCUSD_PHONEBOOK: phonebook, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none', FOCUSD_LOG_FORMAT: 'text' },
    lifetimeMs: 6 * 3_600_000,
  });
  const m = await run.waitFor(/Starting daemon PYRO:\S+@127\.0\.0\.1:(\d+)/, 30_000);
  return { child: run.child, pid: run.pid, port: Number(m[1]), dir, stop: () => run.stop(10_000) };
}

function ask<T>(child: ChildProcess, request: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`focusd did not answer the memory probe within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(request as string);
  });
}

/** focusd's memory after a full GC, read by the preloaded probe. */
function sampleOf(child: ChildProcess, calls: number, startedAt: number): Promise<MemorySample> {
  return ask<Omit<MemorySample, 'calls' | 'seconds'>>(child, 'sample', 30_000).then((m) => ({ ...m, calls, seconds: (Date.now() - startedAt) / 1000 }));
}

export async function runMemorySoak(options: MemorySoakOptions): Promise<MemorySoakSummary> {
  const say = options.progress ?? (() => undefined);
  const nodeFlags = options.nodeFlags ?? [];
  const focusd = await startFocusd(nodeFlags);
  const random = prng(options.seed);
  const violations: string[] = [];
  const violation = (text: string): void => {
    if (violations.length < 50) violations.push(text);
  };
  let calls = 0;
  let claimed = 0;
  let connections = 0;
  let moves = 0;
  let rssPeak = 0;
  let cpuAtBaseline = 0;
  const samples: MemorySample[] = [];
  const startedAt = Date.now();
  const deadline = startedAt + options.deadlineMs;
  const payload = callPayload(OBJ, 'report_status');
  // Set on every way out, so the mover and the sampler stop even when a slot throws.
  let done = false;
  let control: WireClient | null = null;
  try {
    const controlClient = await WireClient.connected(focusd.port, `${OBJ}.simulator`);
    control = controlClient;
    let seq = 0;
    const controlCall = async (objectId: string, method: string, vargs: (number | string)[] = []): Promise<unknown> => {
      const r = await controlClient.call(++seq, objectId, method, vargs).catch((e: unknown) => ({ exception: { cls: 'client', text: String(e) }, value: null }));
      if (r.exception) throw new Error(`${method}: ${r.exception.cls}: ${r.exception.text}`);
      return r.value;
    };
    if ((await controlCall(`${OBJ}.simulator`, 'set_step_rate', [10_000])) !== 0) throw new Error('set_step_rate failed');
    if ((await controlCall(OBJ, 'initialize')) !== 0) throw new Error('initialize failed');

    // A move every few seconds, as an observatory's focus runs do (0 to 30,000 steps at 10,000 steps/s).
    const mover = (async () => {
      while (!done) {
        const target = Math.floor(random() * 30_000);
        const code = await controlCall(OBJ, 'set_focus', [target]).catch((e: unknown) => String(e));
        if (code !== 0) violation(`set_focus(${target}) answered ${String(code)}`);
        moves++;
        await sleep(options.moveEveryMs);
      }
    })();

    const slot = async (slotSeed: number): Promise<void> => {
      const r = prng(slotSeed);
      while (claimed < options.calls && Date.now() < deadline) {
        const lifetime = Math.min(1 + Math.floor(r() * options.maxLifetime), options.calls - claimed);
        claimed += lifetime;
        let c: WireClient;
        try {
          c = await WireClient.connected(focusd.port, OBJ);
        } catch (e) {
          violation(`connect: ${String(e)}`);
          return;
        }
        connections++;
        try {
          for (let i = 1; i <= lifetime; i++) {
            const s = i & 0xffff;
            c.send(encodeMessage({ type: MessageType.INVOKE, seq: s, serializerId: 1, payload }));
            const m = await c.next(30_000);
            if (m === 'closed') {
              violation(`connection closed by focusd after ${i - 1} calls`);
              break;
            }
            if (m.type !== MessageType.RESULT || m.seq !== s || (m.flags & Flags.EXCEPTION) !== 0) {
              violation(`call ${calls}: type ${m.type} seq ${m.seq} (sent ${s}) flags ${m.flags}: ${m.payload.toString('utf8').slice(0, 200)}`);
            } else if (calls % 997 === 0) {
              const v = readReply(m).value;
              if (!isPlainObject(v) || ![1, 2].includes(v['status'] as number)) violation(`report_status is not an Idle/Moving status dict: ${JSON.stringify(v)}`);
            }
            calls++;
          }
        } finally {
          c.destroy();
        }
      }
    };

    const sampler = async (): Promise<void> => {
      let baselineTaken = false;
      let lastSample = Date.now();
      while (!done) {
        await sleep(250);
        rssPeak = Math.max(rssPeak, rssKb(focusd.pid) * 1024);
        const due = !baselineTaken ? calls >= options.warmupCalls : Date.now() - lastSample >= options.sampleEveryMs;
        if (!due || done) continue;
        const s = await sampleOf(focusd.child, calls, startedAt);
        samples.push(s);
        lastSample = Date.now();
        if (!baselineTaken) {
          cpuAtBaseline = cpuSecondsOf(focusd.pid);
          say(`baseline after ${calls} warm-up calls: ${describeSample(s)}`);
          if (options.heapSnapshots) await ask(focusd.child, { snapshot: join(options.heapSnapshots, 'baseline.heapsnapshot') }, 120_000);
        }
        else say(`${describeSample(s)}, ${connections} connections, ${moves} moves`);
        baselineTaken = true;
      }
    };

    const sampling = sampler();
    sampling.catch(() => undefined); // awaited below; if a slot throws first, its own error is the one reported
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => slot(options.seed * 1000 + i)));
    done = true;
    await sampling;
    await mover;
    if (calls < options.calls) violation(`only ${calls} of ${options.calls} calls answered before the deadline (${options.deadlineMs / 1000} s)`);
    // The last sample: after the load, when focusd has nothing left to do.
    await sleep(1_000);
    const cpuSeconds = cpuSecondsOf(focusd.pid) - cpuAtBaseline;
    samples.push(await sampleOf(focusd.child, calls, startedAt));
    if (options.heapSnapshots) await ask(focusd.child, { snapshot: join(options.heapSnapshots, 'last.heapsnapshot') }, 120_000);
    const durationMs = Date.now() - startedAt;
    if (samples.length < 2) throw new Error(`no baseline sample: ${calls} calls never passed the ${options.warmupCalls}-call warm-up`);
    return { calls, connections, moves, durationMs, violations, samples, baseline: samples[0] as MemorySample, last: samples.at(-1) as MemorySample, rssPeak, cpuSeconds, nodeFlags };
  } finally {
    done = true;
    control?.destroy();
    await focusd.stop();
    rmSync(focusd.dir, { recursive: true, force: true });
  }
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const signedMb = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;

export function describeSample(s: MemorySample): string {
  return `${s.calls} calls, ${s.seconds.toFixed(0)} s: RSS ${mb(s.rss)}, heap used ${mb(s.heapUsed)} of ${mb(s.heapTotal)}, external ${mb(s.external)}`;
}

/** The figures the soak judges: heap used drift and RSS after GC against the baseline, over all samples after it. */
export function memoryFigures(s: MemorySoakSummary): { heapDrift: number; heapMaxAbove: number; heapSpread: number; rssDrift: number; rssMaxAbove: number } {
  const after = s.samples.slice(1);
  return {
    heapDrift: s.last.heapUsed - s.baseline.heapUsed,
    heapMaxAbove: Math.max(...after.map((x) => x.heapUsed)) - s.baseline.heapUsed,
    heapSpread: Math.max(...after.map((x) => x.heapUsed)) - Math.min(...s.samples.map((x) => x.heapUsed)),
    rssDrift: s.last.rss - s.baseline.rss,
    rssMaxAbove: Math.max(...after.map((x) => x.rss)) - s.baseline.rss,
  };
}

export function describeMemorySoak(s: MemorySoakSummary): string[] {
  const f = memoryFigures(s);
  return [
    `memory soak: ${s.calls} report_status calls over ${s.connections} connections (100 at a time, 1-1000 calls each), ${s.moves} moves, in ${(s.durationMs / 1000).toFixed(0)} s (${Math.round(s.calls / (s.durationMs / 1000))} calls/s)${s.nodeFlags.length > 0 ? `, focusd with ${s.nodeFlags.join(' ')}` : ''}`,
    `baseline (after warm-up): ${describeSample(s.baseline)}`,
    `last (after the load):    ${describeSample(s.last)}`,
    `heap used after GC: ${signedMb(f.heapDrift)} from the baseline, at most ${signedMb(f.heapMaxAbove)} (spread ${mb(f.heapSpread)} over ${s.samples.length} samples)`,
    `RSS after GC: ${signedMb(f.rssDrift)} from the baseline, at most ${signedMb(f.rssMaxAbove)}; peak RSS without GC ${mb(s.rssPeak)}`,
    `focusd CPU after the warm-up: ${s.cpuSeconds.toFixed(1)} s, ${((s.cpuSeconds / Math.max(1, s.last.calls - s.baseline.calls)) * 1e6).toFixed(1)} µs per call`,
    s.violations.length === 0 ? 'violations: none' : `violations: ${s.violations.length}\n  ${s.violations.slice(0, 20).join('\n  ')}`,
  ];
}
