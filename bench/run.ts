/**
 * `npm run bench`: the TypeScript focusd against the Python Pyro4 reference daemon
 * (bench/reference/), side by side in one run on this machine, written to BENCHMARKS.md.
 *
 * Environment: BENCH_QUICK=1 for a fast smoke run (one short run of everything);
 * BENCH_RUNS=N to choose the run count; BENCH_ONLY=python|typescript to measure one daemon;
 * BENCH_OUT=path to write the table somewhere else than BENCHMARKS.md; BENCH_RENDER=1 to rewrite
 * BENCHMARKS.md from the last run's BENCHMARKS.raw.json (with bench/analysis.md appended).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssKb, startChild } from './child.js';
import { KINDS, PYTHON, freePort, launchFor, repoRoot, startDaemon, stopDaemon, type DaemonKind } from './daemons.js';
import {
  allCpus,
  canPin,
  echoFloor,
  firstAnswerMs,
  pin,
  initialize,
  load,
  pythonClientLatency,
  pythonSerpent,
  stopLatencies,
  tsClientLatency,
  tsSerpentProcess,
  writePayloads,
  type LoadResult,
} from './measures.js';
import { environment, renderReport, type ReportInput, type Samples } from './report.js';
import { callProfile, type StageTimes } from './call-profile.js';
import { cliRun } from './cli.js';

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 5));
const LEVELS = [1, 8, 64, 512] as const;
const P = QUICK
  ? { calls: 300, warmup: 50, loadMs: 500, loadWarmMs: 150, stops: 2, serpentMs: 100, idleSettleMs: 500, cliRounds: 2, profileCalls: 2000 }
  : { calls: 20000, warmup: 2000, loadMs: 1500, loadWarmMs: 300, stops: 4, serpentMs: 800, idleSettleMs: 1000, cliRounds: 8, profileCalls: 20000 };
const ONLY = process.env.BENCH_ONLY as DaemonKind | undefined;
const kinds = KINDS.filter((k) => ONLY === undefined || k === ONLY);

const samples: Samples = { python: {}, typescript: {} };
const notes: string[] = [];
const add = (kind: DaemonKind, key: string, value: number): void => {
  (samples[kind][key] ??= []).push(value);
};
const log = (line: string): void => void process.stderr.write(line + '\n');

async function daemonRun(kind: DaemonKind, run: number): Promise<void> {
  const d = await startDaemon(kind, {}).catch((e: unknown) => {
    throw new Error(`${kind} daemon did not start: ${(e as Error).message}`);
  });
  // Start-up is measured on a second, fresh process below; this one is for the steady-state figures.
  try {
    await sleep(P.idleSettleMs);
    add(kind, 'startRssKb', rssKb(d.child.pid));
    add(kind, 'startAnonKb', rssKb(d.child.pid, 'RssAnon'));
    await initialize(d.uri);
    await sleep(P.idleSettleMs);
    add(kind, 'idleRssKb', rssKb(d.child.pid));
    add(kind, 'idleAnonKb', rssKb(d.child.pid, 'RssAnon'));

    const py = pythonClientLatency(d.uri, P.calls, P.warmup);
    add(kind, 'pyClientP50Us', py.p50Us);
    add(kind, 'pyClientP99Us', py.p99Us);
    const ts = tsClientLatency(d.uri, P.calls, P.warmup);
    add(kind, 'tsClientP50Us', ts.p50Us);
    add(kind, 'tsClientP99Us', ts.p99Us);
    log(`  ${kind} run ${run}: status p50 ${py.p50Us.toFixed(0)} us (Python client), ${ts.p50Us.toFixed(0)} us (TS client)`);
    if (canPin) {
      // Client and daemon on one CPU: no cross-CPU wake-up, which costs ~45 us each way on a VM.
      pin(d.child.pid, '0');
      try {
        add(kind, 'pyClientPinnedP50Us', pythonClientLatency(d.uri, P.calls, P.warmup, 0).p50Us);
        add(kind, 'tsClientPinnedP50Us', tsClientLatency(d.uri, P.calls, P.warmup, 0).p50Us);
      } finally {
        pin(d.child.pid, allCpus());
      }
    }

    for (const n of LEVELS) {
      const r: LoadResult = await load(d, n, P.loadMs, P.loadWarmMs);
      add(kind, `callsPerSec${n}`, r.callsPerSecond);
      add(kind, `turnedAway${n}`, r.rejected + r.failed);
      add(kind, `errors${n}`, r.errors);
      if (n === 64) {
        add(kind, 'loadRssKb', r.peakRssKb);
        await sleep(P.idleSettleMs);
        add(kind, 'afterLoadRssKb', rssKb(d.child.pid));
        add(kind, 'afterLoadAnonKb', rssKb(d.child.pid, 'RssAnon'));
      }
      if (r.rejected + r.failed > 0 && run === 1) notes.push(`${kind}, ${n} connections: ${r.rejected} rejected, ${r.failed} failed (${r.rejectReasons.join('; ')})`);
      log(`  ${kind} run ${run}: ${n} connections: ${r.callsPerSecond.toFixed(0)} calls/s, ${r.served} served, ${r.rejected} rejected, ${r.failed} failed`);
    }
  } finally {
    await stopDaemon(d);
  }
}

async function startupRun(kind: DaemonKind, unbundled = false): Promise<void> {
  const port = await freePort();
  const launch = launchFor(kind, port);
  // The unbundled variant runs the compiler's output (dist/src), as bin/focusd did before bundling.
  const args = unbundled ? [join(repoRoot, 'dist', 'src', 'cli', 'focusd.js'), ...launch.args.slice(1)] : launch.args;
  const spawnedAt = process.hrtime.bigint();
  const child = startChild(launch.command, args, { env: launch.env, lifetimeMs: 60_000 });
  try {
    add(kind, unbundled ? 'startupUnbundledMs' : 'startupMs', await firstAnswerMs(port, spawnedAt));
  } finally {
    await child.stop(3000);
  }
}

/** `focus status` and `focus json`, ours and the Python twin, with the breakdown rows (bench/cli.ts). */
async function cliFigures(run: number): Promise<void> {
  const r = await cliRun(P.cliRounds);
  const f = r.figures;
  const put = (kind: DaemonKind, key: string, name: string): void => {
    const m = f[name];
    if (!m) return;
    add(kind, key, m.wallMs);
    add(kind, `${key}Kb`, m.maxRssKb);
    add(kind, `${key}AnonKb`, m.anonKb);
    add(kind, `${key}FileKb`, m.fileKb);
  };
  const both = (key: string, ts: string, py: string): void => {
    put('typescript', key, ts);
    put('python', key, py);
  };
  both('cliStatus', 'tsStatus', 'pyStatus');
  both('cliJson', 'tsJson', 'pyJson');
  both('cliFloor', 'nodeFloor', 'pyFloor');
  both('cliLoad', 'tsVersion', 'pyImportPyro4');
  put('typescript', 'cliStatusUnbundled', 'tsStatusUnbundled');
  if (r.mismatches.length > 0 && run === 1) notes.push(...r.mismatches.map((m) => `CLI output: ${m}`));
  log(`  cli run ${run}: focus status ${f.tsStatus?.wallMs.toFixed(0)} ms ${((f.tsStatus?.maxRssKb ?? 0) / 1024).toFixed(1)} MB; twin ${f.pyStatus?.wallMs.toFixed(0)} ms ${((f.pyStatus?.maxRssKb ?? 0) / 1024).toFixed(1)} MB`);
}

