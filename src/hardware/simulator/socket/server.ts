import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { AtlasError, DeviceDisconnectedError } from '../../errors.js';
import { FLI_FOCUSER_PRODUCT_ID, FLI_VENDOR_ID } from '../../transport.js';
import { TaskQueue } from '../../../common/task-queue.js';
import type { SimulatedAtlas } from '../simulated-atlas.js';
import { FrameDecoder, Op, PROTOCOL_VERSION, ProtocolError, UsbStatus, encodeDeviceInfo, encodeFrame, u32, type Frame } from './protocol.js';

/** The socket path is served by another program, or is not a socket at all. */
export class SocketPathTakenError extends AtlasError {
  constructor(message: string) {
    super(message, 'SOCKET_PATH_TAKEN');
    this.name = 'SocketPathTakenError';
  }
}

/** One bulk transfer as the simulated bus carried it. */
export interface TranscriptEntry {
  /** Which connection (device handle) it came on, from 1. */
  connection: number;
  direction: 'OUT' | 'IN';
  endpoint: number;
  /** OUT: the bytes written; IN: the bytes returned (empty unless the status is success). */
  bytes: Buffer;
  /** 0, or the libusb error the transfer ended with. */
  status: number;
}

export interface AtlasSimServerOptions {
  sim: SimulatedAtlas;
  /** The iManufacturer and iProduct strings (defaults as an FLI focuser reports them). */
  manufacturer?: string;
  product?: string;
  /** Called for every bulk transfer, in order. */
  transcript?: (entry: TranscriptEntry) => void;
  /** Clients that break the protocol are reported here (and disconnected). */
  log?: (line: string) => void;
}

const OUT_ENDPOINT = 0x02;
const IN_ENDPOINT = 0x82;
const INTERFACE = 0;

/** What the connections share: the device, and which connection holds interface 0. */
interface Bus {
  readonly sim: SimulatedAtlas;
  readonly options: AtlasSimServerOptions;
  claimedBy: number | null;
  /** A connection that said HELLO to a plugged-in device: an open device handle. */
  opened(id: number, socket: Socket): void;
  closed(id: number): void;
}

/**
 * Serves one `SimulatedAtlas` on a Unix socket as if it were on a USB bus (see protocol.ts): every
 * bulk OUT goes to the simulated firmware, the next bulk IN returns its reply (after the
 * simulator's reply delay). Interface 0 is claimed by one connection at a time, as the kernel
 * allows one program to hold it. An unplug closes every open device handle.
 */
export class AtlasSimServer {
  private server: Server | null = null;
  private path: string | null = null;
  private nextId = 1;
  private readonly all = new Set<Socket>();
  private readonly handles = new Map<number, Socket>();
  private readonly bus: Bus;
  private readonly unsubscribe: () => void;

  constructor(options: AtlasSimServerOptions) {
    this.bus = {
      sim: options.sim,
      options,
      claimedBy: null,
      opened: (id, socket) => this.handles.set(id, socket),
      closed: (id) => {
        this.handles.delete(id);
        if (this.bus.claimedBy === id) this.bus.claimedBy = null;
      },
    };
    this.unsubscribe = options.sim.onUnplug(() => {
      for (const socket of this.handles.values()) socket.destroy();
    });
  }

  /** Device handles open now (connections that said HELLO). */
  get connections(): number {
    return this.handles.size;
  }

  /**
   * Listens on `path`. A stale socket left by a process that died is replaced; a path another
   * program is serving, or a file that is not a socket, is a `SocketPathTakenError`.
   */
  async listen(path: string): Promise<void> {
    await clearStaleSocket(path);
    const server = createServer((socket) => {
      this.all.add(socket);
      socket.on('close', () => this.all.delete(socket));
      Connection.serve(this.nextId++, socket, this.bus);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new SocketPathTakenError(`${path} is taken: another program is serving it`);
      throw e;
    });
    // A failed accept (out of file descriptors, say) costs that client, never the simulator.
    server.on('error', (e) => this.bus.options.log?.(`accepting a connection failed: ${e.message}`));
    this.server = server;
    this.path = path;
  }

