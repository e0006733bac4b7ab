import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { PyroError, ProtocolError, PythonError, SecurityError } from '../errors.js';
import { exceptionDict, exceptionInfo, exceptionWrapperDict } from '../exceptions.js';
import {
  Flags,
  MessageDecoder,
  MessageType,
  checkHmac,
  decompressedPayload,
  encodeMessage,
  maybeCompress,
  type HmacKey,
  type Message,
} from '../message/index.js';
import { isPlainObject, pyObject, type PyObject, type PyValue } from '../serpent/index.js';
import { replySerializerFor, serializerFor, serpentSerializer, type Serializer } from '../serializers.js';
import { endSocket, normaliseAddress } from '../../net/index.js';
import { bindArguments } from './binding.js';
import { checkedCall, sequenceItems } from '../python.js';
import type { DaemonLimits } from './limits.js';
import type { PyroLogger } from './logger.js';
import type { CallContext, Registration } from './objects.js';

export interface ConnectionHost {
  readonly limits: DaemonLimits;
  readonly hmacKey: HmacKey | undefined;
  readonly logger: PyroLogger;
  readonly preserveFloats: boolean;
  lookup(objectId: string): Registration | undefined;
}

const enum Phase {
  Handshake,
  Ready,
  Closed,
}

/**
 * A fresh correlation id for a request that brought none (Pyro4 makes a uuid4 then). Drawn from a
 * pool: rockit clients never send CORR, and a randomBytes call per request cost ~9% of daemon CPU.
 */
let corrPool = Buffer.alloc(0);
function freshCorrelationId(): Buffer {
  if (corrPool.length < 16) corrPool = randomBytes(16 * 1024);
  const id = Buffer.from(corrPool.subarray(0, 16));
  corrPool = corrPool.subarray(16);
  id[6] = ((id[6] as number) & 0x0f) | 0x40;
  id[8] = ((id[8] as number) & 0x3f) | 0x80;
  return id;
}

