import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { PYTHON, repoRoot, type DaemonKind } from './daemons.js';
import type { StageTimes } from './call-profile.js';
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
    [
      '-c',
      'import sys, Pyro4, serpent\ntry:\n import jsonschema; js = "jsonschema " + jsonschema.__version__\nexcept ImportError:\n js = "no jsonschema"\nprint("Python %s, Pyro4 %s, serpent %s, %s" % (sys.version.split()[0], Pyro4.__version__, serpent.__version__, js))',
    ],
    { encoding: 'utf8' },
  );
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' }).trim();
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
    { label: '`focus status`, wall time', key: 'cliStatus', unit: 'ms', target: { kind: 'ratioAtMost', value: 0.5, text: '≤ 0.5×' } },
    { label: '`focus status`, peak memory', key: 'cliStatusKb', unit: 'MB', scale: MB, target: { kind: 'ratioAtMost', value: 1, text: '≤ 1×' } },
    { label: '`focus json`, wall time', key: 'cliJson', unit: 'ms' },
    { label: '`focus json`, peak memory', key: 'cliJsonKb', unit: 'MB', scale: MB },
    { label: 'daemon RSS at start', key: 'startRssKb', unit: 'MB', scale: MB, target: { kind: 'ratioAtMost', value: 1, text: '≤ 1×' } },
    { label: 'daemon RSS idle (initialized)', key: 'idleRssKb', unit: 'MB', scale: MB, target: { kind: 'ratioAtMost', value: 1, text: '≤ 1×' } },
    { label: 'daemon RSS peak under 64 connections', key: 'loadRssKb', unit: 'MB', scale: MB },
    { label: 'daemon RSS after the 64-connection load', key: 'afterLoadRssKb', unit: 'MB', scale: MB, target: { kind: 'ratioAtMost', value: 1, text: '≤ 1×' } },
    { label: 'daemon own memory (RssAnon) at start', key: 'startAnonKb', unit: 'MB', scale: MB },
    { label: 'daemon own memory (RssAnon) idle', key: 'idleAnonKb', unit: 'MB', scale: MB },
    { label: 'daemon own memory (RssAnon) after the load', key: 'afterLoadAnonKb', unit: 'MB', scale: MB },
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
  params: { calls: number; warmup: number; loadMs: number; loadWarmMs: number; stops: number; serpentMs: number; idleSettleMs: number; cliRounds: number; profileCalls: number };
  /** The call profile (bench/call-profile.ts), when it ran. */
  stages?: StageTimes | null;
}

