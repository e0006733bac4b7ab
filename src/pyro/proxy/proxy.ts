import { connect, type Socket } from 'node:net';
import { TaskQueue } from '../../common/task-queue.js';
import {
  CommunicationError,
  ConnectionClosedError,
  ProtocolError,
  PyroError,
  RemotePythonError,
  SerializeError,
  TimeoutError,
} from '../errors.js';
import { remoteError } from '../exceptions.js';
import { sequenceItems } from '../python.js';
import {
  Flags,
  MessageDecoder,
  MessageType,
  checkHmac,
  decompressedPayload,
  encodeMessage,
  maybeCompress,
  toHmacKey,
  type HmacKey,
  type Message,
} from '../message/index.js';
import { PyTuple, isPlainObject, pyObject, type PyObject, type PyValue } from '../serpent/index.js';
import { jsonSerializer, serpentSerializer, type Serializer } from '../serializers.js';
import { formatURI, parseURI, type PyroURI } from './uri.js';

export interface ProxyOptions {
  /** Per-call timeout in ms; 0 (the default) waits for ever, as Pyro4's `_pyroTimeout = None`. */
  timeoutMs?: number;
  /** Connect + handshake timeout in ms; defaults to timeoutMs (0: the OS's own limit). */
  connectTimeoutMs?: number;
  hmacKey?: string | Uint8Array | undefined;
  serializer?: 'serpent' | 'json';
  /** Compress requests as Pyro4's `COMPRESSION = True` does. */
  compress?: boolean;
  /** Integral floats in results come back as `PyFloat` (so they can be told from ints). */
  preserveFloats?: boolean;
  maxMessageSize?: number;
}

export interface Metadata {
  methods: string[];
  oneway: string[];
  attrs: string[];
}

export interface BatchCall {
  method: string;
  args?: PyValue[];
  kwargs?: PyObject;
}

/** The proxy refused a method the remote object does not expose, as Pyro4's proxy does, before sending anything. */
export class UnknownMethodError extends PyroError {
  override name = 'UnknownMethodError';
  override readonly pythonClass = 'builtins.AttributeError';
}

interface Pending {
  seq: number;
  resolve(message: Message): void;
  reject(error: Error): void;
}

interface Link {
  socket: Socket;
  decoder: MessageDecoder;
  pending: Pending | null;
  metadata: Metadata;
}

/**
 * A client for one Pyro4 object, like `Pyro4.Proxy`: it connects on first use (handshake with
 * metadata), makes one call at a time, and after a dropped or timed-out connection connects
 * afresh on the next call.
 */
export class PyroProxy {
  readonly uri: PyroURI;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly hmacKey: HmacKey | undefined;
  private readonly serializer: Serializer;
  private readonly compress: boolean;
  private readonly preserveFloats: boolean;
  private readonly maxMessageSize: number;
  private link: Link | null = null;
  private connecting: Promise<Link> | null = null;
  private seq = 0;
  private readonly queue = new TaskQueue();
  private closed = false;

  constructor(uri: string | PyroURI, options: ProxyOptions = {}) {
    this.uri = typeof uri === 'string' ? parseURI(uri) : uri;
    this.timeoutMs = options.timeoutMs ?? 0;
    this.connectTimeoutMs = options.connectTimeoutMs ?? this.timeoutMs;
    this.hmacKey = toHmacKey(options.hmacKey);
    this.serializer = options.serializer === 'json' ? jsonSerializer : serpentSerializer;
    this.compress = options.compress ?? false;
    this.preserveFloats = options.preserveFloats ?? false;
    this.maxMessageSize = options.maxMessageSize ?? 256 * 1024 * 1024;
  }

  toString(): string {
    return formatURI(this.uri);
  }

  /**
   * Calls a remote method and resolves with its result; remote exceptions reject as RemotePythonError.
   * `onSent` runs once the request has been handed to the socket (a caller about to exit knows the
   * daemon will get it).
   */
  call(method: string, args: PyValue[] = [], kwargs: PyObject = pyObject(), options: { timeoutMs?: number; onSent?: () => void } = {}): Promise<PyValue> {
    return this.queue.run(async () => {
      const link = await this.connected();
      if (!link.metadata.methods.includes(method)) {
        throw new UnknownMethodError(`remote object '${formatURI(this.uri)}' has no exposed attribute or method '${method}'`);
      }
      const oneway = link.metadata.oneway.includes(method);
      return this.invoke(link, this.uri.objectId, method, args, kwargs, oneway ? Flags.ONEWAY : 0, options.timeoutMs, options.onSent);
    });
  }

