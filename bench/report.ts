import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { PYTHON, repoRoot, type DaemonKind } from './daemons.js';
import { figure, type Figure } from './stats.js';

export type Samples = Record<DaemonKind, Record<string, number[]>>;

export interface Environment {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  python: string;
  commit: string;
}

export function environment(): Environment {
  const py = spawnSync(
    PYTHON,
    ['-c', 'import sys, Pyro4, serpent; print("Python %s, Pyro4 %s, serpent %s" % (sys.version.split()[0], Pyro4.__version__, serpent.__version__))'],
    { encoding: 'utf8' },
  );
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  const list = cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: list[0]?.model ?? 'unknown CPU',
    cores: list.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    node: process.version,
    python: py.status === 0 ? py.stdout.trim() : `${PYTHON} unavailable`,
    commit,
  };
}

type Target =
  | { kind: 'ratioAtMost'; value: number; text: string }
  | { kind: 'ratioAtLeast'; value: number; text: string }
  | { kind: 'tsAtMost'; value: number; text: string };

interface Row {
  label: string;
  key: string;
  unit: string;
  /** Scales the raw sample for display (e.g. kB -> MB). */
  scale?: (v: number) => number;
  digits?: number;
  target?: Target;
}

const MB = (kb: number): number => kb / 1024;

function rows(payloadBytes: Record<string, number>): Row[] {
  const nestedKb = ((payloadBytes.nested ?? 0) / 1024).toFixed(0);
  const statusB = payloadBytes.status ?? 0;
  return [
    { label: 'report_status p50, Python Pyro4 client', key: 'pyClientP50Us', unit: 'µs', target: { kind: 'ratioAtMost', value: 0.4, text: '≤ 0.4×' } },
    { label: 'report_status p99, Python Pyro4 client', key: 'pyClientP99Us', unit: 'µs' },
    { label: 'report_status p50, our TS PyroProxy', key: 'tsClientP50Us', unit: 'µs', target: { kind: 'tsAtMost', value: 50, text: '≤ 50 µs' } },
    { label: 'report_status p99, our TS PyroProxy', key: 'tsClientP99Us', unit: 'µs' },
    { label: 'report_status p50, Python client, client and daemon pinned to CPU 0', key: 'pyClientPinnedP50Us', unit: 'µs', target: { kind: 'ratioAtMost', value: 0.4, text: '(≤ 0.4×)' } },
    { label: 'report_status p50, TS client, client and daemon pinned to CPU 0', key: 'tsClientPinnedP50Us', unit: 'µs', target: { kind: 'tsAtMost', value: 50, text: '(≤ 50 µs)' } },
    { label: 'calls/s, 1 connection', key: 'callsPerSec1', unit: 'calls/s' },
    { label: 'calls/s, 8 connections', key: 'callsPerSec8', unit: 'calls/s' },
    { label: 'calls/s, 64 connections', key: 'callsPerSec64', unit: 'calls/s', target: { kind: 'ratioAtLeast', value: 10, text: '≥ 10×' } },
    { label: 'calls/s, 512 connections', key: 'callsPerSec512', unit: 'calls/s' },
    { label: 'connections turned away of 64', key: 'turnedAway64', unit: '', digits: 0 },
    { label: 'connections turned away of 512', key: 'turnedAway512', unit: '', digits: 0, target: { kind: 'tsAtMost', value: 0, text: 'none' } },
    { label: 'process start to first answered call', key: 'startupMs', unit: 'ms', target: { kind: 'ratioAtMost', value: 0.5, text: '≤ 0.5×' } },
    { label: 'RSS idle (initialized)', key: 'idleRssKb', unit: 'MB', scale: MB, target: { kind: 'ratioAtMost', value: 1, text: '≤ 1× (no more)' } },
    { label: 'RSS peak under 64 connections', key: 'loadRssKb', unit: 'MB', scale: MB },
    { label: `serpent decode, status dict (${statusB} B)`, key: 'serpentDecode_status', unit: 'ops/s', target: { kind: 'ratioAtLeast', value: 20, text: '≥ 20×' } },
    { label: `serpent decode, nested payload (${nestedKb} kB)`, key: 'serpentDecode_nested', unit: 'ops/s', digits: 1, target: { kind: 'ratioAtLeast', value: 20, text: '≥ 20×' } },
    { label: `serpent encode, status dict (${statusB} B)`, key: 'serpentEncode_status', unit: 'ops/s' },
    { label: `serpent encode, nested payload (${nestedKb} kB)`, key: 'serpentEncode_nested', unit: 'ops/s', digits: 1 },
    { label: 'stop latency: stop() sent to halt at the device', key: 'stopHaltMs', unit: 'ms', digits: 2, target: { kind: 'tsAtMost', value: 5, text: '≤ 5 ms' } },
    { label: 'stop() round trip (answer received)', key: 'stopCallMs', unit: 'ms', digits: 2 },
  ];
}