async function stopRun(kind: DaemonKind): Promise<void> {
  const d = await startDaemon(kind, { instrumented: true });
  try {
    const r = await stopLatencies(d, P.stops);
    for (const v of r.haltMs) add(kind, 'stopHaltMs', v);
    for (const v of r.stopCallMs) add(kind, 'stopCallMs', v);
  } finally {
    await stopDaemon(d);
  }
}

/** The CLI figures compare against a twin of upstream's focus, which validates with jsonschema as rockit-common does. */
function requireJsonschema(): void {
  const r = spawnSync(PYTHON, ['-c', 'import jsonschema'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) {
    throw new Error(`${PYTHON} cannot import jsonschema, which the Python twin of upstream's focus needs (rockit-common does): apt-get install -y python3-jsonschema`);
  }
}

async function main(): Promise<void> {
  if (ONLY === undefined) requireJsonschema();
  const started = Date.now();
  const env = environment();
  log(`focusd benchmarks: ${RUNS} run(s)${QUICK ? ' (quick)' : ''}; ${env.cpu}; Node ${env.node}; ${env.python}`);

  const payloadDir = mkdtempSync(join(tmpdir(), 'focusd-bench-serpent-'));
  const payloads = writePayloads(payloadDir);

  const floor = echoFloor(P.calls);
  const floorPinned = canPin ? echoFloor(P.calls, 0) : null;
  const floorNote =
    `Loopback floor on this machine (a 300-byte TCP echo between two Python processes, no Pyro): p50 ${floor.p50Us.toFixed(0)} µs` +
    (floorPinned ? `, or ${floorPinned.p50Us.toFixed(0)} µs with both processes on one CPU.` : '.');
  log(floorNote);

  for (let run = 1; run <= RUNS; run++) {
    // Alternate which daemon goes first, so drift in the machine's load favours neither.
    const order = run % 2 === 1 ? kinds : [...kinds].reverse();
    log(`run ${run}/${RUNS}`);
    if (ONLY === undefined) await cliFigures(run);
    for (const kind of order) {
      await startupRun(kind);
      if (kind === 'typescript') await startupRun(kind, true);
      await daemonRun(kind, run);
      try {
        await stopRun(kind);
      } catch (e) {
        if (run === 1) notes.push(`stop latency, ${kind}: not measured (${(e as Error).message.split('\n')[0]})`);
        log(`  ${kind} stop latency not measured: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    for (const side of order) {
      if (side === 'python') {
        const r = pythonSerpent(payloads.files, P.serpentMs);
        for (const [name, v] of Object.entries(r)) {
          add('python', `serpentDecode_${name}`, v.decodeOps);
          add('python', `serpentEncode_${name}`, v.encodeOps);
        }
      } else {
        const r = tsSerpentProcess(payloads.files, P.serpentMs);
        for (const [name, v] of Object.entries(r)) {
          add('typescript', `serpentDecode_${name}`, v.decodeOps);
          add('typescript', `serpentEncode_${name}`, v.encodeOps);
        }
      }
    }
  }

  let stages: StageTimes | null = null;
  if (ONLY !== 'python') {
    log('call profile: where a report_status round trip goes, both ends profiled');
    stages = await callProfile(P.profileCalls, P.warmup);
  }

  const elapsedS = (Date.now() - started) / 1000;
  const sizes = Object.fromEntries(Object.entries(payloads.bytes).map(([k, v]) => [k, v.length]));
  const input: ReportInput = { env, floorNote, runs: RUNS, quick: QUICK, samples, notes, elapsedS, payloadBytes: sizes, params: P, stages };
  writeFileSync(RAW, JSON.stringify({ ...input, floor, floorPinned }, null, 2));
  write(input);
  log(`wrote ${OUT} in ${elapsedS.toFixed(0)} s`);
}

const OUT = process.env.BENCH_OUT ?? join(repoRoot, 'BENCHMARKS.md');
const RAW = join(repoRoot, 'BENCHMARKS.raw.json');

/**
 * The table, then the hand-written analysis of missed targets (bench/analysis.md) and the memory
 * soak's figures (bench/memory-soak.md, from `npm run soak:memory`) when there are.
 */
function write(input: ReportInput): void {
  const handWritten = (name: string): string => {
    const file = join(repoRoot, 'bench', name);
    return existsSync(file) && !input.quick ? '\n' + readFileSync(file, 'utf8') : '';
  };
  writeFileSync(OUT, renderReport(input) + handWritten('analysis.md') + handWritten('memory-soak.md'));
}

if (process.env.BENCH_RENDER === '1') {
  // Re-render BENCHMARKS.md from the last run's BENCHMARKS.raw.json (e.g. after editing the analysis).
  write(JSON.parse(readFileSync(RAW, 'utf8')) as ReportInput);
  process.exit(0);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
