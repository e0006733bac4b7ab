// The soak engine, shared by `npm run soak` (test/reliability/soak.ts: 200 connections x 1,000
// calls) and its bounded version in npm test (soak.test.ts). It starts `bin/focusd --simulate` on
// loopback, and every connection makes a seeded mix of report_status, set_focus, stop and bad calls
// (unknown and private methods, wrong arguments, an unknown object, pings) one after another,
// checking that each request gets exactly one answer, with its seq, of the right kind. Node:test is
// not imported here (test/helpers/process.ts hooks into it only under the test runner), so the
// standalone script prints nothing but its own report.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageType, encodeMessage, isPlainObject, type PyValue } from '../../src/pyro/index.js';
import { rssKb } from '../../bench/child.js';
import { focusdBin } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { WireClient, readReply } from './wire.js';

const OBJ = 'soak_focuser_daemon';

export interface SoakFocusd {
  child: ChildProcess;
  port: number;
  stdout(): string;
  rss(): number;
  stop(): Promise<void>;
}

/** Starts focusd --simulate on 127.0.0.1 with a scratch config and phone book. */
export async function startSoakFocusd(): Promise<SoakFocusd> {
  const dir = mkdtempSync(join(tmpdir(), 'focusd-soak-'));
  const phonebook = join(dir, 'phonebook.json');
  writeFileSync(phonebook, JSON.stringify({ daemons: { soak_focuser: { object_id: OBJ, host: '127.0.0.1', port: 0 } } }));
  const config = join(dir, 'soak.json');
  writeFileSync(config, JSON.stringify({ daemon: 'soak_focuser', log_name: 'focusd@soak', control_machines: ['LocalHost'], move_timeout: 20 }));
  const run = start(process.execPath, [focusdBin, '--simulate', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FOCUSD_PHONEBOOK: phonebook, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none', FOCUSD_LOG_FORMAT: 'json' },
    lifetimeMs: 3_600_000,
  });
  const m = await run.waitFor(/Starting daemon PYRO:\S+@127\.0\.0\.1:(\d+)/, 20_000);
  return {
    child: run.child,
    port: Number(m[1]),
    stdout: run.stdout,
    rss: () => rssKb(run.pid) * 1024,
    async stop() {
      await run.stop(5_000);
    },
  };
}

/** A small seeded PRNG (mulberry32), so a soak run can be repeated exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind =
  | 'report_status'
  | 'set_focus'
  | 'set_focus_outside'
  | 'stop'
  | 'unknown_method'
  | 'private_method'
  | 'bad_argument'
  | 'missing_argument'
  | 'extra_argument'
  | 'unknown_object'
  | 'ping';

const MIX: [Kind, number][] = [
  ['report_status', 40],
  ['set_focus', 12],
  ['set_focus_outside', 3],
  ['stop', 10],
  ['unknown_method', 7],
  ['private_method', 5],
  ['bad_argument', 6],
  ['missing_argument', 5],
  ['extra_argument', 5],
  ['unknown_object', 4],
  ['ping', 3],
];

function pick(random: () => number): Kind {
  let x = random() * MIX.reduce((s, [, w]) => s + w, 0);
  for (const [kind, w] of MIX) if ((x -= w) < 0) return kind;
  return 'report_status';
}

export interface SoakSummary {
  connections: number;
  calls: number;
  byKind: Record<string, Record<string, number>>;
  violations: string[];
  durationMs: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  rssColdStart: number;
  logErrors: string[];
  logWarnings: Record<string, number>;
}

/** What an answer was, for the tally: the value for ints, or the exception class. */
type Answer = { ok: true; value: PyValue } | { ok: false; cls: string; text: string } | { pong: true };

function expectKind(kind: Kind, a: Answer): string | null {
  const isInt = (v: PyValue, allowed: number[]): boolean => typeof v === 'number' && allowed.includes(v);
  if ('pong' in a) return kind === 'ping' ? null : 'pong for a call';
  switch (kind) {
    case 'report_status':
      return a.ok && isPlainObject(a.value) && isInt(a.value['status'] ?? null, [1, 2]) ? null : 'report_status is not an Idle/Moving status dict';
    case 'set_focus':
      // 0 arrived, 1 ended by someone's stop, 2 another move is running.
      return a.ok && isInt(a.value, [0, 1, 2]) ? null : 'set_focus answered outside 0/1/2';
    case 'set_focus_outside':
      return a.ok && isInt(a.value, [2, 6]) ? null : 'set_focus outside the range is not 6 (or 2 while busy)';
    case 'stop':
      return a.ok && isInt(a.value, [0]) ? null : 'stop is not 0';
    case 'unknown_method':
    case 'private_method':
      return !a.ok && a.cls === 'builtins.AttributeError' ? null : 'not an AttributeError';
    case 'bad_argument':
      // upstream's order: Blocked (2) while a move runs, else TypeError for the argument.
      return (!a.ok && a.cls === 'builtins.TypeError') || (a.ok && isInt(a.value, [2])) ? null : 'set_focus("abc") is neither TypeError nor 2';
    case 'missing_argument':
    case 'extra_argument':
      return !a.ok && a.cls === 'builtins.TypeError' ? null : 'not a TypeError';
    case 'unknown_object':
      return !a.ok && a.cls === 'Pyro4.errors.DaemonError' && /unknown object/.test(a.text) ? null : 'not DaemonError unknown object';
    case 'ping':
      return 'a ping got a call reply';
  }
}

