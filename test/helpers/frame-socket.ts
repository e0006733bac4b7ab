import { connect, createConnection, type Socket } from 'node:net';

/** Turns received chunks into whole frames (it keeps any partial frame itself); throws on bad bytes. */
export type FrameParser<T> = (chunk: Buffer) => T[];

/** Opens a TCP connection, bounded in time. */
export function openSocket(port: number, host = '127.0.0.1', options: { localAddress?: string | undefined; timeoutMs?: number } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, options.timeoutMs ?? 5_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Writes `bytes` on a fresh connection to the Unix socket at `path` and resolves with everything
 * that came back once the peer closes it, or once `endAfterMs` has passed (then it is closed here).
 */
export function exchangeUntilClosed(path: string, bytes: Buffer, endAfterMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(path, () => socket.write(bytes));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => socket.destroy(), endAfterMs).unref();
  });
}

/**
 * A test client that sends bytes and collects whole frames from a socket, each wait bounded in
 * time: a peer that neither answers nor closes is a failure, never a hang.
 */
export class FrameSocket<T> {
  private readonly frames: T[] = [];
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  readonly closed: Promise<void>;
  /** A parse error (or, when recorded, a socket error); the next wait throws it. */
  error: Error | null = null;

  constructor(
    readonly socket: Socket,
    parse: FrameParser<T>,
    options: { recordSocketErrors?: boolean } = {},
  ) {
    socket.on('data', (d: Buffer) => {
      try {
        this.frames.push(...parse(d));
      } catch (e) {
        this.error = e as Error;
      }
      this.wake();
    });
    socket.on('error', (e) => {
      if (options.recordSocketErrors) this.error ??= e;
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      });
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame, or `'closed'` when the peer closed first; rejects after `timeoutMs` with neither. */
  async next(timeoutMs = 5_000): Promise<T | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.error) throw this.error;
      const f = this.frames.shift();
      if (f !== undefined) return f;
      if (this.closedFlag) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply frame and no close within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Frames received until the peer closes; rejects if it has not closed within `timeoutMs`. */
  async untilClosed(timeoutMs = 5_000): Promise<T[]> {
    const got: T[] = [];
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f === 'closed') return got;
      got.push(f);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