  /** Sends a call flagged ONEWAY: it resolves once the request is written; no reply comes. */
  oneway(method: string, args: PyValue[] = [], kwargs: PyObject = pyObject()): Promise<void> {
    return this.queue.run(async () => {
      const link = await this.connected();
      await this.invoke(link, this.uri.objectId, method, args, kwargs, Flags.ONEWAY);
    });
  }

  /** Pyro4's batch: several calls in one message; the first remote exception is thrown. */
  batch(calls: BatchCall[], options: { timeoutMs?: number } = {}): Promise<PyValue[]> {
    return this.queue.run(async () => {
      const link = await this.connected();
      const items = calls.map((c) => new PyTuple([c.method, new PyTuple(c.args ?? []), c.kwargs ?? pyObject()]));
      const result = await this.invoke(link, this.uri.objectId, '<batch>', items, pyObject(), Flags.BATCH, options.timeoutMs);
      if (!Array.isArray(result)) throw new ProtocolError('batch result is not a list');
      for (const item of result) {
        const error = remoteError(item);
        if (error) throw error;
      }
      return result;
    });
  }

  /** The remote object's exposed methods, oneway methods and attributes (connecting if needed). */
  metadata(): Promise<Metadata> {
    return this.queue.run(async () => (await this.connected()).metadata);
  }

  /** Connects now (Pyro4's `_pyroBind`). */
  async bind(): Promise<void> {
    await this.metadata();
  }

  /** Drops the connection; the next call reconnects. */
  release(): void {
    const link = this.link;
    this.link = null;
    if (link) {
      link.pending?.reject(new ConnectionClosedError('connection released'));
      link.socket.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  private async connected(): Promise<Link> {
    if (this.closed) throw new ConnectionClosedError('proxy is closed');
    if (this.link && !this.link.socket.destroyed) return this.link;
    this.link = null;
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    this.link = await this.connecting;
    return this.link;
  }

  private async open(): Promise<Link> {
    const where = `${this.uri.host}:${this.uri.port}`;
    const socket = connect({ host: this.uri.host, port: this.uri.port, noDelay: true });
    const link: Link = {
      socket,
      decoder: new MessageDecoder({ maxMessageSize: this.maxMessageSize }),
      pending: null,
      metadata: { methods: [], oneway: [], attrs: [] },
    };
    const fail = (error: Error): void => {
      const pending = link.pending;
      link.pending = null;
      if (this.link === link) this.link = null;
      socket.destroy();
      pending?.reject(error);
    };
    socket.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = link.decoder.push(chunk);
      } catch (e) {
        return fail(e as Error);
      }
      for (const message of messages) {
        const pending = link.pending;
        if (!pending) return fail(new ProtocolError(`unexpected message type ${message.type} seq ${message.seq} from ${where}`));
        // As Pyro4's proxy: a reply to another request means the stream is out of step.
        if (message.seq !== pending.seq) return fail(new ProtocolError(`reply sequence out of sync, got ${message.seq} expected ${pending.seq}`));
        link.pending = null;
        pending.resolve(message);
      }
    });
    socket.on('error', (e) => fail(new CommunicationError(`cannot connect to ${where}: ${e.message}`)));
    socket.on('close', () => fail(new ConnectionClosedError(`connection to ${where} closed`)));

