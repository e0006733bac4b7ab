import { createConnection, type Socket } from 'node:net';
import type { UsbBackend, UsbDeviceLike } from '../../usb/node-usb-transport.js';
import { UsbStatusError } from '../../usb/status.js';
import { TaskQueue } from '../../../common/task-queue.js';
import {
  FrameDecoder,
  Op,
  PROTOCOL_VERSION,
  ProtocolError,
  UsbStatus,
  decodeDeviceInfo,
  encodeFrame,
  isKnownStatus,
  u32,
  u8,
  type Frame,
  type SimDeviceInfo,
} from './protocol.js';

/** HELLO, CLAIM and RELEASE are answered at once by a live simulator; this bounds a stuck one. */
const CONTROL_TIMEOUT_MS = 5000;

/** One connection to the simulator: one request on the wire at a time, each with its reply. */
class SimConnection {
  private readonly decoder = new FrameDecoder();
  private readonly replies: Frame[] = [];
  private waiting: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private readonly queue = new TaskQueue();
  private gone: Error | null = null;
  private readonly closeListeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk, true)) {
          if (!isKnownStatus(f.code)) throw new ProtocolError(`status ${f.code} is no libusb status`);
          this.replies.push(f);
        }
      } catch (e) {
        this.end(new UsbStatusError(UsbStatus.ERROR_IO, `the simulator broke the protocol (${e instanceof ProtocolError ? e.message : String(e)})`));
        return;
      }
      this.deliver();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.end(new UsbStatusError(UsbStatus.ERROR_NO_DEVICE, 'the simulator closed the connection')));
  }

  static open(path: string): Promise<SimConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new SimConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.gone !== null;
  }

  onClose(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  /** Sends one request and resolves with its reply; `limitMs` (0: none) bounds the wait. */
  request(op: number, payload: Uint8Array, limitMs: number): Promise<Frame> {
    const run = (): Promise<Frame> =>
      new Promise<Frame>((resolve, reject) => {
        if (this.gone) return reject(this.gone);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const settle = (f: Frame | null, e?: Error): void => {
          if (timer !== undefined) clearTimeout(timer);
          this.waiting = null;
          if (f) resolve(f);
          else reject(e!);
        };
        this.waiting = { resolve: (f) => settle(f), reject: (e) => settle(null, e) };
        if (limitMs > 0) {
          timer = setTimeout(() => {
            // A reply that never comes leaves the stream out of step: this connection is finished.
            this.end(new UsbStatusError(UsbStatus.ERROR_TIMEOUT, 'the simulator did not answer'));
          }, limitMs);
        }
        this.socket.write(encodeFrame(op, payload));
        this.deliver();
      });
    return this.queue.run(run);
  }

  /** Closes it on purpose: not a device going away, so no close listener hears of it. */
  close(): void {
    this.closeListeners.clear();
    this.socket.destroy();
  }

  private deliver(): void {
    if (this.waiting && this.replies.length > 0) this.waiting.resolve(this.replies.shift()!);
  }

  /** The connection is finished: `error` for whatever waits, and a device gone for the listeners. */
  end(error: UsbStatusError): void {
    if (this.gone) return;
    this.gone = error;
    this.socket.destroy();
    this.waiting?.reject(error);
    for (const listener of [...this.closeListeners]) listener();
  }
}

async function hello(connection: SimConnection): Promise<SimDeviceInfo | null> {
  const version = Buffer.alloc(2);
  version.writeUInt16BE(PROTOCOL_VERSION);
  const reply = await connection.request(Op.HELLO, version, CONTROL_TIMEOUT_MS);
  if (reply.code === UsbStatus.ERROR_NO_DEVICE) return null;
  if (reply.code !== UsbStatus.SUCCESS) throw new UsbStatusError(reply.code, 'HELLO');
  try {
    return decodeDeviceInfo(reply.payload);
  } catch (e) {
    throw new UsbStatusError(UsbStatus.ERROR_IO, `HELLO: ${e instanceof Error ? e.message : String(e)}`);
  }
}

let nextHandle = 1;

