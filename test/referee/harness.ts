// The referee tests' rig: atlas-sim (the simulated Atlas on a Unix socket) as a child process,
// FLI's libfli2 driven through build/referee/fli-harness over the libusb stand-in, and our driver
// reaching the same simulator through simSocketUsbBackend. Everything here is bounded.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtlasFocuser, findUsbFocuser, simSocketUsbBackend } from '../../src/hardware/index.js';
import { fromRoot } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';

export const SHIM_DIR = fromRoot('build', 'usb-shim');
export const FLI_HARNESS = fromRoot('build', 'referee', 'fli-harness');
export const USB_PROBE = fromRoot('build', 'referee', 'usb-probe');
export const ATLAS_SIM = fromRoot('bin', 'atlas-sim');

/** Fails with the command that builds them when the native pieces are missing (never a skip). */
export function requireNativeBuild(): void {
  for (const path of [join(SHIM_DIR, 'libusb-1.0.so.0'), FLI_HARNESS, USB_PROBE]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build:native (npm test builds it)`);
  }
}

/** The environment that puts the simulator on a libusb program's bus. */
export function shimEnv(socket: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ATLAS_SIM_SOCKET: socket, LD_LIBRARY_PATH: SHIM_DIR, ...extra };
}

export const scratchDir = (label: string): string => mkdtempSync(join(tmpdir(), `focusd-${label}-`));

/** One line of atlas-sim's transcript. */
export interface Transfer {
  connection: number;
  direction: 'OUT' | 'IN';
  /** Hex bytes ("80 00"), or the libusb error name for a failed transfer. */
  data: string;
}

export interface AtlasSim {
  run: Running;
  socket: string;
  /** Sends one stdin command and resolves with its answer line. */
  command(line: string): Promise<string>;
  /** The state as `status` reports it. */
  state(): Promise<Record<string, unknown>>;
  /** Every transfer so far, in order. */
  transfers(): Transfer[];
  /** Only the transfers from `mark()` on. */
  transfersSince(mark: number): Transfer[];
  mark(): number;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts bin/atlas-sim on a fresh socket with `args` (flags), waiting for its "serving" line. */
export async function startAtlasSim(args: string[] = []): Promise<AtlasSim> {
  const dir = scratchDir('atlas-sim');
  const socket = join(dir, 'atlas.sock');
  const transcript = join(dir, 'transcript.txt');
  const run = start(process.execPath, [ATLAS_SIM, socket, '--transcript', transcript, ...args], { lifetimeMs: 170_000 });
  await run.waitFor(/atlas-sim: serving /, 15_000);
  const ask = answerer(run, 'atlas-sim', () => true, 10_000);
  const transfers = (): Transfer[] => {
    if (!existsSync(transcript)) return [];
    return readFileSync(transcript, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const m = /^(\d+) (OUT|IN) [0-9a-f]{2}: (.*)$/.exec(l);
        if (!m) throw new Error(`unexpected transcript line: ${l}`);
        return { connection: Number(m[1]), direction: m[2] as 'OUT' | 'IN', data: m[3] as string };
      });
  };
  const command = async (line: string): Promise<string> => {
    const out = await ask(line);
    if (out.startsWith('error:')) throw new Error(`atlas-sim: ${line}: ${out}`);
    return out;
  };
  return {
    run,
    socket,
    command,
    state: async () => JSON.parse(await command('status')) as Record<string, unknown>,
    transfers,
    transfersSince: (mark) => transfers().slice(mark),
    mark: () => transfers().length,
    stop: () => run.stop(),
  };
}

/** One result line of fli-harness. */
export interface FliResult {
  op: string;
  ok: boolean;
  value?: unknown;
  error?: number;
  message?: string;
}

/** Runs fli-harness with `ops` to completion against the simulator on `socket`. */
export async function runFli(socket: string, ops: string[], timeoutMs = 60_000): Promise<FliResult[]> {
  const run = start(FLI_HARNESS, ops, { env: shimEnv(socket), lifetimeMs: timeoutMs });
  const { code, signal } = await run.exited;
  if (code !== 0) throw new Error(`fli-harness exited ${code ?? signal}; stderr: ${run.stderr()}`);
  return parseResults(run.stdout());
}

function parseResults(text: string): FliResult[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as FliResult);
}

/** A harness program kept running, fed one op per line, answering one JSON line per op. */
export interface Session<T> {
  op(line: string): Promise<T>;
  end(): Promise<void>;
}

/** Starts `program` (fli-harness or usb-probe) on the simulator behind `socket`, driven op by op. */
export function session<T>(program: string, socket: string): Session<T> {
  const run = start(program, [], { env: shimEnv(socket), lifetimeMs: 120_000 });
  const ask = answerer(run, program.split('/').pop() as string, (l) => l.startsWith('{'), 30_000);
  return {
    op: async (line) => JSON.parse(await ask(line)) as T,
    async end() {
      run.child.stdin?.end();
      await run.stop(5000);
    },
  };
}

/**
 * Asks `run` one stdin line at a time (in call order) and resolves with the next complete stdout
 * line that `isAnswer` accepts; rejects when the process ends or `timeoutMs` passes first.
 */
function answerer(run: Running, name: string, isAnswer: (line: string) => boolean, timeoutMs: number): (line: string) => Promise<string> {
  const answers = (): string[] => run.lines().slice(0, -1).filter(isAnswer); // the last element is a partial line
  let seen = answers().length;
  let chain: Promise<unknown> = Promise.resolve();
  return (line) => {
    const next = chain.then(async () => {
      run.child.stdin?.write(line + '\n');
      const until = Date.now() + timeoutMs;
      for (;;) {
        const all = answers();
        if (all.length > seen) return all[seen++] as string;
        if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`${name} exited during "${line}"; stderr: ${run.stderr()}`);
        if (Date.now() > until) throw new Error(`${name} did not answer "${line}" within ${timeoutMs} ms; stderr: ${run.stderr()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
}

/** fli-harness kept running: for faults that must land between two libfli calls. */
export type FliSession = Session<FliResult>;
export const fliSession = (socket: string): FliSession => session<FliResult>(FLI_HARNESS, socket);

/** Our driver on the simulator behind `socket`, through the same transport class as on USB. */
export async function openOurs(socket: string): Promise<AtlasFocuser> {
  return AtlasFocuser.open(await findUsbFocuser({ backend: simSocketUsbBackend(socket) }));
}

export const outBytes = (transfers: Transfer[]): string[] => transfers.filter((t) => t.direction === 'OUT').map((t) => t.data);

/** The transfers on each connection, in the order the connections first appear. */
export function byConnection(transfers: Transfer[]): Transfer[][] {
  const groups = new Map<number, Transfer[]>();
  for (const t of transfers) {
    const list = groups.get(t.connection) ?? [];
    list.push(t);
    groups.set(t.connection, list);
  }
  return [...groups.values()];
}