function num(v: number, digits?: number): string {
  if (!Number.isFinite(v)) return '–';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function cell(f: Figure | null, row: Row): string {
  if (!f || f.runs === 0) return 'not measured';
  const s = row.scale ?? ((v: number) => v);
  const med = num(s(f.median), row.digits);
  if (f.runs === 1 || f.min === f.max) return `${med}`;
  return `${med} <sub>(${num(s(f.min), row.digits)}–${num(s(f.max), row.digits)})</sub>`;
}

function verdict(row: Row, py: Figure | null, ts: Figure | null): string {
  const t = row.target;
  if (!t) return '';
  if (!ts || ts.runs === 0) return 'not measured';
  if (t.kind === 'tsAtMost') return ts.median <= t.value ? '**met**' : '**missed**';
  if (!py || py.runs === 0 || py.median === 0) return 'no reference';
  const ratio = ts.median / py.median;
  if (t.kind === 'ratioAtMost') return ratio <= t.value ? '**met**' : '**missed**';
  return ratio >= t.value ? '**met**' : '**missed**';
}

export interface ReportInput {
  env: Environment;
  floorNote: string;
  runs: number;
  quick: boolean;
  samples: Samples;
  notes: string[];
  elapsedS: number;
  payloadBytes: Record<string, number>;
  params: { calls: number; warmup: number; loadMs: number; loadWarmMs: number; stops: number; serpentMs: number; idleSettleMs: number };
}

export function renderReport(input: ReportInput): string {
  const { env, samples, params: p } = input;
  const get = (kind: DaemonKind, key: string): Figure | null => {
    const v = samples[kind][key];
    return v && v.length > 0 ? figure(v) : null;
  };
  const lines: string[] = [];
  lines.push('# Benchmarks: TypeScript focusd against the Python Pyro4 reference');
  lines.push('');
  lines.push('Written by `npm run bench` (bench/run.ts); do not edit by hand. Both daemons ran in turn on');
  lines.push('loopback (127.0.0.1), on the same machine, in the same run, over the same simulated focuser model.');
  lines.push('');
  lines.push(`- Date: ${env.date} (commit ${env.commit})${input.quick ? ' — **quick smoke run (BENCH_QUICK=1), not for comparison**' : ''}`);
  lines.push(`- Machine: ${env.cpu}, ${env.cores} CPU(s), ${env.memoryGb} GiB, ${env.kernel}`);
  lines.push(`- Node ${env.node}; ${env.python}`);
  lines.push(`- Runs: ${input.runs}; each cell is the median over the runs, with the (min–max) over the runs below it. Total bench time ${input.elapsedS.toFixed(0)} s.`);
  lines.push(`- ${input.floorNote}`);
  lines.push('- Ratio is TypeScript ÷ Python (below 1 is better for times and memory, above 1 is better for rates).');
  lines.push('');
  lines.push('| Figure | Python reference | TypeScript focusd | Ratio | Target | Result |');
  lines.push('|---|---:|---:|---:|---|---|');
  for (const row of rows(input.payloadBytes)) {
    const py = get('python', row.key);
    const ts = get('typescript', row.key);
    const unit = row.unit ? ` ${row.unit}` : '';
    const ratio = py && ts && py.median !== 0 ? `${num(ts.median / py.median, 2)}×` : '–';
    lines.push(`| ${row.label} | ${cell(py, row)}${py ? unit : ''} | ${cell(ts, row)}${ts ? unit : ''} | ${ratio} | ${row.target?.text ?? ''} | ${verdict(row, py, ts)} |`);
  }
  lines.push('');
  lines.push('## How each figure is measured');
  lines.push('');
  lines.push('- Daemons: the TypeScript one is `node bin/focusd --simulate <config>` (the shipped program, a scratch');
  lines.push('  phone book on 127.0.0.1); the reference is `bench/reference/focusd_reference.py` under `/usr/bin/python3`:');
  lines.push("  rockit's AtlasFocuserDaemon design (command lock taken with a non-blocking acquire, state lock, control-IP");
  lines.push("  check, 100 ms motion polling) served as rockit's `PyroDaemon.launch` does (Pyro4 4.82 default threadpool");
  lines.push('  server, serpent). Both over a simulated Atlas moving 1000 steps/s with no USB latency. Each run starts a');
  lines.push('  fresh process of each daemon, alternating which goes first, and initializes the focuser before measuring.');
  lines.push(`- report_status round trip: one proxy, ${p.warmup} warm-up calls, then ${p.calls} timed calls back to back; p50 and p99 of`);
  lines.push('  those calls. Python client: `bench/reference/client_latency.py` (a `Pyro4.Proxy`); TS client: our `PyroProxy`');
  lines.push('  (`bench/latency-client.ts`); each client is its own process. The targets are judged on the rows placed by the');
  lines.push('  scheduler as it likes; the "pinned" rows (client and daemon on CPU 0 with taskset) show the cost without the');
  lines.push("  VM's cross-CPU wake-up, with the target in brackets for information.");
  lines.push(`- calls/s: a TS load generator opens N connections at once (raw Pyro4 frames: handshake, then report_status`);
  lines.push(`  INVOKEs, one in flight per connection, as a Pyro4 proxy), runs ${p.loadWarmMs} ms of warm-up and counts replies for ${p.loadMs} ms.`);
  lines.push('  "Turned away" counts connections the daemon rejected at the handshake (CONNECTFAIL) or that were refused,');
  lines.push('  reset or timed out. Rates count only the connections that were served.');
  lines.push('- Start-up: from just before spawning the process to the first answered report_status, polling the port every 2 ms.');
  lines.push(`- RSS: VmRSS from /proc/<pid>/status, idle = ${p.idleSettleMs} ms after initialize; under load = peak sampled every 50 ms during the 64-connection run.`);
  lines.push(`- serpent: the same bytes for both (written by our serializer): decode is \`serpent.loads\` against our`);
  lines.push('  `serpentSerializer.loads` (the daemon\'s options); encode re-serializes the decoded value (`serpent.dumps(...,');
  lines.push(`  module_in_classname=True)\`, as Pyro4 does, against our \`serialize\`). Each in a fresh process (Python, Node), repeated for at least ${p.serpentMs} ms per run after a warm-up of a quarter of that; operations per second.`);
  lines.push(`  Nested payload: ${input.payloadBytes.nested ?? 0} bytes (1030 records of mixed types, four levels deep).`);
  lines.push(`- Stop latency: ${p.stops} stops per run on each daemon, pooled: the cell is the median over all ${p.stops * input.runs} stops and (min–max) over stops. Start a 3000-step move, wait until report_status says Moving, wait a random`);
  lines.push('  20–120 ms, then time from just before the stop() call to the moment the halt command reaches the simulated');
  lines.push('  device (both sides read CLOCK_MONOTONIC). The device side is an instrumented build of each daemon that prints');
  lines.push('  `HALT <ns>` when the halt arrives: `focusd_reference.py --report-halts` and `bench/instrumented-focusd.ts`.');
  if (input.notes.length > 0) {
    lines.push('');
    lines.push('## Notes from this run');
    lines.push('');
    for (const n of input.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  return lines.join('\n');
}
