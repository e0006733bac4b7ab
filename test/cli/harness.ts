import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { python, scratchSetup } from '../e2e/harness.js';
import { focusBin, focusdBin, fromRoot } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';

/** A daemon under test and the environment a `focus` child needs to reach it. */
export interface Target {
  proc: Running;
  uri: string;
  dir: string;
  config: string;
  /** For `focus` children: FOCUSD_CONFIG_PATH and a phone book with the daemon's real port. */
  env: NodeJS.ProcessEnv;
}

export interface SimulatedTarget extends Target {
  /** Runs a Python Pyro4 client (e2e prelude: proxy(), sim(), wait_for() ...) and returns its R. */
  py(body: string): Record<string, unknown>;
}

/** The environment without anything of the caller's that would change focus's behaviour. */
function cleanEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'FOCUSD_CONFIG_PATH', 'FOCUSD_CONFIG_DIR']) delete env[key];
  return env;
}

/** A phone book file putting `name` on 127.0.0.1:`port`. */
function portPhoneBook(dir: string, name: string, objectId: string, port: number, defaultTimeout: number): string {
  const file = join(dir, `${name}-port.json`);
  writeFileSync(file, JSON.stringify({ daemons: { [name]: { object_id: objectId, host: '127.0.0.1', port, default_timeout: defaultTimeout } } }));
  return file;
}

const portOf = (uri: string): number => Number(/:(\d+)$/.exec(uri)?.[1]);

export interface SimulatedOptions {
  moveTimeout?: number;
  controlMachines?: string[];
  /** The phone book's default_timeout for focus (seconds). */
  defaultTimeout?: number;
  /** Run this focusd executable (e.g. one extracted from the RPM) instead of the checkout's bin/focusd. */
  focusd?: string;
  /** Pass --simulate (default true); without it focusd drives real USB hardware. */
  simulate?: boolean;
  /** More focusd flags, before the config path (e.g. --simulator-socket). */
  args?: string[];
}

/**
 * `bin/focusd --simulate` on a free loopback port (the e2e scratch phone book, port 0), then a
 * second phone book file with the port it got, so `focus` children find it through the phone book.
 */
export async function startSimulated(options: SimulatedOptions = {}): Promise<SimulatedTarget> {
  requirePythonPyro4();
  const { dir, config, env } = scratchSetup({
    ...(options.moveTimeout !== undefined ? { moveTimeout: options.moveTimeout } : {}),
    ...(options.controlMachines !== undefined ? { controlMachines: options.controlMachines } : {}),
  });
  const flags = [...(options.simulate === false ? [] : ['--simulate']), ...(options.args ?? []), config];
  const proc = options.focusd
    ? start(options.focusd, flags, { env, lifetimeMs: 110_000 })
    : start(process.execPath, [focusdBin, ...flags], { env, lifetimeMs: 110_000 });
  const uri = (await proc.waitFor(/Starting daemon (PYRO:[^\s"]+)/))[1] as string;
  const book = portPhoneBook(dir, 'e2e_focuser', 'e2e_focuser_daemon', portOf(uri), options.defaultTimeout ?? 5);
  const focusEnv = { ...cleanEnv(env), FOCUSD_PHONEBOOK: `${env.FOCUSD_PHONEBOOK}:${book}`, FOCUSD_CONFIG_PATH: config };
  return { proc, uri, dir, config, env: focusEnv, py: (body) => python(uri, body) };
}

export interface FakeOptions {
  moveTimeout?: number;
  defaultTimeout?: number;
}

/**
 * A stand-in daemon on real Python Pyro4 exposing exactly `replies` (method -> reply, or
 * `{ sleep, reply }`), for codes and shapes the simulated focusd never produces.
 */
export async function startFake(replies: Record<string, unknown>, options: FakeOptions = {}): Promise<Target & { calls(): unknown[] }> {
  requirePythonPyro4();
  const dir = mkdtempSync(join(tmpdir(), 'focus-cli-'));
  const objectId = 'fake_focuser_daemon';
  const proc = start(PYTHON, ['-u', fromRoot('test', 'cli', 'fixtures', 'fake_focusd.py'), objectId, JSON.stringify(replies)], {
    lifetimeMs: 110_000,
  });
  const uri = (await proc.waitFor(/Starting daemon (PYRO:\S+)/))[1] as string;
  const book = portPhoneBook(dir, 'fake_focuser', objectId, portOf(uri), options.defaultTimeout ?? 5);
  const config = join(dir, 'fake.json');
  writeFileSync(
    config,
    JSON.stringify({ daemon: 'fake_focuser', log_name: 'focus@test', control_machines: ['LocalHost'], move_timeout: options.moveTimeout ?? 20 }),
  );
  const env = { ...cleanEnv(process.env), FOCUSD_PHONEBOOK: book, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_CONFIG_PATH: config };
  return {
    proc,
    uri,
    dir,
    config,
    env,
    calls: () => python(uri, `R['calls'] = proxy().fake_calls()`).calls as unknown[],
  };
}

export interface FocusResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `bin/focus <args>` with piped output (not a terminal). */
export function spawnFocus(args: string[], env: NodeJS.ProcessEnv): Running {
  return start(process.execPath, [focusBin, ...args], { env, lifetimeMs: 100_000 });
}

/** Runs `bin/focus <args>` to completion with piped output. */
export async function runFocus(args: string[], env: NodeJS.ProcessEnv): Promise<FocusResult> {
  const p = spawnFocus(args, env);
  const { code, signal } = await p.exited;
  return { code, signal, stdout: p.stdout(), stderr: p.stderr() };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `bin/focus <args>` on a pseudo-terminal (util-linux `script`), returning everything the
 * terminal received (stdout and stderr together, `\r\n` line ends) and focus's exit code.
 */
export async function runFocusOnTty(args: string[], env: NodeJS.ProcessEnv, columns = 100): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, focusBin, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qefc', `stty cols ${columns} 2>/dev/null; exec ${command}`, '/dev/null'], {
    env: { ...env, TERM: 'xterm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

/** Resolves once `check` returns true, polling; rejects after `limitMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, limitMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not met within ${limitMs} ms`);
}

/** The status dict, read with `focus json`. */
export async function statusOf(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const r = await runFocus(['json'], env);
  if (r.code !== 0) throw new Error(`focus json failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The environment for `focus` pointed at 127.0.0.1:`port`, whatever listens there (or nothing). */
export function envForPort(port: number, defaultTimeout = 5): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'focus-port-'));
  const book = portPhoneBook(dir, 'somewhere_focuser', 'somewhere_focuser_daemon', port, defaultTimeout);
  const config = join(dir, 'somewhere.json');
  writeFileSync(config, JSON.stringify({ daemon: 'somewhere_focuser', log_name: 'focus@test', control_machines: ['LocalHost'], move_timeout: 20 }));
  return { ...cleanEnv(process.env), FOCUSD_PHONEBOOK: book, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_CONFIG_PATH: config };
}
