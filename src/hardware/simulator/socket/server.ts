import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { AtlasError, DeviceDisconnectedError } from '../../errors.js';
import { FLI_FOCUSER_PRODUCT_ID, FLI_VENDOR_ID } from '../../transport.js';
import type { SimulatedAtlas } from '../simulated-atlas.js';
import {
  FrameDecoder,
  Op,
  PROTOCOL_VERSION,
  ProtocolError,
  UsbStatus,
  encodeDeviceInfo,
  encodeFrame,
  u32,
  type Frame,
} from './protocol.js';

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

interface PendingReply {
  bytes: Buffer;
  readyAt: number;
}

/**
 * Serves one `SimulatedAtlas` on a Unix socket as if it were on a USB bus (see protocol.ts): every
 * bulk OUT goes to the simulated firmware, the next bulk IN returns its reply (after the
 * simulator's reply delay). Interface 0 is claimed by one connection at a time, as the kernel
 * allows one program to hold it. An unplug closes every connection.
 */
export class AtlasSimServer {
  private readonly sim: SimulatedAtlas;
  private readonly options: AtlasSimServerOptions;
  private server: Server | null = null;
  private path: string | null = null;
  private nextId = 1;
  private claimedBy: number | null = null;
  private readonly live = new Map<number, Socket>();
  private readonly unsubscribe: () => void;

  constructor(options: AtlasSimServerOptions) {
    this.options = options;
    this.sim = options.sim;
    this.unsubscribe = this.sim.onUnplug(() => {
      for (const socket of this.live.values()) socket.destroy();
    });
  }

  /** Connections open now. */
  get connections(): number {
    return this.live.size;
  }

  /**
   * Listens on `path`. A stale socket left by a process that died is replaced; a path another
   * program is serving, or a file that is not a socket, is a `SocketPathTakenError`.
   */
  async listen(path: string): Promise<void> {
    await clearStaleSocket(path);
    const server = createServer((socket) => this.serve(socket));
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
    this.server = server;
    this.path = path;
  }

  /** Stops serving: every connection is closed (the device is gone for its programs) and the socket file removed. */
  async close(): Promise<void> {
    this.unsubscribe();
    for (const socket of this.live.values()) socket.destroy();
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

  private serve(socket: Socket): void {
    const id = this.nextId++;
    const decoder = new FrameDecoder();
    let hello = false;
    let pending: PendingReply | null = null;
    let queue: Promise<void> = Promise.resolve();
    let closed = false;
    const waiters = new Set<() => void>();

    const reply = (status: number, payload?: Uint8Array): void => {
      if (!closed) socket.write(encodeFrame(status, payload));
    };
    const fail = (why: string): void => {
      this.options.log?.(`connection ${id}: ${why}; disconnected`);
      socket.destroy();
    };
    const owns = (): boolean => {
      if (this.claimedBy === null) this.claimedBy = id; // usbfs claims an unclaimed interface on first use
      return this.claimedBy === id;
    };
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const clock = this.sim.clock;
        const wake = (): void => {
          waiters.delete(wake);
          clock.clearTimeout(timer);
          resolve();
        };
        const timer = clock.setTimeout(wake, ms);
        waiters.add(wake);
      });

