import type { FocusdConfig } from '../../config/index.js';
import { ExitCode } from './codes.js';
import { ProgressDisplay } from './progress.js';
import { pyJsonDumps } from './python-json.js';
import { formatStatus, type StatusReport } from './status-format.js';
import type { Style } from './style.js';

/** One connection to the daemon (a Pyro proxy); see client.ts. */
export interface FocusdConnection {
  call(method: string, args?: unknown[], kwargs?: Record<string, unknown>): Promise<unknown>;
  /** The method names the daemon exposes on the object. */
  methods(): Promise<readonly string[]>;
  close(): void;
}

/** Opens a connection; `timeoutMs` 0 waits for the reply without limit (the connect stays bounded). */
export type Connect = (options: { timeoutMs: number }) => FocusdConnection;

export interface CommandContext {
  config: FocusdConfig;
  connect: Connect;
  /** Writes one line to stdout. */
  print(line: string): void;
  /** Styling for stdout. */
  style: Style;
  /** The live progress line (on stderr), or null when stderr is not a terminal. */
  progress: { write(text: string): void; columns(): number; style: Style } | null;
  /** Listens for Ctrl-C while a move waits; returns the function that stops listening. */
  onInterrupt(listener: () => void): () => void;
}

/** The daemon answered a command with something that is not a status code. */
export class UnexpectedReplyError extends Error {
  readonly code = 'UNEXPECTED_REPLY';
  constructor(readonly method: string, readonly reply: unknown) {
    super(`error: focus daemon answered ${method}() with ${describe(reply)} instead of a status code`);
    this.name = 'UnexpectedReplyError';
  }
}

/** The daemon does not expose a method the command needs (e.g. `home` on the Python focusd). */
export class UnsupportedCommandError extends Error {
  readonly code = 'UNSUPPORTED';
  constructor(readonly method: string) {
    super(`error: this focus daemon does not offer ${method}`);
    this.name = 'UnsupportedCommandError';
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : String(value);
}

function statusCode(method: string, reply: unknown): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  if (typeof reply === 'bigint') return Number(BigInt.asIntN(32, reply));
  if (typeof reply === 'boolean') return reply ? 1 : 0;
  throw new UnexpectedReplyError(method, reply);
}

const defaultTimeoutMs = (config: FocusdConfig): number => config.daemon.defaultTimeout * 1000;

async function withConnection<T>(ctx: CommandContext, timeoutMs: number, use: (c: FocusdConnection) => Promise<T>): Promise<T> {
  const connection = ctx.connect({ timeoutMs });
  try {
    return await use(connection);
  } finally {
    connection.close();
  }
}

async function simple(ctx: CommandContext, method: string, timeoutMs = defaultTimeoutMs(ctx.config)): Promise<number> {
  return withConnection(ctx, timeoutMs, async (c) => statusCode(method, await c.call(method)));
}

async function report(ctx: CommandContext): Promise<StatusReport> {
  return withConnection(ctx, defaultTimeoutMs(ctx.config), async (c) => (await c.call('report_status')) as StatusReport);
}

export async function status(ctx: CommandContext): Promise<number> {
  const data = await report(ctx);
  ctx.print(formatStatus(data ?? {}, ctx.style));
  return ExitCode.Succeeded;
}

export async function json(ctx: CommandContext): Promise<number> {
  const data = await report(ctx);
  const empty = data === null || data === undefined || (typeof data === 'object' && Object.keys(data).length === 0);
  ctx.print(empty ? '{}' : pyJsonDumps(data));
  return ExitCode.Succeeded;
}

/** `initialize()` may take as long as a move, so it gets the move timeout plus 5 s (as upstream). */
export const init = (ctx: CommandContext): Promise<number> => simple(ctx, 'initialize', (ctx.config.moveTimeout + 5) * 1000);
export const kill = (ctx: CommandContext): Promise<number> => simple(ctx, 'shutdown');
export const stop = (ctx: CommandContext): Promise<number> => simple(ctx, 'stop');

type Outcome = { kind: 'reply'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'interrupt' };

/**
 * A command that moves the focuser: the call waits without a timeout; on a terminal a progress line
 * is fed by report_status on a second connection; Ctrl-C sends stop() on a fresh connection and
 * the command's code is stop's, as the Python tool does.
 */
async function move(ctx: CommandContext, method: string, args: unknown[] = [], kwargs?: Record<string, unknown>): Promise<number> {
  const mover = ctx.connect({ timeoutMs: 0 });
  const watcher = ctx.progress ? ctx.connect({ timeoutMs: defaultTimeoutMs(ctx.config) }) : null;
  const display =
    ctx.progress && watcher
      ? new ProgressDisplay({ ...ctx.progress, poll: async () => (await watcher.call('report_status')) as StatusReport })
      : null;
  let unlisten = (): void => {};
  try {
    await display?.prime();
    display?.begin();
    const reply = mover.call(method, args, kwargs).then(
      (value): Outcome => ({ kind: 'reply', value }),
      (error: unknown): Outcome => ({ kind: 'error', error }),
    );
    const interrupt = new Promise<Outcome>((resolve) => (unlisten = ctx.onInterrupt(() => resolve({ kind: 'interrupt' }))));
    const outcome = await Promise.race([reply, interrupt]);
    display?.stop();
    if (outcome.kind === 'error') throw outcome.error;
    if (outcome.kind === 'reply') return statusCode(method, outcome.value);
    mover.close();
    return await simple(ctx, 'stop');
  } finally {
    unlisten();
    display?.stop();
    watcher?.close();
    mover.close();
  }
}

export const set = (ctx: CommandContext, position: bigint | number): Promise<number> => move(ctx, 'set_focus', [position]);
export const offset = (ctx: CommandContext, delta: bigint | number): Promise<number> =>
  move(ctx, 'set_focus', [delta], { offset: true });

export async function home(ctx: CommandContext): Promise<number> {
  const methods = await withConnection(ctx, defaultTimeoutMs(ctx.config), (c) => c.methods());
  if (!methods.includes('home')) throw new UnsupportedCommandError('home');
  return move(ctx, 'home');
}
