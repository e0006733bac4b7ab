import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './child.js';

/** The checkout root (dist/bench/ -> ../..). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PYTHON = process.env.FOCUSD_TEST_PYTHON ?? '/usr/bin/python3';
export const HOST = '127.0.0.1';
export const OBJECT_ID = 'bench_focuser_daemon';
export const referenceDir = join(repoRoot, 'bench', 'reference');

/** Simulated focuser used by both daemons: 10000 steps, starting at 1000. */
export const STEP_RATE = 1000;

export type DaemonKind = 'python' | 'typescript';
export const KINDS: readonly DaemonKind[] = ['python', 'typescript'];

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The TypeScript daemon's config file (its phone book is env.FOCUSD_PHONEBOOK). */
  config?: string;
}

/** A free loopback port (bound and released; the daemon binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let scratch: string | null = null;
function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'focusd-bench-'));
  return scratch;
}

/** focusd's config and a phone book putting it on 127.0.0.1:`port`, control machine LocalHost. */
function focusdSetup(port: number): { config: string; env: NodeJS.ProcessEnv } {
  const dir = scratchDir();
  const phonebook = join(dir, `phonebook-${port}.json`);
  writeFileSync(phonebook, JSON.stringify({ daemons: { bench_focuser: { object_id: OBJECT_ID, host: HOST, port } } }));
  const config = join(dir, `bench-${port}.json`);
  writeFileSync(
    config,
    JSON.stringify({ daemon: 'bench_focuser', log_name: 'focusd@bench', control_machines: ['LocalHost'], move_timeout: 180 }),
  );
  return {
    config,
    env: { ...process.env, FOCUSD_PHONEBOOK: phonebook, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none' },
  };
}

/**
 * How each daemon is started. `instrumented`: the variant that prints `HALT <CLOCK_MONOTONIC ns>`
 * when a halt reaches its simulated device (stop latency); otherwise the daemon as shipped.
 */
export function launchFor(kind: DaemonKind, port: number, instrumented = false): Launch {
  if (kind === 'python') {
    const args = [join(referenceDir, 'focusd_reference.py'), '--host', HOST, '--port', String(port), '--object-id', OBJECT_ID, '--step-rate', String(STEP_RATE)];
    if (instrumented) args.push('--report-halts');
    return { command: PYTHON, args, env: { ...process.env } };
  }
  const { config, env } = focusdSetup(port);
  if (instrumented) return { command: process.execPath, args: [join(repoRoot, 'dist', 'bench', 'instrumented-focusd.js'), config], env, config };
  return { command: process.execPath, args: [join(repoRoot, 'bin', 'focusd'), '--simulate', config], env, config };
}

export interface RunningDaemon {
  kind: DaemonKind;
  child: Child;
  port: number;
  uri: string;
  /** process.hrtime.bigint() just before spawn. */
  spawnedAt: bigint;
  env: NodeJS.ProcessEnv;
  config?: string;
}

/** Starts a daemon on a free port and waits for its `Starting daemon PYRO:...` line. */
export async function startDaemon(kind: DaemonKind, options: { instrumented?: boolean; port?: number } = {}): Promise<RunningDaemon> {
  const port = options.port ?? (await freePort());
  const launch = launchFor(kind, port, options.instrumented ?? false);
  const spawnedAt = process.hrtime.bigint();
  const child = startChild(launch.command, launch.args, { env: launch.env, lifetimeMs: 240_000 });
  const m = await child.waitFor(/Starting daemon (PYRO:\S+)/);
  return { kind, child, port, uri: m[1] as string, spawnedAt, env: launch.env, ...(launch.config !== undefined ? { config: launch.config } : {}) };
}

export async function stopDaemon(d: RunningDaemon): Promise<void> {
  await d.child.stop(3000);
}