    const handle = async (frame: Frame): Promise<void> => {
      const p = frame.payload;
      if (!hello) {
        if (frame.code !== Op.HELLO) return fail(`first request was op ${frame.code}, not HELLO`);
        if (p.length !== 2 || p.readUInt16BE(0) !== PROTOCOL_VERSION) return fail(`HELLO for protocol ${p.length === 2 ? p.readUInt16BE(0) : '?'}, this is ${PROTOCOL_VERSION}`);
        if (this.sim.unplugged) return reply(UsbStatus.ERROR_NO_DEVICE);
        hello = true;
        this.live.set(id, socket);
        return reply(
          UsbStatus.SUCCESS,
          encodeDeviceInfo({
            vendorId: FLI_VENDOR_ID,
            productId: FLI_FOCUSER_PRODUCT_ID,
            bcdDevice: this.sim.bcdDevice,
            manufacturer: this.options.manufacturer ?? 'Finger Lakes Instrumentation',
            product: this.options.product ?? 'FLI USB Focuser',
            serialNumber: this.sim.serialNumber,
          }),
        );
      }
      switch (frame.code) {
        case Op.HELLO:
          return fail('HELLO twice');
        case Op.CLAIM:
        case Op.RELEASE: {
          if (p.length !== 1) return fail(`${frame.code === Op.CLAIM ? 'CLAIM' : 'RELEASE'} with ${p.length} payload bytes`);
          if (p[0] !== INTERFACE) return reply(UsbStatus.ERROR_NOT_FOUND);
          if (frame.code === Op.RELEASE) {
            if (this.claimedBy !== id) return reply(UsbStatus.ERROR_NOT_FOUND);
            this.claimedBy = null;
            return reply(UsbStatus.SUCCESS);
          }
          return reply(owns() ? UsbStatus.SUCCESS : UsbStatus.ERROR_BUSY);
        }
        case Op.OUT: {
          if (p.length < 5) return fail(`OUT with ${p.length} payload bytes`);
          const endpoint = p[0]!;
          const data = p.subarray(5);
          const done = (status: number): void => {
            this.options.transcript?.({ connection: id, direction: 'OUT', endpoint, bytes: Buffer.from(data), status });
            reply(status, status === UsbStatus.SUCCESS ? u32(data.length) : undefined);
          };
          if (endpoint !== OUT_ENDPOINT) return done(UsbStatus.ERROR_NOT_FOUND);
          if (!owns()) return done(UsbStatus.ERROR_BUSY);
          let bytes: Buffer;
          try {
            bytes = this.sim.handle(data);
          } catch (e) {
            if (e instanceof DeviceDisconnectedError) return done(UsbStatus.ERROR_NO_DEVICE);
            throw e;
          }
          // A new command replaces a reply nobody read (the firmware answers the latest command).
          pending = { bytes, readyAt: this.sim.clock.now() + this.sim.replyDelayMs };
          return done(UsbStatus.SUCCESS);
        }
        case Op.IN: {
          if (p.length !== 9) return fail(`IN with ${p.length} payload bytes`);
          const endpoint = p[0]!;
          const length = p.readUInt32BE(1);
          const timeoutMs = p.readUInt32BE(5);
          const done = (status: number, bytes: Buffer = Buffer.alloc(0)): void => {
            this.options.transcript?.({ connection: id, direction: 'IN', endpoint, bytes, status });
            reply(status, status === UsbStatus.SUCCESS ? bytes : undefined);
          };
          if (endpoint !== IN_ENDPOINT) return done(UsbStatus.ERROR_NOT_FOUND);
          if (!owns()) return done(UsbStatus.ERROR_BUSY);
          const started = this.sim.clock.now();
          const deadline = timeoutMs > 0 ? started + timeoutMs : Infinity;
          // Nothing to say: the device stays silent until the time-out (0: until the handle closes).
          if (pending === null) {
            if (deadline === Infinity) await new Promise<void>((resolve) => waiters.add(resolve));
            else await sleep(timeoutMs);
            return done(closed ? UsbStatus.ERROR_NO_DEVICE : UsbStatus.ERROR_TIMEOUT);
          }
          const answer: PendingReply = pending;
          if (answer.readyAt > this.sim.clock.now()) {
            if (answer.readyAt > deadline) {
              await sleep(deadline - this.sim.clock.now());
              return done(closed ? UsbStatus.ERROR_NO_DEVICE : UsbStatus.ERROR_TIMEOUT);
            }
            await sleep(answer.readyAt - this.sim.clock.now());
            if (closed) return done(UsbStatus.ERROR_NO_DEVICE);
          }
          pending = null;
          if (answer.bytes.length > length) return done(UsbStatus.ERROR_OVERFLOW);
          return done(UsbStatus.SUCCESS, answer.bytes);
        }
        default:
          return fail(`unknown op 0x${frame.code.toString(16).padStart(2, '0')}`);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk, false);
      } catch (e) {
        return fail(e instanceof ProtocolError ? e.message : String(e));
      }
      for (const frame of frames) {
        queue = queue.then(() => (closed ? undefined : handle(frame))).catch((e: unknown) => fail(`internal error: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      this.live.delete(id);
      if (this.claimedBy === id) this.claimedBy = null;
      for (const wake of [...waiters]) wake();
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

