import { connect, type Socket } from 'node:net';
import {
  Flags,
  MessageDecoder,
  MessageType,
  encodeMessage,
  pyObject,
  serpentSerializer,
  type Message,
  type PyValue,
} from '../src/pyro/index.js';

/** Why a connection did not get as far as a working Pyro4 session. */
export class ConnectionFailed extends Error {
  constructor(
    readonly kind: 'refused' | 'rejected' | 'closed' | 'timeout' | 'error',
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionFailed';
  }
}

const DECODE_LIMITS = { maxDepth: 1000, preserveFloats: false };

/** A CONNECT frame for `objectId`, as a Pyro4 4.82 proxy sends it (serpent, metadata on connect). */
export function connectFrame(objectId: string): Buffer {
  const payload = serpentSerializer.dumps(pyObject([['handshake', 'hello'], ['object', objectId]]));
  return encodeMessage({ type: MessageType.CONNECT, flags: Flags.META_ON_CONNECT, seq: 0, payload });
}

/** An INVOKE frame of `objectId.method(*args)` with sequence number `seq`. */
export function invokeFrame(objectId: string, method: string, seq: number, args: PyValue[] = []): Buffer {
  const payload = serpentSerializer.dumpsCall({ objectId, method, vargs: args, kwargs: pyObject() });
  return encodeMessage({ type: MessageType.INVOKE, seq, payload });
}

/** A CONNECTFAIL reason: serpent text, or (Pyro4's threadpool when full) plain bytes. */
function rejectReason(payload: Buffer): string {
  try {
    return String(serpentSerializer.loads(payload, DECODE_LIMITS));
  } catch {
    return payload.toString('latin1').replace(/[^\x20-\x7e]/g, '').trim();
  }
}

/**
 * A bare Pyro4 connection for load generation: pre-encoded frames out, whole frames in, no
 * serializer work on replies unless asked. One request in flight at a time, like a Pyro4 proxy.
 */
export class RawPyroConnection {
  private readonly decoder = new MessageDecoder({ maxMessageSize: 64 * 1024 * 1024 });
  private waiting: { resolve(m: Message): void; reject(e: Error): void } | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = this.decoder.push(chunk);
      } catch (e) {
        this.fail(new ConnectionFailed('error', `bad frame from daemon: ${(e as Error).message}`));
        return;
      }
      for (const m of messages) {
        const w = this.waiting;
        this.waiting = null;
        w?.resolve(m);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(new ConnectionFailed(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.message)),
    );
    socket.on('close', () => this.fail(new ConnectionFailed('closed', 'connection closed by the daemon')));
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(this.closedError);
  }

  /** Connects and completes the handshake; CONNECTFAIL becomes ConnectionFailed('rejected'). */
  static async open(host: string, port: number, objectId: string, timeoutMs = 10_000): Promise<RawPyroConnection> {
    const socket = connect({ host, port });
    const conn = new RawPyroConnection(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', (e: NodeJS.ErrnoException) =>
        reject(new ConnectionFailed(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.message)),
      );
    });
    const reply = await conn.exchange(connectFrame(objectId), timeoutMs);
    if (reply.type === MessageType.CONNECTFAIL) {
      conn.close();
      throw new ConnectionFailed('rejected', rejectReason(reply.payload));
    }
    if (reply.type !== MessageType.CONNECTOK) {
      conn.close();
      throw new ConnectionFailed('error', `handshake answered with message type ${reply.type}`);
    }
    return conn;
  }

  /** Sends one frame and resolves with the next whole message (`timeoutMs` 0: no timer). */
  exchange(frame: Buffer, timeoutMs = 10_000): Promise<Message> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (timeoutMs === 0) {
      return new Promise<Message>((resolve, reject) => {
        this.waiting = { resolve, reject };
        this.socket.write(frame);
      });
    }
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new ConnectionFailed('timeout', `no reply within ${timeoutMs} ms`));
        this.socket.destroy();
      }, timeoutMs);
      this.waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(frame);
    });
  }

  /** Decodes a RESULT message's value (serpent). */
  static value(message: Message): PyValue {
    return serpentSerializer.loads(message.payload, DECODE_LIMITS);
  }

  close(): void {
    this.socket.destroy();
  }
}