function request(kind: Kind, seq: number, random: () => number): Buffer {
  const call = (method: string, vargs: PyValue[] = [], objectId = OBJ): Buffer =>
    encodeMessage({
      type: MessageType.INVOKE,
      seq,
      payload: Buffer.from(
        `# serpent utf-8 python3.2\n(${JSON.stringify(objectId)},${JSON.stringify(method)},(${vargs.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(',')}${vargs.length === 1 ? ',' : ''}),{})`,
      ),
    });
  switch (kind) {
    case 'report_status':
      return call('report_status');
    case 'set_focus':
      return call('set_focus', [Math.floor(random() * 3000)]);
    case 'set_focus_outside':
      return call('set_focus', [random() < 0.5 ? -1 - Math.floor(random() * 100) : 10_000_000]);
    case 'stop':
      return call('stop');
    case 'unknown_method':
      return call(['nope', 'Set_Focus', 'constructor', '__proto__', 'toString'][Math.floor(random() * 5)] as string);
    case 'private_method':
      return call('_secret');
    case 'bad_argument':
      return call('set_focus', ['abc']);
    case 'missing_argument':
      return call('set_focus');
    case 'extra_argument':
      return call('report_status', [1]);
    case 'unknown_object':
      return call('report_status', [], 'no_such_object');
    case 'ping':
      return encodeMessage({ type: MessageType.PING, seq, payload: Buffer.from('ping') });
  }
}

