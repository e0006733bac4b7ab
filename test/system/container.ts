// A booted Debian bookworm in systemd-nspawn, for the system test (booted.test.ts).
//
// The root (minbase + systemd, dbus, udev, rpm, passwd, procps) is made once with mmdebstrap and
// cached in /var/tmp/focusd-system-root-<key> (the key changes with the package list, so a new
// list makes a new root); a missing root is made here, bounded by ROOT_BUILD_TIMEOUT_MS. Each boot
// runs it with --volatile=overlay: the cached tree is the read-only lower layer and every change
// lands in a tmpfs that vanishes with the container, so the cache stays clean and nothing is
// copied. --private-network gives the container its own loopback: focusd's port is its own.
//
// Commands run inside with `nsenter -t <container's systemd> -a`. Every command has a time-out;
// the container is powered off (SIGTERM to systemd-nspawn: a clean shutdown), else killed (SIGKILL
// to its init ends the whole PID namespace). Each boot leaves a record in STATE_DIR naming the
// test process that owns it, so a container whose test was killed is found and ended by the next
// run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SUITE = 'bookworm';
export const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'udev', 'rpm', 'passwd', 'procps', 'libstdc++6'];
const MMDEBSTRAP_ARGS = ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE];
const CACHE_KEY = createHash('sha256').update(JSON.stringify(MMDEBSTRAP_ARGS)).digest('hex').slice(0, 12);
export const ROOT_DIR = join(process.env.FOCUSD_SYSTEM_ROOT_CACHE ?? '/var/tmp', `focusd-system-root-${CACHE_KEY}`);
const COMPLETE = '.focusd-root-complete';
export const ROOT_BUILD_TIMEOUT_MS = 8 * 60_000;
const STATE_DIR = '/run/focusd-system-test';
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command on the host with a time-out; never rejects for a non-zero exit. */
export function run(command: string, args: string[], options: { timeoutMs: number; input?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // A process group of its own: a stray `kill 0` inside reaches nothing of the test's.
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killGroup = (): void => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs);
    // Detached, it would outlive a test file stopped early (an mmdebstrap still writing the root).
    process.once('exit', killGroup);
    const settled = (): void => {
      clearTimeout(timer);
      process.off('exit', killGroup);
    };
    child.on('error', (e) => {
      settled();
      reject(e);
    });
    child.on('close', (code, signal) => {
      settled();
      const ms = Date.now() - started;
      if (signal === 'SIGKILL' && ms >= options.timeoutMs) {
        reject(new Error(`${command} ${args.join(' ')}: no end within ${options.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else resolve({ code, signal, stdout, stderr, ms });
    });
    // A command that exits before reading its stdin closes the pipe: that EPIPE is not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The cached root, made with mmdebstrap when missing. Returns how long making it took (0 when cached). */
export async function ensureRoot(): Promise<{ dir: string; builtMs: number }> {
  if (existsSync(join(ROOT_DIR, COMPLETE))) return { dir: ROOT_DIR, builtMs: 0 };
  const started = Date.now();
  // Made beside the cache and renamed into place when complete: a run killed half-way leaves a
  // directory nobody uses (removed by the next build), never a half root under the cache's name.
  const partial = `${ROOT_DIR}.partial-${process.pid}`;
  for (const name of readdirSync(join(ROOT_DIR, '..'))) {
    const m = /^focusd-system-root-[0-9a-f]+\.partial-(\d+)$/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(ROOT_DIR, '..', name), { recursive: true, force: true });
  }
  rmSync(ROOT_DIR, { recursive: true, force: true });
  const r = await run('mmdebstrap', [...MMDEBSTRAP_ARGS, partial], { timeoutMs: ROOT_BUILD_TIMEOUT_MS });
  if (r.code !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`mmdebstrap ${MMDEBSTRAP_ARGS.join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  }
  writeFileSync(join(partial, COMPLETE), `${MMDEBSTRAP_ARGS.join(' ')}\n`);
  try {
    renameSync(partial, ROOT_DIR);
  } catch (e) {
    // Another run finished first: use its root.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(ROOT_DIR, COMPLETE))) throw e;
  }
  return { dir: ROOT_DIR, builtMs: Date.now() - started };
}

/** The start time of a process (/proc/PID/stat field 22), or null when it is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
const alive = (pid: number): boolean => startTime(pid) !== null;

interface BootRecord {
  owner: number;
  ownerStart: string;
  nspawn: number;
  nspawnStart: string;
  init: number;
  initStart: string;
}

/** Ends the containers of earlier runs whose test process is gone (killed before its clean-up). */
export function endLeftovers(): string[] {
  const ended: string[] = [];
  if (!existsSync(STATE_DIR)) return ended;
  for (const name of readdirSync(STATE_DIR)) {
    const file = join(STATE_DIR, name);
    let rec: BootRecord;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as BootRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (startTime(rec.owner) === rec.ownerStart) continue; // its test is still running
    // Only the very processes recorded (same PID and start time), never a PID reused since.
    if (startTime(rec.init) === rec.initStart) {
      process.kill(rec.init, 'SIGKILL');
      ended.push(`container init ${rec.init}`);
    }
    if (startTime(rec.nspawn) === rec.nspawnStart) {
      process.kill(rec.nspawn, 'SIGKILL');
      ended.push(`systemd-nspawn ${rec.nspawn}`);
    }
    rmSync(file, { force: true });
  }
  return ended;
}

export interface BootOptions {
  name: string;
  /** host path -> container path, read-only. */
  binds: Record<string, string>;
  /** Hard bound on the container's life, whatever happens to the test. */
  lifetimeMs: number;
  bootTimeoutMs: number;
}

export class Container {
  private stateFile: string;
  private initStart: string | null;
  private killTimer: NodeJS.Timeout;
  private exited: Promise<void>;
  private constructor(
    readonly name: string,
    private readonly nspawn: ChildProcess,
    readonly init: number,
    readonly console: () => string,
    exited: Promise<void>,
    lifetimeMs: number,
  ) {
    this.exited = exited;
    this.stateFile = join(STATE_DIR, `${name}.json`);
    this.initStart = startTime(init);
    mkdirSync(STATE_DIR, { recursive: true });
    const rec: BootRecord = {
      owner: process.pid,
      ownerStart: startTime(process.pid) ?? '',
      nspawn: nspawn.pid as number,
      nspawnStart: startTime(nspawn.pid as number) ?? '',
      init,
      initStart: this.initStart ?? '',
    };
    writeFileSync(this.stateFile, JSON.stringify(rec));
    this.killTimer = setTimeout(() => this.kill(), lifetimeMs);
    this.killTimer.unref();
    process.once('exit', () => this.kill());
  }

  /** Boots the root; resolves once its systemd says the system is up (running or degraded). */
  static async boot(root: string, options: BootOptions): Promise<Container> {
    const args = [
      '--register=no',
      '--keep-unit',
      '--volatile=overlay',
      '--private-network',
      '--console=read-only',
      `--machine=${options.name}`,
      '-D',
      root,
      ...Object.entries(options.binds).map(([host, inside]) => `--bind-ro=${host}:${inside}`),
      '-b',
    ];
    const nspawn = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH, LANG: 'C.UTF-8', SYSTEMD_LOG_COLOR: '0' } });
    // Until the Container owns it (and powers it off), a test file that ends takes nspawn with it.
    const killEarly = (): void => void nspawn.kill('SIGKILL');
    process.once('exit', killEarly);
    let spawnError: Error | null = null;
    nspawn.once('error', (e) => (spawnError = e));
    let out = '';
    nspawn.stdout?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
    nspawn.stderr?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
    const exited = new Promise<void>((resolve) => nspawn.on('exit', () => resolve()));
    const deadline = Date.now() + options.bootTimeoutMs;
    let init = 0;
    // The container's init is systemd-nspawn's child.
    while (init === 0) {
      if (spawnError !== null) throw new Error(`systemd-nspawn could not start: ${(spawnError as Error).message}`);
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) throw new Error(`systemd-nspawn ended at once:\n${out}`);
      if (Date.now() > deadline) {
        nspawn.kill('SIGKILL');
        throw new Error(`systemd-nspawn started no container within ${options.bootTimeoutMs} ms:\n${out}`);
      }
      try {
        const children = readFileSync(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        for (const pid of children) {
          if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd') init = pid;
        }
      } catch {
        // not there yet
      }
      if (init === 0) await sleep(50);
    }
    const c = new Container(options.name, nspawn, init, () => out, exited, options.lifetimeMs);
    process.off('exit', killEarly);
    // Until its manager listens, systemctl fails at once ("Failed to connect to bus"): ask again.
    let state = '';
    while (state !== 'running' && state !== 'degraded') {
      const left = deadline - Date.now();
      if (left <= 0 || nspawn.exitCode !== null) {
        await c.powerOff();
        throw new Error(`the container did not come up within ${options.bootTimeoutMs} ms (is-system-running: ${state}):\n${out.slice(-5000)}`);
      }
      const up = await c.exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: left }).catch((e: unknown) => ({ stdout: '', stderr: String(e) }));
      state = up.stdout.trim() || up.stderr.trim();
      if (state !== 'running' && state !== 'degraded') await sleep(100);
    }
    return c;
  }

  /** Runs a command inside the container, as root, with a clean environment. */
  exec(command: string[], options: { timeoutMs: number; input?: string; env?: Record<string, string> }): Promise<RunResult> {
    const env = Object.entries({ PATH, LANG: 'C.UTF-8', HOME: '/root', TERM: 'dumb', ...options.env }).map(([k, v]) => `${k}=${v}`);
    return run('nsenter', ['-t', String(this.init), '-a', 'env', '-i', ...env, ...command], {
      timeoutMs: options.timeoutMs,
      ...(options.input !== undefined ? { input: options.input } : {}),
      env: { PATH },
    });
  }

  /** `sh -c script` inside. */
  sh(script: string, options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
    return this.exec(['sh', '-c', script], { timeoutMs: options.timeoutMs ?? 30_000, ...(options.env ? { env: options.env } : {}) });
  }

  /** Writes a file inside (creating its directory). */
  async write(path: string, content: string): Promise<void> {
    const r = await this.exec(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', path], { timeoutMs: 10_000, input: content });
    if (r.code !== 0) throw new Error(`writing ${path} in the container: ${r.stderr}`);
  }

  /** Clean shutdown (SIGTERM to systemd-nspawn powers the container off), else SIGKILL. */
  async powerOff(timeoutMs = 20_000): Promise<'clean' | 'killed'> {
    let how: 'clean' | 'killed' = 'clean';
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      this.nspawn.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs, false, { ref: false })]);
      if (!done) {
        how = 'killed';
        this.kill();
        await Promise.race([this.exited, sleep(5_000, undefined, { ref: false })]);
      }
    }
    clearTimeout(this.killTimer);
    rmSync(this.stateFile, { force: true });
    return how;
  }

  private kill(): void {
    // SIGKILL to a PID namespace's init ends every process in it.
    if (this.initStart !== null && startTime(this.init) === this.initStart) process.kill(this.init, 'SIGKILL');
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) this.nspawn.kill('SIGKILL');
  }
}
