// A minimal Pyro4 wire client for the reliability and security tests: real TCP sockets (optionally
// from a chosen local address or over IPv6), frames built with src/pyro's encoder (which the frame
// and interop tests check against Pyro4 itself), replies read with a MessageDecoder.
import type { Socket } from 'node:net';
import { FrameSocket, openSocket } from '../helpers/frame-socket.js';
import {
  Flags,
  MessageDecoder,
  MessageType,
  PyTuple,
  encodeMessage,
  isPlainObject,
  jsonLoads,
  parse,
  pyObject,
  serialize,
  toHmacKey,
  type Message,
  type PyObject,
  type PyValue,
} from '../../src/pyro/index.js';

export function helloFrame(objectId: string, options: { serializerId?: number; hmacKey?: string; payload?: Uint8Array } = {}): Buffer {
  return encodeMessage({
    type: MessageType.CONNECT,
    flags: Flags.META_ON_CONNECT,
    seq: 0,
    serializerId: options.serializerId ?? 1,
    payload: options.payload ?? serialize(pyObject([['handshake', 'hello'], ['object', objectId]])),
    hmacKey: toHmacKey(options.hmacKey),
  });
}

export function callPayload(objectId: string, method: string, vargs: PyValue[] = [], kwargs: PyObject = pyObject()): Buffer {
  return serialize(new PyTuple([objectId, method, new PyTuple(vargs), kwargs]));
}

export function invokeFrame(
  seq: number,
  objectId: string,
  method: string,
  vargs: PyValue[] = [],
  options: { kwargs?: PyObject; flags?: number; hmacKey?: string; payload?: Uint8Array; serializerId?: number } = {},
): Buffer {
  return encodeMessage({
    type: MessageType.INVOKE,
    flags: options.flags ?? 0,
    seq,
    serializerId: options.serializerId ?? 1,
    payload: options.payload ?? callPayload(objectId, method, vargs, options.kwargs),
    hmacKey: toHmacKey(options.hmacKey),
  });
}

export interface Reply {
  message: Message;
  value: PyValue;
  exception: { cls: string; text: string } | null;
}

/** Reads a RESULT/CONNECT* frame's serpent payload, and the exception it carries if flagged. */
export function readReply(message: Message): Reply {
  const value =
    message.payload.length === 0
      ? null
      : message.serializerId === 1
        ? parse(message.payload)
        : message.serializerId === 2
          ? jsonLoads(message.payload)
          : message.payload.toString('utf8');
  let exception: Reply['exception'] = null;
  if (message.flags & Flags.EXCEPTION && isPlainObject(value)) {
    const args = value['args'];
    const items = args instanceof PyTuple ? args.items : Array.isArray(args) ? args : [];
    exception = { cls: String(value['__class__']), text: items.map(String).join(' ') };
  }
  return { message, value, exception };
}

export class WireClient extends FrameSocket<Message> {
  private constructor(socket: Socket) {
    const decoder = new MessageDecoder({ maxMessageSize: 1 << 26 });
    super(socket, (chunk) => decoder.push(chunk));
  }

  static async open(port: number, host = '127.0.0.1', options: { localAddress?: string; timeoutMs?: number } = {}): Promise<WireClient> {
    return new WireClient(await openSocket(port, host, options));
  }

  /** The next frame, which must be there (not a close). */
  async reply(timeoutMs = 5_000): Promise<Reply> {
    const m = await this.next(timeoutMs);
    if (m === 'closed') throw new Error('the daemon closed the connection instead of replying');
    return readReply(m);
  }

  /** Connects and completes the handshake for `objectId`. */
  static async connected(port: number, objectId: string, options: { host?: string; localAddress?: string; hmacKey?: string } = {}): Promise<WireClient> {
    const c = await WireClient.open(port, options.host, options);
    c.send(helloFrame(objectId, options));
    const r = await c.next();
    if (r === 'closed' || r.type !== MessageType.CONNECTOK) {
      c.destroy();
      throw new Error(`handshake refused: ${r === 'closed' ? 'closed' : r.payload.toString()}`);
    }
    return c;
  }

  /** One call, answered: the reply's value or exception. */
  async call(seq: number, objectId: string, method: string, vargs: PyValue[] = [], options: Parameters<typeof invokeFrame>[4] = {}): Promise<Reply> {
    this.send(invokeFrame(seq, objectId, method, vargs, options));
    const r = await this.reply();
    if (r.message.seq !== seq) throw new Error(`reply seq ${r.message.seq} for request ${seq}`);
    return r;
  }
}
