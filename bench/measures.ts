import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Flags,
  MessageType,
  PyFloat,
  PyTuple,
  PyroProxy,
  pyObject,
  serpentSerializer,
  type PyValue,
} from '../src/pyro/index.js';
import { cpus } from 'node:os';
import { HOST, OBJECT_ID, PYTHON, referenceDir, repoRoot, type RunningDaemon } from './daemons.js';
import { ConnectionFailed, RawPyroConnection, invokeFrame } from './raw-client.js';
import { sampleRss } from './child.js';
import { quantile } from './stats.js';

const hr = (): bigint => process.hrtime.bigint();
const msSince = (t0: bigint): number => Number(hr() - t0) / 1e6;

/**
 * Start-up: from just before spawn (`spawnedAt`) to the first answered report_status, polling
 * the port every 2 ms with a fresh connection until one is answered.
 */
export async function firstAnswerMs(port: number, spawnedAt: bigint, timeoutMs = 20_000): Promise<number> {
  const frame = invokeFrame(OBJECT_ID, 'report_status', 1);
  for (;;) {
    try {
      const conn = await RawPyroConnection.open(HOST, port, OBJECT_ID, 5000);
      try {
        const reply = await conn.exchange(frame, 5000);
        if (reply.type === MessageType.RESULT && (reply.flags & Flags.EXCEPTION) === 0) return msSince(spawnedAt);
        throw new Error(`report_status failed during start-up (type ${reply.type}, flags ${reply.flags})`);
      } finally {
        conn.close();
      }
    } catch (e) {
      if (!(e instanceof ConnectionFailed) || msSince(spawnedAt) > timeoutMs) throw e;
      await sleep(2);
    }
  }
}