  /** Stops serving: every connection is closed (the device is gone for its programs) and the socket file removed. */
  async close(): Promise<void> {
    this.unsubscribe();
    for (const socket of this.all) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.path !== null) {
      try {
        if (lstatSync(this.path).isSocket()) unlinkSync(this.path);
      } catch {
        // already gone
      }
      this.path = null;
    }
  }
}

interface PendingReply {
  bytes: Buffer;
  readyAt: number;
}

/** One client connection: its requests are answered strictly in order, one at a time. */
class Connection {
  private readonly decoder = new FrameDecoder();
  private hello = false;
  private closed = false;
  private pending: PendingReply | null = null;
  private readonly queue = new TaskQueue();
  private readonly sleepers = new Set<() => void>();

  static serve(id: number, socket: Socket, bus: Bus): void {
    void new Connection(id, socket, bus);
  }

  private constructor(
    private readonly id: number,
    private readonly socket: Socket,
    private readonly bus: Bus,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.bus.closed(this.id);
      for (const wake of [...this.sleepers]) wake();
    });
  }

  private get sim(): SimulatedAtlas {
    return this.bus.sim;
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk, false);
    } catch (e) {
      return this.fail(e instanceof ProtocolError ? e.message : String(e));
    }
    for (const frame of frames) {
      this.queue
        .run(() => (this.closed ? undefined : this.handle(frame)))
        .catch((e: unknown) => this.fail(`internal error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  /** A client that breaks the protocol is cut off at once: nothing it sent after is acted on. */
  private fail(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.options.log?.(`connection ${this.id}: ${why}; disconnected`);
    this.socket.destroy();
  }

  private reply(status: number, payload?: Uint8Array): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(encodeFrame(status, payload));
  }

  private record(direction: 'OUT' | 'IN', endpoint: number, bytes: Buffer, status: number): void {
    this.bus.options.transcript?.({ connection: this.id, direction, endpoint, bytes, status });
  }

  /** usbfs claims an unclaimed interface on first use; another program's claim is LIBUSB_ERROR_BUSY. */
  private owns(): boolean {
    if (this.bus.claimedBy === null) this.bus.claimedBy = this.id;
    return this.bus.claimedBy === this.id;
  }

  private async handle(frame: Frame): Promise<void> {
    if (!this.hello) return this.onHello(frame);
    switch (frame.code) {
      case Op.HELLO:
        return this.fail('HELLO twice');
      case Op.CLAIM:
      case Op.RELEASE:
        return this.onInterface(frame);
      case Op.OUT:
        return this.onOut(frame.payload);
      case Op.IN:
        return this.onIn(frame.payload);
      default:
        return this.fail(`unknown op 0x${frame.code.toString(16).padStart(2, '0')}`);
    }
  }

  private onHello(frame: Frame): void {
    const p = frame.payload;
    if (frame.code !== Op.HELLO) return this.fail(`first request was op ${frame.code}, not HELLO`);
    if (p.length !== 2 || p.readUInt16BE(0) !== PROTOCOL_VERSION) return this.fail(`HELLO for protocol ${p.length === 2 ? p.readUInt16BE(0) : '?'}, this is ${PROTOCOL_VERSION}`);
    if (this.sim.unplugged) return this.reply(UsbStatus.ERROR_NO_DEVICE);
    this.hello = true;
    this.bus.opened(this.id, this.socket);
    const options = this.bus.options;
    this.reply(
      UsbStatus.SUCCESS,
      encodeDeviceInfo({
        vendorId: FLI_VENDOR_ID,
        productId: FLI_FOCUSER_PRODUCT_ID,
        bcdDevice: this.sim.bcdDevice,
        manufacturer: options.manufacturer ?? 'Finger Lakes Instrumentation',
        product: options.product ?? 'FLI USB Focuser',
        serialNumber: this.sim.serialNumber,
      }),
    );
  }

  private onInterface(frame: Frame): void {
    const claim = frame.code === Op.CLAIM;
    if (frame.payload.length !== 1) return this.fail(`${claim ? 'CLAIM' : 'RELEASE'} with ${frame.payload.length} payload bytes`);
    if (frame.payload[0] !== INTERFACE) return this.reply(UsbStatus.ERROR_NOT_FOUND);
    if (claim) return this.reply(this.owns() ? UsbStatus.SUCCESS : UsbStatus.ERROR_BUSY);
    if (this.bus.claimedBy !== this.id) return this.reply(UsbStatus.ERROR_NOT_FOUND);
    this.bus.claimedBy = null;
    this.reply(UsbStatus.SUCCESS);
  }

  private onOut(p: Buffer): void {
    if (p.length < 5) return this.fail(`OUT with ${p.length} payload bytes`);
    const endpoint = p[0]!;
    const data = Buffer.from(p.subarray(5));
    const done = (status: number): void => {
      this.record('OUT', endpoint, data, status);
      this.reply(status, status === UsbStatus.SUCCESS ? u32(data.length) : undefined);
    };
    if (endpoint !== OUT_ENDPOINT) return done(UsbStatus.ERROR_NOT_FOUND);
    if (!this.owns()) return done(UsbStatus.ERROR_BUSY);
    let bytes: Buffer;
    try {
      bytes = this.sim.handle(data);
    } catch (e) {
      if (e instanceof DeviceDisconnectedError) return done(UsbStatus.ERROR_NO_DEVICE);
      throw e;
    }
    // A new command replaces a reply nobody read (the firmware answers the latest command).
    this.pending = { bytes, readyAt: this.sim.clock.now() + this.sim.replyDelayMs };
    done(UsbStatus.SUCCESS);
  }

  private async onIn(p: Buffer): Promise<void> {
    if (p.length !== 9) return this.fail(`IN with ${p.length} payload bytes`);
    const endpoint = p[0]!;
    const length = p.readUInt32BE(1);
    const timeoutMs = p.readUInt32BE(5);
    const done = (status: number, bytes: Buffer = Buffer.alloc(0)): void => {
      this.record('IN', endpoint, bytes, status);
      this.reply(status, status === UsbStatus.SUCCESS ? bytes : undefined);
    };
    if (endpoint !== IN_ENDPOINT) return done(UsbStatus.ERROR_NOT_FOUND);
    if (!this.owns()) return done(UsbStatus.ERROR_BUSY);
    const deadline = timeoutMs > 0 ? this.sim.clock.now() + timeoutMs : Infinity;
    const gone = (): void => done(this.closed ? UsbStatus.ERROR_NO_DEVICE : UsbStatus.ERROR_TIMEOUT);
    const answer = this.pending;
    // Nothing to say: the device stays silent until the time-out (0: until the handle closes).
    if (answer === null) return this.sleep(deadline - this.sim.clock.now()).then(gone);
    if (answer.readyAt > this.sim.clock.now()) {
      if (answer.readyAt > deadline) return this.sleep(deadline - this.sim.clock.now()).then(gone);
      await this.sleep(answer.readyAt - this.sim.clock.now());
      if (this.closed) return done(UsbStatus.ERROR_NO_DEVICE);
    }
    this.pending = null;
    if (answer.bytes.length > length) return done(UsbStatus.ERROR_OVERFLOW);
    done(UsbStatus.SUCCESS, answer.bytes);
  }

  /** Waits `ms` on the simulator's clock (Infinity: until the connection closes); a close wakes it early. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.sim.clock;
      let timer: unknown = null;
      const wake = (): void => {
        this.sleepers.delete(wake);
        if (timer !== null) clock.clearTimeout(timer);
        resolve();
      };
      this.sleepers.add(wake);
      if (this.closed) return wake();
      if (Number.isFinite(ms)) timer = clock.setTimeout(wake, Math.max(0, ms));
    });
  }
}

/** Removes a socket file nobody is listening on; refuses a live one or a file that is not a socket. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new SocketPathTakenError(`${path} exists and is not a socket: choose another path`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new SocketPathTakenError(`${path} is taken: another program is serving it`);
  unlinkSync(path);
}