/** The simulated focuser as node-usb presents a device, its transfers carried by the simulator socket. */
class SimSocketDevice implements UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly deviceVersionMinor: number;
  readonly deviceVersionSubminor: number;
  readonly serialNumber: string;
  readonly bus = '1';
  readonly ports = [1];
  readonly handle = `atlas-sim-${nextHandle++}`;
  readonly configuration = { configurationValue: 1 };
  private connection: SimConnection | null = null;

  constructor(
    private readonly path: string,
    info: SimDeviceInfo,
    private readonly onGone: (handle: string) => void,
  ) {
    this.vendorId = info.vendorId;
    this.productId = info.productId;
    this.deviceVersionMajor = info.bcdDevice >> 8;
    this.deviceVersionMinor = (info.bcdDevice >> 4) & 0xf;
    this.deviceVersionSubminor = info.bcdDevice & 0xf;
    this.serialNumber = info.serialNumber;
  }

  async open(): Promise<void> {
    if (this.connection && !this.connection.closed) return;
    let connection: SimConnection;
    try {
      connection = await SimConnection.open(this.path);
    } catch (e) {
      throw new UsbStatusError(UsbStatus.ERROR_NO_DEVICE, `cannot reach the simulator at ${this.path} (${e instanceof Error ? e.message : String(e)})`);
    }
    let info: SimDeviceInfo | null;
    try {
      info = await hello(connection);
    } catch (e) {
      connection.close();
      throw e;
    }
    if (info === null) {
      connection.close();
      throw new UsbStatusError(UsbStatus.ERROR_NO_DEVICE, 'open');
    }
    connection.onClose(() => this.onGone(this.handle));
    this.connection = connection;
  }

  async close(): Promise<void> {
    this.connection?.close();
    this.connection = null;
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    if (configurationValue !== 1) throw new UsbStatusError(UsbStatus.ERROR_NOT_FOUND, `configuration ${configurationValue}`);
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    await this.control(Op.CLAIM, interfaceNumber, 'failed to claim interface');
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    await this.control(Op.RELEASE, interfaceNumber, 'failed to release interface');
  }

  async detachKernelDriver(): Promise<void> {
    throw new UsbStatusError(UsbStatus.ERROR_NOT_FOUND, 'no kernel driver attached');
  }

  async nativeTransferOut(endpointNumber: number, timeout: number, data: Uint8Array): Promise<number> {
    const reply = await this.connected().request(Op.OUT, Buffer.concat([u8(endpointNumber & 0x7f), u32(timeout), data]), 0);
    const what = `bulk OUT 0x${(endpointNumber & 0x7f).toString(16).padStart(2, '0')}`;
    if (reply.code !== UsbStatus.SUCCESS) throw new UsbStatusError(reply.code, what);
    if (reply.payload.length !== 4) {
      const error = new UsbStatusError(UsbStatus.ERROR_IO, `${what}: an acknowledgement of ${reply.payload.length} bytes`);
      this.connected().end(error);
      throw error;
    }
    return reply.payload.readUInt32BE(0);
  }

  async nativeTransferIn(endpointNumber: number, timeout: number, length: number): Promise<Uint8Array | null> {
    const reply = await this.connected().request(Op.IN, Buffer.concat([u8(endpointNumber | 0x80), u32(length), u32(timeout)]), 0);
    if (reply.code !== UsbStatus.SUCCESS) throw new UsbStatusError(reply.code, `bulk IN 0x${(endpointNumber | 0x80).toString(16)}`);
    return reply.payload;
  }

  private connected(): SimConnection {
    if (!this.connection) throw new UsbStatusError(UsbStatus.ERROR_NO_DEVICE, 'the device is not open');
    return this.connection;
  }

  private async control(op: number, interfaceNumber: number, what: string): Promise<void> {
    const reply = await this.connected().request(op, u8(interfaceNumber), CONTROL_TIMEOUT_MS);
    if (reply.code !== UsbStatus.SUCCESS) throw new UsbStatusError(reply.code, what);
  }
}

/**
 * A USB bus holding the simulated Atlas that `atlas-sim` serves on the Unix socket `path`: what
 * focusd uses under `--simulate --simulator-socket`, so the simulator it talks to is the one libfli
 * or INDI can talk to as well. The real USB transport (`NodeUsbTransport`) runs on top of it
 * unchanged. No simulator on the socket (or an unplugged one) is a bus with no focuser on it.
 */
export function simSocketUsbBackend(path: string): UsbBackend {
  const listeners = new Set<(handle: string) => void>();
  const gone = (handle: string): void => {
    for (const listener of [...listeners]) listener(handle);
  };
  return {
    async getDevices() {
      let connection: SimConnection;
      try {
        connection = await SimConnection.open(path);
      } catch {
        return [];
      }
      try {
        const info = await hello(connection);
        return info ? [new SimSocketDevice(path, info, gone)] : [];
      } finally {
        connection.close();
      }
    },
    watchDisconnects(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