async function soakConnection(port: number, calls: number, seed: number, tally: SoakSummary): Promise<void> {
  const random = prng(seed);
  const c = await WireClient.connected(port, OBJ);
  try {
    for (let i = 0; i < calls; i++) {
      const kind = pick(random);
      const seq = (i + 1) & 0xffff;
      c.send(request(kind, seq, random));
      const m = await c.next(60_000);
      if (m === 'closed') {
        tally.violations.push(`connection ${seed}: closed by the daemon at call ${i} (${kind})`);
        return;
      }
      if (m.seq !== seq) tally.violations.push(`connection ${seed}: reply seq ${m.seq} for request ${seq}`);
      let answer: Answer;
      if (m.type === MessageType.PING) answer = { pong: true };
      else {
        const r = readReply(m);
        answer = r.exception ? { ok: false, cls: r.exception.cls, text: r.exception.text } : { ok: true, value: r.value };
      }
      const problem = expectKind(kind, answer);
      if (problem) tally.violations.push(`connection ${seed} call ${i} ${kind}: ${problem}: ${JSON.stringify(answer, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      const label = 'pong' in answer ? 'pong' : answer.ok ? (isPlainObject(answer.value) ? `status ${String(answer.value['status'])}` : String(answer.value)) : answer.cls;
      const row = (tally.byKind[kind] ??= {});
      row[label] = (row[label] ?? 0) + 1;
      tally.calls++;
    }
    // Exactly once: nothing more arrives after the last answer.
    await sleep(100);
    const extra = await Promise.race([c.next(50).catch(() => 'none' as const), sleep(60).then(() => 'none' as const)]);
    if (extra !== 'none' && extra !== 'closed') tally.violations.push(`connection ${seed}: an extra frame (seq ${extra.seq}) after the last answer`);
    if (extra === 'closed') tally.violations.push(`connection ${seed}: closed by the daemon after the last answer`);
  } finally {
    c.destroy();
    tally.connections++;
  }
}

async function simCall(port: number, method: string, vargs: PyValue[]): Promise<PyValue> {
  const c = await WireClient.connected(port, `${OBJ}.simulator`);
  try {
    return (await c.call(1, `${OBJ}.simulator`, method, vargs)).value;
  } finally {
    c.destroy();
  }
}

/** Runs the soak; never throws for a violation (they are in the summary), only for setup failures. */
export async function runSoak(options: { connections: number; callsPerConnection: number; seed: number; deadlineMs: number; progress?: (line: string) => void }): Promise<SoakSummary> {
  const focusd = await startSoakFocusd();
  const say = options.progress ?? (() => undefined);
  try {
    const rssColdStart = focusd.rss();
    const setup = await WireClient.connected(focusd.port, OBJ);
    if ((await simCall(focusd.port, 'set_step_rate', [50_000])) !== 0) throw new Error('set_step_rate failed');
    if ((await setup.call(1, OBJ, 'initialize')).value !== 0) throw new Error('initialize failed');
    setup.destroy();

    // Warm-up at the soak's own concurrency (JIT, socket buffers, and the V8 heap's high-water mark
    // for that many connections), then the baseline: what the soak's volume adds on top is growth.
    const warm: SoakSummary = { connections: 0, calls: 0, byKind: {}, violations: [], durationMs: 0, rssBefore: 0, rssPeak: 0, rssAfter: 0, rssColdStart, logErrors: [], logWarnings: {} };
    const warmCalls = Math.min(100, options.callsPerConnection);
    await Promise.all(Array.from({ length: options.connections }, (_, i) => soakConnection(focusd.port, warmCalls, options.seed + 1_000_000 + i, warm)));
    if (warm.violations.length > 0) throw new Error(`warm-up violations:\n${warm.violations.slice(0, 10).join('\n')}`);
    await sleep(2_000);
    const tally: SoakSummary = { ...warm, connections: 0, calls: 0, byKind: {}, violations: [], rssBefore: focusd.rss() };
    tally.rssPeak = tally.rssBefore;
    say(`focusd RSS: ${mb(rssColdStart)} at start, ${mb(tally.rssBefore)} after a warm-up of ${options.connections} x ${warmCalls} calls (baseline)`);

    const started = Date.now();
    const sampler = setInterval(() => {
      tally.rssPeak = Math.max(tally.rssPeak, focusd.rss());
      say(`  ${tally.calls} calls answered, ${tally.connections} connections done, RSS ${mb(focusd.rss())}`);
    }, 2_000);
    const work = Promise.all(Array.from({ length: options.connections }, (_, i) => soakConnection(focusd.port, options.callsPerConnection, options.seed + i, tally)));
    const timedOut = sleep(options.deadlineMs, undefined, { ref: false }).then(() => 'deadline' as const);
    const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
    clearInterval(sampler);
    tally.durationMs = Date.now() - started;
    if (outcome === 'deadline') tally.violations.push(`the soak did not finish within ${options.deadlineMs} ms (${tally.calls} calls answered)`);

    // The daemon still serves, and its memory settles back.
    const check = await WireClient.connected(focusd.port, OBJ);
    const st = (await check.call(1, OBJ, 'report_status')).value;
    if (!isPlainObject(st) || st['status'] !== 1) tally.violations.push(`after the soak report_status is ${JSON.stringify(st)}`);
    check.destroy();
    await sleep(3_000);
    tally.rssAfter = focusd.rss();

    for (const line of focusd.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { level: number; msg: string };
      if (entry.level >= 50) tally.logErrors.push(entry.msg);
      else if (entry.level === 40) tally.logWarnings[entry.msg] = (tally.logWarnings[entry.msg] ?? 0) + 1;
    }
    return tally;
  } finally {
    await focusd.stop();
  }
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The summary as the lines `npm run soak` prints. */
export function describeSoak(s: SoakSummary): string[] {
  const lines = [
    `soak: ${s.connections} connections, ${s.calls} calls answered in ${(s.durationMs / 1000).toFixed(1)} s (${Math.round(s.calls / (s.durationMs / 1000))} calls/s)`,
  ];
  for (const [kind, answers] of Object.entries(s.byKind).sort()) {
    lines.push(`  ${kind.padEnd(18)} ${Object.entries(answers).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  }
  const growth = ((s.rssAfter - s.rssBefore) / s.rssBefore) * 100;
  lines.push(`focusd RSS: ${mb(s.rssColdStart)} at start, ${mb(s.rssBefore)} before (after the warm-up), peak ${mb(s.rssPeak)}, ${mb(s.rssAfter)} after (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%)`);
  lines.push(`daemon log: ${s.logErrors.length} error lines; warnings: ${JSON.stringify(s.logWarnings)}`);
  lines.push(s.violations.length === 0 ? 'violations: none' : `violations: ${s.violations.length}\n  ${s.violations.slice(0, 20).join('\n  ')}`);
  return lines;
}