export interface Latency {
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** Whether `taskset` exists here (pinned rows are skipped without it). */
export const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Pins every thread of `pid` to `cpus` (e.g. '0', or '0-1' to undo). */
export function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

export const allCpus = (): string => `0-${Math.max(0, cpus().length - 1)}`;

function latencyProcess(command: string, args: string[], cpu: number | null): Latency {
  const argv = cpu === null ? [command, ...args] : ['taskset', '-c', String(cpu), command, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${args[0]} failed (${r.status}): ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { p50_us: number; p99_us: number; mean_us?: number };
  return { p50Us: j.p50_us, p99Us: j.p99_us, meanUs: j.mean_us ?? Number.NaN };
}

/** report_status round trips from a Python Pyro4 proxy (bench/reference/client_latency.py). */
export function pythonClientLatency(uri: string, calls: number, warmup: number, cpu: number | null = null): Latency {
  return latencyProcess(PYTHON, [join(referenceDir, 'client_latency.py'), uri, String(calls), String(warmup)], cpu);
}

/** report_status round trips from our PyroProxy, in its own process (dist/bench/latency-client.js). */
export function tsClientLatency(uri: string, calls: number, warmup: number, cpu: number | null = null): Latency {
  return latencyProcess(process.execPath, [join(repoRoot, 'dist', 'bench', 'latency-client.js'), uri, String(calls), String(warmup)], cpu);
}

/** The loopback floor: a plain 300-byte TCP echo between two Python processes (no Pyro). */
export function echoFloor(calls: number, cpu: number | null = null): Latency {
  return latencyProcess(PYTHON, [join(referenceDir, 'echo_floor.py'), String(calls), ...(cpu === null ? [] : [String(cpu)])], null);
}

export interface LoadResult {
  connections: number;
  /** Connections that completed the handshake. */
  served: number;
  /** CONNECTFAIL from the daemon (e.g. Pyro4's "no free workers"). */
  rejected: number;
  /** TCP refused, reset, closed or timed out before or during the run. */
  failed: number;
  /** Replies that were not a plain RESULT. */
  errors: number;
  callsPerSecond: number;
  rejectReasons: string[];
  /** Peak daemon RSS while the calls ran (kB). */
  peakRssKb: number;
}

/**
 * Calls per second with `connections` concurrent Pyro4 connections, each making report_status
 * calls back to back (one in flight per connection, as a Pyro4 proxy does). All connections are
 * opened at once; those the daemon turns away are counted, the rest run for `warmupMs` and then
 * are counted for `durationMs`.
 */
export async function load(daemon: RunningDaemon, connections: number, durationMs: number, warmupMs: number): Promise<LoadResult> {
  const opened = await Promise.allSettled(
    Array.from({ length: connections }, () => RawPyroConnection.open(HOST, daemon.port, OBJECT_ID, 15_000)),
  );
  const conns: RawPyroConnection[] = [];
  let rejected = 0;
  let failed = 0;
  const reasons = new Set<string>();
  for (const o of opened) {
    if (o.status === 'fulfilled') conns.push(o.value);
    else if (o.reason instanceof ConnectionFailed && o.reason.kind === 'rejected') {
      rejected++;
      reasons.add(o.reason.message);
    } else {
      failed++;
      reasons.add(o.reason instanceof Error ? o.reason.message : String(o.reason));
    }
  }

  let counting = false;
  let stop = false;
  let calls = 0;
  let errors = 0;
  const loops = conns.map(async (conn, i) => {
    const frame = invokeFrame(OBJECT_ID, 'report_status', (i % 65_000) + 1);
    try {
      while (!stop) {
        const reply = await conn.exchange(frame, 0);
        if (reply.type !== MessageType.RESULT || (reply.flags & Flags.EXCEPTION) !== 0) errors++;
        else if (counting) calls++;
      }
    } catch (e) {
      if (!stop) {
        failed++;
        reasons.add(e instanceof Error ? e.message : String(e));
      }
    }
  });
  await sleep(warmupMs);
  const rss = sampleRss(daemon.child.pid, 50);
  counting = true;
  const t0 = hr();
  await sleep(durationMs);
  counting = false;
  const elapsedS = msSince(t0) / 1000;
  const peak = rss.stop().peakKb;
  stop = true;
  // Let every loop finish its call in flight, then close.
  const drained = Promise.all(loops);
  await Promise.race([drained, sleep(5000)]);
  for (const c of conns) c.close();
  await sleep(150);
  return {
    connections,
    served: conns.length,
    rejected,
    failed,
    errors,
    callsPerSecond: calls / elapsedS,
    rejectReasons: [...reasons].slice(0, 3),
    peakRssKb: peak,
  };
}

/**
 * Stop latency against an instrumented daemon (prints `HALT <CLOCK_MONOTONIC ns>` when a halt
 * reaches its simulated device): start a 3000-step move, wait until report_status says Moving,
 * wait a random 20-120 ms (any phase of the 100 ms poll), take t0 and call stop(); the figure is
 * the first HALT time after t0 minus t0. process.hrtime and Python's time.monotonic_ns both read
 * CLOCK_MONOTONIC, so the two processes' times compare.
 */
export async function stopLatencies(daemon: RunningDaemon, stops: number): Promise<{ haltMs: number[]; stopCallMs: number[] }> {
  const mover = new PyroProxy(daemon.uri, { timeoutMs: 30_000 });
  const control = new PyroProxy(daemon.uri, { timeoutMs: 10_000 });
  const haltMs: number[] = [];
  const stopCallMs: number[] = [];
  try {
    const init = await control.call('initialize');
    if (init !== 0) throw new Error(`${daemon.kind}: initialize answered ${String(init)}`);
    for (let i = 0; i < stops; i++) {
      const status = (await control.call('report_status')) as Record<string, PyValue>;
      const here = Number(status.current_steps);
      const target = here < 5000 ? here + 3000 : here - 3000;
      const move = mover.call('set_focus', [target]);
      for (;;) {
        const s = (await control.call('report_status')) as Record<string, PyValue>;
        if (s.status === 2) break;
        await sleep(2);
      }
      await sleep(20 + Math.random() * 100);
      const already = daemon.child.lines().length;
      const t0 = hr();
      const answer = await control.call('stop');
      stopCallMs.push(msSince(t0));
      if (answer !== 0) throw new Error(`${daemon.kind}: stop answered ${String(answer)}`);
      await move;
      await sleep(20);
      const halt = daemon.child
        .lines()
        .slice(Math.max(0, already - 1))
        .map((l) => /^HALT (\d+)/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => BigInt(m[1] as string))
        .find((ns) => ns >= t0);
      if (halt === undefined) throw new Error(`${daemon.kind}: no HALT reported after stop()`);
      haltMs.push(Number(halt - t0) / 1e6);
    }
  } finally {
    mover.close();
    control.close();
  }
  return { haltMs, stopCallMs };
}

/** Initializes the focuser (status then reports Idle with positions) and checks the answer. */
export async function initialize(uri: string): Promise<void> {
  const proxy = new PyroProxy(uri, { timeoutMs: 10_000 });
  try {
    const r = await proxy.call('initialize');
    if (r !== 0) throw new Error(`initialize answered ${String(r)}`);
    for (let i = 0; i < 50; i++) {
      const s = (await proxy.call('report_status')) as Record<string, PyValue>;
      if (s.status === 1) return;
      await sleep(20);
    }
    throw new Error('focuser did not become Idle after initialize');
  } finally {
    proxy.close();
  }
}

// --- serpent -------------------------------------------------------------------------------

/** report_status as our daemon answers it while Idle. */
export function statusPayload(): PyValue {
  return pyObject([
    ['date', '2025-06-01T21:14:07Z'],
    ['status', 1],
    ['current_steps', 4321],
    ['target_steps', 4321],
    ['max_steps', 10000],
    ['model', 'Atlas Focuser'],
    ['serial_number', 'ATL0123456'],
    ['firmware_revision', 32835],
    ['temperatures', [new PyFloat(21.5), 18.25]],
    ['homing', false],
    ['homed', true],
    ['at_home', false],
    ['at_limit', false],
  ]);
}

/**
 * A ~700 kB nested payload: 1030 records of mixed types (ints, floats, strings with escapes and
 * non-ASCII text, tuples, None/bools, nested dicts and lists four levels down). Deterministic.
 */
export function nestedPayload(records = 1030): PyValue {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const out: PyValue[] = [];
  for (let i = 0; i < records; i++) {
    const history: PyValue[] = [];
    for (let h = 0; h < 6; h++) {
      history.push(
        pyObject([
          ['t', 1_700_000_000 + i * 60 + h],
          ['steps', Math.floor(rand() * 10000)],
          ['temperature', Math.round(rand() * 4000) / 100 - 10],
          ['ok', rand() > 0.1],
        ]),
      );
    }
    out.push(
      pyObject([
        ['id', i],
        ['name', `focuser-${i} "Atlas"\t°C\n`],
        ['position', rand() * 10000],
        ['range', new PyTuple([0, 10000])],
        ['temperatures', [rand() * 30, rand() * 30]],
        ['flags', [true, false, null]],
        ['history', history],
        ['meta', pyObject([['site', 'La Palma'], ['note', 'ünïcødé ✓ '.repeat(2)], ['nested', pyObject([['depth', [1, [2, [3, 'four']]]]])]])],
      ]),
    );
  }
  return out;
}

export interface CodecRates {
  bytes: number;
  decodeOps: number;
  encodeOps: number;
}

/** Operations per second of `fn` over at least `budgetMs` (and 3 calls), after a warm-up of a quarter of that (JIT). */
function rate(fn: () => unknown, budgetMs: number): number {
  const warm = hr();
  do fn();
  while (msSince(warm) < budgetMs / 4);
  let n = 0;
  const t0 = hr();
  for (;;) {
    fn();
    n++;
    const elapsed = msSince(t0);
    if (n >= 3 && elapsed >= budgetMs) return (n * 1000) / elapsed;
  }
}

const LIMITS = { maxDepth: 1000, preserveFloats: true };

/** Our serpent, as the daemon uses it (serpentSerializer with the daemon's decode limits). */
export function tsSerpent(payloads: Record<string, Buffer>, budgetMs: number): Record<string, CodecRates> {
  const out: Record<string, CodecRates> = {};
  for (const [name, data] of Object.entries(payloads)) {
    const value = serpentSerializer.loads(data, LIMITS);
    out[name] = {
      bytes: data.length,
      decodeOps: rate(() => serpentSerializer.loads(data, LIMITS), budgetMs),
      encodeOps: rate(() => serpentSerializer.dumps(value), budgetMs),
    };
  }
  return out;
}

function codecProcess(argv: string[]): Record<string, CodecRates> {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${argv[1]} failed (${r.status}): ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, { bytes: number; decode_ops: number; encode_ops: number }>;
  const out: Record<string, CodecRates> = {};
  for (const [name, v] of Object.entries(j)) out[name] = { bytes: v.bytes, decodeOps: v.decode_ops, encodeOps: v.encode_ops };
  return out;
}

const specs = (files: Record<string, string>): string[] => Object.entries(files).map(([n, f]) => `${n}=${f}`);

/** Python serpent 1.41 on the payload files, in a fresh process (bench/reference/serpent_bench.py). */
export function pythonSerpent(files: Record<string, string>, budgetMs: number): Record<string, CodecRates> {
  return codecProcess([PYTHON, join(referenceDir, 'serpent_bench.py'), String(budgetMs), ...specs(files)]);
}

/** Our serpent on the same files, in a fresh Node process (dist/bench/serpent-bench.js). */
export function tsSerpentProcess(files: Record<string, string>, budgetMs: number): Record<string, CodecRates> {
  return codecProcess([process.execPath, join(repoRoot, 'dist', 'bench', 'serpent-bench.js'), String(budgetMs), ...specs(files)]);
}

/** Writes the payloads as serpent files for the Python side; returns the bytes and the paths. */
export function writePayloads(dir: string): { bytes: Record<string, Buffer>; files: Record<string, string> } {
  const bytes: Record<string, Buffer> = {
    status: serpentSerializer.dumps(statusPayload()),
    nested: serpentSerializer.dumps(nestedPayload()),
  };
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(bytes)) {
    files[name] = join(dir, `${name}.serpent`);
    writeFileSync(files[name], data);
  }
  return { bytes, files };
}
