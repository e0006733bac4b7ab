import type { FocusdConfig } from '../../config/index.js';
import { ExitCode } from './codes.js';
import { ProgressDisplay } from './progress.js';
import { jsonText, type PyValue } from '../../pyro/index.js';
import { FocuserStatus, formatStatus, type StatusReport } from './status-format.js';
import type { Style } from './style.js';

/** One connection to the daemon (a Pyro proxy); see client.ts. */
export interface FocusdConnection {
  /** `onSent` runs once the request is on its way (it will reach the daemon even if focus exits). */
  call(method: string, args?: unknown[], kwargs?: Record<string, unknown>, options?: { onSent?: () => void }): Promise<unknown>;
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
  /** Routes each Ctrl-C while a move waits to `handler` (counting from 1); returns the function that stops it. */
  onInterrupt(handler: (count: number) => void): () => void;
  /** Writes one line for the person at the terminal (stderr). */
  notice(line: string): void;
}

/**
 * A third Ctrl-C gave up waiting for stop() to be confirmed. `stopSent`: the request reached the
 * socket, so the daemon will halt the motor even though focus exits.
 */
export class StopAbandonedError extends Error {
  readonly code = 'STOP_ABANDONED';
  constructor(readonly stopSent: boolean) {
    super(
      stopSent
        ? 'error: terminated by user before focusd confirmed the stop; the focuser should be halting: check with focus status (focus stop stops it)'
        : 'error: terminated by user before stop() could be sent: the focuser may still be moving: stop it with focus stop',
    );
    this.name = 'StopAbandonedError';
  }
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
  ctx.print(empty ? '{}' : jsonText(data as PyValue, { ensureAscii: true }));
  return ExitCode.Succeeded;
}

/** `initialize()` may take as long as a move, so it gets the move timeout plus 5 s (as upstream). */
export const init = (ctx: CommandContext): Promise<number> => simple(ctx, 'initialize', (ctx.config.moveTimeout + 5) * 1000);
export const kill = (ctx: CommandContext): Promise<number> => simple(ctx, 'shutdown');
export const stop = (ctx: CommandContext): Promise<number> => simple(ctx, 'stop');

type Outcome = { kind: 'reply'; value: unknown } | { kind: 'error'; error: unknown } | { kind: 'interrupt' };

const settled = <T>(promise: Promise<T>): Promise<Outcome> =>
  promise.then(
    (value): Outcome => ({ kind: 'reply', value }),
    (error: unknown): Outcome => ({ kind: 'error', error }),
  );

/** At most this many stop() calls after a Ctrl-C, should a move reach the daemon after the first stop. */
const STOP_ATTEMPTS = 3;

/**
 * stop(), then report_status on the same connection: a set_focus written just before the Ctrl-C can
 * reach the daemon after the stop (two connections), so stop again while the focuser still moves.
 */
async function stopUntilStill(stopper: FocusdConnection, onSent: () => void): Promise<number> {
  let code = statusCode('stop', await stopper.call('stop', [], undefined, { onSent }));
  for (let attempt = 1; attempt < STOP_ATTEMPTS && code === ExitCode.Succeeded; attempt++) {
    const report = (await stopper.call('report_status')) as StatusReport | null;
    if (report?.status !== FocuserStatus.Moving) break;
    code = statusCode('stop', await stopper.call('stop'));
  }
  return code;
}

/**
 * A command that moves the focuser: the call waits without a timeout; on a terminal a progress line
 * is fed by report_status on a second connection. Ctrl-C sends stop() at once on a connection
 * opened before the move (so no handshake stands between the key and the motor), and the command's
 * code is stop's, as the Python tool does; a second Ctrl-C says it waits for the stop; a third gives
 * up waiting and says whether the stop had been sent.
 */
async function move(ctx: CommandContext, method: string, args: unknown[] = [], kwargs?: Record<string, unknown>): Promise<number> {
  const stopper = ctx.connect({ timeoutMs: defaultTimeoutMs(ctx.config) });
  const mover = ctx.connect({ timeoutMs: 0 });
  const watcher = ctx.progress ? ctx.connect({ timeoutMs: defaultTimeoutMs(ctx.config) }) : null;
  const display =
    ctx.progress && watcher
      ? new ProgressDisplay({ ...ctx.progress, poll: async () => (await watcher.call('report_status')) as StatusReport })
      : null;
  let unlisten = (): void => {};
  try {
    const methods = await stopper.methods();
    if (!methods.includes(method)) throw new UnsupportedCommandError(method);
    await mover.methods();
    await display?.prime();
    display?.begin();

    let stopSent = false;
    let interrupted: (outcome: Outcome) => void = () => undefined;
    let abandoned: () => void = () => undefined;
    const interrupt = new Promise<Outcome>((resolve) => (interrupted = resolve));
    const giveUp = new Promise<never>((_, reject) => (abandoned = () => reject(new StopAbandonedError(stopSent))));
    giveUp.catch(() => undefined);
    unlisten = ctx.onInterrupt((count) => {
      if (count === 1) {
        interrupted({ kind: 'interrupt' });
        return;
      }
      display?.stop();
      if (count === 2) ctx.notice('focus: waiting for the focuser to stop (Ctrl-C again to exit without waiting)');
      else abandoned();
    });
    // Sent after the handler is in place: from here on a Ctrl-C stops what this call starts.
    const outcome = await Promise.race([settled(mover.call(method, args, kwargs)), interrupt]);
    if (outcome.kind === 'interrupt') {
      display?.stop();
      return await Promise.race([stopUntilStill(stopper, () => (stopSent = true)), giveUp]);
    }
    display?.stop();
    if (outcome.kind === 'error') throw outcome.error;
    return statusCode(method, outcome.value);
  } finally {
    unlisten();
    display?.stop();
    watcher?.close();
    mover.close();
    stopper.close();
  }
}

export const set = (ctx: CommandContext, position: bigint | number): Promise<number> => move(ctx, 'set_focus', [position]);
export const offset = (ctx: CommandContext, delta: bigint | number): Promise<number> =>
  move(ctx, 'set_focus', [delta], { offset: true });

export const home = (ctx: CommandContext): Promise<number> => move(ctx, 'home');

/**
 * The daemon's own account of the last failure (report_status's `last_error`, which our focusd keeps
 * until a command succeeds), or null when it has none or cannot be asked (the Python focusd).
 */
export async function lastError(ctx: CommandContext): Promise<string | null> {
  try {
    const reason = (await report(ctx))?.last_error;
    return typeof reason === 'string' && reason !== '' ? reason : null;
  } catch {
    return null;
  }
}