const uuidText = (b: Buffer): string | undefined => {
  if (b.length !== 16) return undefined;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/**
 * One client connection: handshake first, then requests answered one at a time in arrival order
 * (as Pyro4 does per connection), each call awaited without blocking any other connection.
 */
export class Connection {
  readonly clientHost: string;
  readonly clientPort: number;
  private readonly decoder: MessageDecoder;
  private readonly queue: Message[] = [];
  private readonly abort = new AbortController();
  private phase = Phase.Handshake;
  private busy = false;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly host: ConnectionHost,
    /** Set when the daemon is full: the handshake is answered with CONNECTFAIL and this reason. */
    private readonly deniedReason: string | null,
  ) {
    this.clientHost = normaliseAddress(socket.remoteAddress);
    this.clientPort = socket.remotePort ?? 0;
    this.decoder = new MessageDecoder({ maxMessageSize: host.limits.maxMessageSize });
    socket.setNoDelay(true);
    if (host.limits.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => this.drop('no handshake within the handshake timeout'), host.limits.handshakeTimeoutMs);
    }
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (e) => this.log('debug', { err: e.message }, 'socket error'));
    this.log('debug', {}, 'client connected');
    socket.on('close', () => this.finish());
  }

  /** Closes the connection at once (daemon shutdown). */
  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private received(chunk: Buffer): void {
    if (this.phase === Phase.Closed) return;
    let messages: Message[];
    try {
      messages = this.decoder.push(chunk);
    } catch (e) {
      this.framingError(e as ProtocolError);
      return;
    }
    this.armIdleTimer();
    for (const message of messages) this.queue.push(message);
    if (this.queue.length > this.host.limits.maxPipelined + 1) {
      this.drop(`more than ${this.host.limits.maxPipelined} requests queued on one connection`);
      return;
    }
    void this.pump();
  }

  private armIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.decoder.pending > 0 && this.host.limits.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(
        () => this.drop(`partial message (${this.decoder.pending} bytes) stalled for ${this.host.limits.idleTimeoutMs} ms`),
        this.host.limits.idleTimeoutMs,
      );
    }
  }

  /** Bytes that are not a Pyro4 stream: there is no seq to answer, so the handshake gets CONNECTFAIL, a request stream a close. */
  private framingError(error: ProtocolError): void {
    this.log('warn', { err: error.message }, 'protocol error from client, closing connection');
    if (this.phase === Phase.Handshake) {
      this.sendFrame({ type: MessageType.CONNECTFAIL, seq: 0, serializer: serpentSerializer, value: error.message, flags: 0 });
      this.endGracefully();
    } else {
      this.drop(error.message);
    }
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && this.phase !== Phase.Closed) {
        const message = this.queue.shift() as Message;
        if (this.phase === Phase.Handshake) this.handshake(message);
        else await this.request(message);
        await this.drained();
      }
    } catch (e) {
      // Only a bug can get here; it costs this client its connection, never the daemon.
      this.log('error', { err: (e as Error).stack ?? String(e) }, 'internal error while serving a request');
      this.drop('internal error');
    } finally {
      this.busy = false;
    }
  }

  /**
   * A client that sends requests but does not read the replies stops being read from (and so
   * answered) until it catches up: its unread replies never grow past the socket's buffer.
   */
  private async drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.phase === Phase.Closed) return;
    this.socket.pause();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    if ((this.phase as Phase) !== Phase.Closed) this.socket.resume();
  }

  private handshake(message: Message): void {
    const corr = message.annotations.get('CORR') ?? freshCorrelationId();
    const replySerializer = replySerializerFor(message.serializerId);
    const compress = (message.flags & Flags.COMPRESSED) !== 0;
    try {
      if (message.type !== MessageType.CONNECT) throw new ProtocolError(`invalid msg type ${message.type} received`);
      const hmacProblem = checkHmac(message, this.host.hmacKey);
      if (hmacProblem) throw hmacProblem;
      if (this.deniedReason) throw new PyroError(this.deniedReason);
      const serializer = serializerFor(message.serializerId);
      const data = serializer.loads(decompressedPayload(message, this.host.limits.maxMessageSize), this.decodeLimits());
      if (!isPlainObject(data) || !('handshake' in data)) throw new ProtocolError('invalid handshake data');
      let response: PyValue = 'hello';
      let flags = 0;
      if (message.flags & Flags.META_ON_CONNECT) {
        const objectId = data.object;
        const registration = typeof objectId === 'string' ? this.host.lookup(objectId) : undefined;
        if (!registration) throw new PythonError('Pyro4.errors.DaemonError', ['unknown object']);
        response = pyObject([
          ['handshake', 'hello'],
          ['meta', registration.metadata(true)],
        ]);
        flags = Flags.META_ON_CONNECT;
      }
      this.sendFrame({ type: MessageType.CONNECTOK, seq: message.seq, serializer, value: response, flags, corr, compress });
      this.phase = Phase.Ready;
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.handshakeTimer = null;
    } catch (e) {
      const reason = e instanceof PythonError ? String(e.args[0] ?? e.pythonClass) : (e as Error).message;
      this.log('info', { reason }, 'handshake refused');
      this.sendFrame({ type: MessageType.CONNECTFAIL, seq: message.seq, serializer: replySerializer, value: reason, flags: 0, corr });
      this.endGracefully();
    }
  }

  private async request(message: Message): Promise<void> {
    const corr = message.annotations.get('CORR') ?? freshCorrelationId();
    if (message.type === MessageType.PING) {
      const hmacProblem = checkHmac(message, this.host.hmacKey);
      if (hmacProblem) return this.drop(hmacProblem.message);
      this.write(encodeMessage({ type: MessageType.PING, seq: message.seq, serializerId: message.serializerId, payload: Buffer.from('pong'), annotations: new Map([['CORR', corr]]), hmacKey: this.host.hmacKey }));
      return;
    }
    if (message.type !== MessageType.INVOKE) return this.drop(`invalid msg type ${message.type} received`);

    const oneway = (message.flags & Flags.ONEWAY) !== 0;
    const compress = (message.flags & Flags.COMPRESSED) !== 0;
    const replySerializer = replySerializerFor(message.serializerId);
    let where = 'request';
    try {
      const hmacProblem = checkHmac(message, this.host.hmacKey);
      if (hmacProblem) throw hmacProblem;
      const serializer = serializerFor(message.serializerId);
      const call = serializer.loadsCall(decompressedPayload(message, this.host.limits.maxMessageSize), this.decodeLimits());
      where = `${call.objectId}.${call.method}`;
      const registration = this.host.lookup(call.objectId);
      if (!registration) throw new PythonError('Pyro4.errors.DaemonError', ['unknown object']);
      const ctx: CallContext = {
        clientHost: this.clientHost,
        clientPort: this.clientPort,
        connectionId: this.id,
        signal: this.abort.signal,
        ...(message.annotations.get('CORR')?.length === 16 ? { correlationId: uuidText(corr) as string } : {}),
      };
      let result: PyValue;
      let flags = 0;
      if (message.flags & Flags.BATCH) {
        const run = this.runBatch(registration, call.vargs, ctx);
        if (oneway) return void run.catch(() => undefined);
        result = await run;
        flags = Flags.BATCH;
      } else {
        const run = this.invoke(registration, call.method, call.vargs, call.kwargs, ctx);
        if (oneway) {
          run.catch((e: unknown) => this.log('warn', { method: where, err: String(e) }, 'oneway call failed'));
          return;
        }
        result = await run;
      }
      if (this.phase === Phase.Closed) return;
      this.sendFrame({ type: MessageType.RESULT, seq: message.seq, serializer, value: result, flags, corr, compress });
    } catch (e) {
      if (this.phase === Phase.Closed) return;
      if (!(e instanceof PythonError)) this.log(e instanceof PyroError ? 'info' : 'error', { method: where, err: String(e) }, 'call failed');
      if (!oneway) {
        this.sendFrame({
          type: MessageType.RESULT,
          seq: message.seq,
          serializer: replySerializer,
          value: exceptionDict(exceptionInfo(e, where)),
          flags: Flags.EXCEPTION,
          corr,
          compress,
        });
      }
      if (e instanceof SecurityError) this.endGracefully();
    }
  }

  private async invoke(registration: Registration, method: string, vargs: PyValue[], kwargs: PyObject, ctx: CallContext): Promise<PyValue> {
    if (method === '__getattr__' || method === '__setattr__') {
      const name = typeof vargs[0] === 'string' ? vargs[0] : '?';
      throw new PythonError('builtins.AttributeError', [`attempt to access unexposed or unknown remote attribute '${name}'`]);
    }
    const spec = registration.method(method);
    const args = bindArguments(`${registration.className}.${method}`, spec.params ?? [], vargs, kwargs);
    return await spec.call(args, ctx);
  }

  /** Pyro4's batch: results in order; the first exception ends the batch as its last item. */
  private async runBatch(registration: Registration, calls: PyValue[], ctx: CallContext): Promise<PyValue[]> {
    const results: PyValue[] = [];
    for (const item of calls) {
      const parts = sequenceItems(item);
      const name = typeof parts?.[0] === 'string' ? parts[0] : '<batch>';
      try {
        if (!parts || parts.length !== 3) throw new ProtocolError('invalid batch item: expected (method name, vargs, kwargs)');
        const call = checkedCall('batch item', parts[0], parts[1], parts[2]);
        results.push(await this.invoke(registration, call.method, call.vargs, call.kwargs, ctx));
      } catch (e) {
        results.push(exceptionWrapperDict(exceptionInfo(e, `${registration.objectId}.${name}`)));
        break;
      }
    }
    return results;
  }

  private decodeLimits(): { maxDepth: number; preserveFloats: boolean } {
    return { maxDepth: this.host.limits.maxDepth, preserveFloats: this.host.preserveFloats };
  }

  private sendFrame(frame: {
    type: number;
    seq: number;
    serializer: Serializer;
    value: PyValue;
    flags: number;
    corr?: Buffer;
    compress?: boolean;
  }): void {
    let payload: Buffer;
    let flags = frame.flags;
    try {
      payload = frame.serializer.dumps(frame.value);
    } catch (e) {
      // As Pyro4 does: a result that cannot be serialized becomes an exception, and an exception
      // that cannot be serialized becomes a PyroError saying so.
      this.log('warn', { err: (e as Error).message }, 'reply could not be serialized');
      const info =
        frame.flags & Flags.EXCEPTION
          ? { pythonClass: 'Pyro4.errors.PyroError', args: [`Error serializing exception: ${(e as Error).message}`], traceback: [] }
          : exceptionInfo(e, 'serializing the result');
      payload = frame.serializer.dumps(exceptionDict(info));
      flags |= Flags.EXCEPTION;
    }
    if (frame.compress) {
      const packed = maybeCompress(payload);
      payload = packed.payload;
      if (packed.compressed) flags |= Flags.COMPRESSED;
    }
    this.write(
      encodeMessage({
        type: frame.type,
        seq: frame.seq,
        flags,
        serializerId: frame.serializer.id,
        payload,
        annotations: frame.corr ? new Map([['CORR', frame.corr]]) : undefined,
        hmacKey: this.host.hmacKey,
      }),
    );
  }

  private write(bytes: Buffer): void {
    if (this.phase !== Phase.Closed && !this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends what is queued, then closes. */
  private endGracefully(): void {
    if (this.phase === Phase.Closed) return;
    this.phase = Phase.Closed;
    endSocket(this.socket);
    this.finish();
  }

  private drop(reason: string): void {
    if (this.phase === Phase.Closed) return;
    this.log('warn', { reason }, 'dropping connection');
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.phase !== Phase.Closed) this.phase = Phase.Closed;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.handshakeTimer = this.idleTimer = null;
    this.queue.length = 0;
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.log('debug', {}, 'client disconnected');
    }
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', fields: object, message: string): void {
    this.host.logger[level]({ client: `${this.clientHost}:${this.clientPort}`, connection: this.id, ...fields }, message);
  }
}