    try {
      await this.withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        }),
        this.connectTimeoutMs,
        `cannot connect to ${where}: timed out`,
      );
      const hello = pyObject([
        ['handshake', 'hello'],
        ['object', this.uri.objectId],
      ]);
      const reply = await this.exchange(link, MessageType.CONNECT, this.serializer.dumps(hello), Flags.META_ON_CONNECT, this.connectTimeoutMs);
      const data = reply.payload.length > 0 ? this.decode(reply) : '?';
      if (reply.type === MessageType.CONNECTFAIL) {
        throw new CommunicationError(`connection to ${where} rejected: ${typeof data === 'string' ? data : String(data)}`);
      }
      if (reply.type !== MessageType.CONNECTOK) throw new ProtocolError(`cannot connect to ${where}: invalid msg type ${reply.type} received`);
      if (reply.flags & Flags.META_ON_CONNECT) link.metadata = readMetadata(isPlainObject(data) ? data.meta : undefined);
      if (link.metadata.methods.length === 0 && link.metadata.attrs.length === 0) {
        throw new PyroError("remote object doesn't expose any methods or attributes");
      }
      return link;
    } catch (e) {
      socket.destroy();
      if (e instanceof PyroError) throw e;
      throw new CommunicationError(`cannot connect to ${where}: ${(e as Error).message}`);
    }
  }

  private async invoke(
    link: Link,
    objectId: string,
    method: string,
    args: PyValue[],
    kwargs: PyObject,
    flags: number,
    timeoutMs = this.timeoutMs,
    onSent?: () => void,
  ): Promise<PyValue> {
    const payload = this.serializer.dumpsCall({ objectId, method, vargs: args, kwargs });
    try {
      const reply = await this.exchange(link, MessageType.INVOKE, payload, flags, timeoutMs, onSent);
      if (flags & Flags.ONEWAY) return null;
      if (reply.type !== MessageType.RESULT) throw new ProtocolError(`invalid msg type ${reply.type} received`);
      if (reply.serializerId !== this.serializer.id) throw new SerializeError(`invalid serializer in response: ${reply.serializerId}`);
      const value = this.decode(reply);
      if (reply.flags & Flags.EXCEPTION) throw remoteError(value) ?? new ProtocolError('exception reply that is not an exception');
      return value;
    } catch (e) {
      // As Pyro4 does: after a communication problem the stream cannot be trusted, so reconnect next time.
      if (e instanceof CommunicationError || e instanceof ProtocolError || isCommunicationClass(e)) this.dropLink(link);
      throw e;
    }
  }

  /** Sends one message and (unless oneway) resolves with the reply carrying the same seq. */
  private exchange(link: Link, type: number, payload: Buffer, flags: number, timeoutMs: number, onSent?: () => void): Promise<Message> {
    this.seq = (this.seq + 1) & 0xffff;
    const seq = type === MessageType.CONNECT ? 0 : this.seq;
    let body = payload;
    if (this.compress) {
      const packed = maybeCompress(payload);
      body = packed.payload;
      if (packed.compressed) flags |= Flags.COMPRESSED;
    }
    const bytes = encodeMessage({ type, flags, seq, serializerId: this.serializer.id, payload: body, hmacKey: this.hmacKey });
    if (flags & Flags.ONEWAY) {
      return new Promise((resolve, reject) => {
        link.socket.write(bytes, (e) => (e ? reject(new ConnectionClosedError(e.message)) : resolve(emptyMessage)));
      });
    }
    const reply = new Promise<Message>((resolve, reject) => {
      link.pending = { seq, resolve, reject };
    });
    link.socket.write(bytes);
    onSent?.();
    return this.withTimeout(reply, timeoutMs, `call timed out after ${timeoutMs} ms`).then((message) => {
      if (message.seq !== seq) throw new ProtocolError(`reply sequence out of sync, got ${message.seq} expected ${seq}`);
      const problem = checkHmac(message, this.hmacKey);
      if (problem) throw problem;
      return message;
    });
  }

  private decode(message: Message): PyValue {
    const serializer = message.serializerId === jsonSerializer.id ? jsonSerializer : serpentSerializer;
    return serializer.loads(decompressedPayload(message, this.maxMessageSize), { maxDepth: 1000, preserveFloats: this.preserveFloats });
  }

  private withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
    if (!(ms > 0)) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError(message)), ms);
      promise.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private dropLink(link: Link): void {
    if (this.link === link) this.link = null;
    link.pending = null;
    link.socket.destroy();
  }
}

/** Pyro4 daemons close the connection after sending one of these (they are CommunicationErrors there). */
const COMMUNICATION_CLASSES = new Set(
  ['CommunicationError', 'ConnectionClosedError', 'TimeoutError', 'ProtocolError', 'MessageTooLargeError', 'SerializeError'].map(
    (name) => `Pyro4.errors.${name}`,
  ),
);
const isCommunicationClass = (e: unknown): boolean => e instanceof RemotePythonError && COMMUNICATION_CLASSES.has(e.pythonClass);

const emptyMessage: Message = { type: 0, flags: 0, seq: 0, serializerId: 0, annotations: new Map(), payload: Buffer.alloc(0) };

function readMetadata(meta: PyValue | undefined): Metadata {
  const names = (v: PyValue | undefined): string[] => (sequenceItems(v, true) ?? []).filter((x): x is string => typeof x === 'string');
  if (!isPlainObject(meta)) return { methods: [], oneway: [], attrs: [] };
  return { methods: names(meta.methods), oneway: names(meta.oneway), attrs: names(meta.attrs) };
}