/** The rows that break a figure down: what each program costs before it does any work. */
function breakdown(input: ReportInput, get: (kind: DaemonKind, key: string) => Figure | null): string[] {
  const ms = (kind: DaemonKind, key: string): string => {
    const f = get(kind, key);
    return f ? `${num(f.median, 0)} ms` : '–';
  };
  const mb = (kind: DaemonKind, key: string): string => {
    const f = get(kind, `${key}Kb`);
    const anon = get(kind, `${key}AnonKb`);
    const file = get(kind, `${key}FileKb`);
    if (!f) return '–';
    const split = anon && file ? ` <sub>(${num(anon.median / 1024, 1)} own + ${num(file.median / 1024, 1)} binary)</sub>` : '';
    return `${num(f.median / 1024, 1)} MB${split}`;
  };
  const lines: string[] = [];
  lines.push('## Where the time and memory go');
  lines.push('');
  lines.push('### A command-line call, part by part (medians over the runs)');
  lines.push('');
  lines.push('Peak memory is split into the process\'s own (RssAnon) and the pages of its interpreter\'s binary and');
  lines.push('libraries it touched (RssFile, shared by every process running them), each at its own peak.');
  lines.push('');
  lines.push('| part | Python twin | wall | peak | TypeScript | wall | peak |');
  lines.push('|---|---|---:|---:|---|---:|---:|');
  lines.push(`| the interpreter alone | \`python3 -c pass\` | ${ms('python', 'cliFloor')} | ${mb('python', 'cliFloor')} | \`node -e 0\` | ${ms('typescript', 'cliFloor')} | ${mb('typescript', 'cliFloor')} |`);
  lines.push(`| + loading the program | \`import Pyro4\` | ${ms('python', 'cliLoad')} | ${mb('python', 'cliLoad')} | \`focus --version\` (the bundle) | ${ms('typescript', 'cliLoad')} | ${mb('typescript', 'cliLoad')} |`);
  lines.push(`| the whole call | \`focus_reference.py status\` | ${ms('python', 'cliStatus')} | ${mb('python', 'cliStatus')} | \`focus status\` | ${ms('typescript', 'cliStatus')} | ${mb('typescript', 'cliStatus')} |`);
  lines.push(`| before bundling | | | | \`node dist/src/cli/focus.js status\` | ${ms('typescript', 'cliStatusUnbundled')} | ${mb('typescript', 'cliStatusUnbundled')} |`);
  const unbundled = get('typescript', 'startupUnbundledMs');
  if (unbundled) lines.push(`| focusd, start to first answer, before bundling | | | | \`node dist/src/cli/focusd.js\` | ${num(unbundled.median, 0)} ms | |`);
  const st = input.stages;
  if (st) {
    lines.push('');
    lines.push(`### A report_status round trip, stage by stage (µs per call; ${st.calls} calls of our PyroProxy, one in flight, both processes profiled)`);
    lines.push('');
    lines.push('| stage | focusd | client |');
    lines.push('|---|---:|---:|');
    const names = [...new Set([...Object.keys(st.daemon), ...Object.keys(st.client)])];
    names.sort((a, b) => (st.daemon[b] ?? 0) + (st.client[b] ?? 0) - ((st.daemon[a] ?? 0) + (st.client[a] ?? 0)));
    for (const n of names) lines.push(`| ${n} | ${num(st.daemon[n] ?? 0, 2)} | ${num(st.client[n] ?? 0, 2)} |`);
    const busy = (side: Record<string, number>): number =>
      Object.entries(side).filter(([k]) => !k.startsWith('idle')).reduce((a, [, v]) => a + v, 0);
    lines.push(`| **busy (all but idle)** | **${num(busy(st.daemon), 1)}** | **${num(busy(st.client), 1)}** |`);
    lines.push('');
    lines.push('Profiling (a sample every 50 µs) slows both ends; the shares, not the sums, are the finding.');
  }
  lines.push('');
  return lines;
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
  lines.push(`- report_status round trip: one proxy, ${p.warmup} warm-up calls, then ${p.calls} timed calls back to back (steady state, as a`);
  lines.push('  daemon serving for hours and the long-lived proxies of rockit\'s other daemons see it: V8 has compiled the hot path); p50 and p99 of');
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
  lines.push('- Command line: `focus status` and `focus json` (`node bin/focus`, as installed: the bundle) against the Python twin of');
  lines.push("  upstream's `focus` (`bench/reference/focus_reference.py`: Pyro4, the phone book, the config validated with jsonschema as");
  lines.push("  rockit-common does when it is installed), both calling our focusd, initialized. Each program runs to completion under");
  lines.push(`  \`bench/reference/run_measured.py\` (wall time fork to reap, in turn, ${p.cliRounds} rounds per run; the cell is the median over`);
  lines.push("  runs of each run's median), then once more for the peak resident set (VmHWM read from /proc while it runs: the program's own");
  lines.push('  peak, without the measuring process\'s memory a child holds before exec). The twin and ours must print the same (checked each run).');
  lines.push('- Daemon RSS: at start (before initialize), idle (initialized), peak during and settled after the 64-connection run.');
  lines.push('');
  lines.push(...breakdown(input, get));
  if (input.notes.length > 0) {
    lines.push('');
    lines.push('## Notes from this run');
    lines.push('');
    for (const n of input.notes) lines.push(`- ${n}`);
  }
  lines.push('');
  return lines.join('\n');
}
