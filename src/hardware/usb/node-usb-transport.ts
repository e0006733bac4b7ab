import {
  AtlasError,
  DeviceAccessError,
  DeviceClosedError,
  DeviceDisconnectedError,
  DeviceNotFoundError,
  TransferTimeoutError,
  UsbTransferError,
} from '../errors.js';
import {
  DEFAULT_TRANSFER_TIMEOUT_MS,
  FLI_BULK_ENDPOINT,
  FLI_FOCUSER_PRODUCT_ID,
  FLI_VENDOR_ID,
  type UsbIdentity,
  type UsbTransport,
} from '../transport.js';
import { UsbStatus, UsbStatusError } from './status.js';

/** The part of a node-usb 3 (`usb` package) device this transport uses. */
export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly deviceVersionMinor: number;
  readonly deviceVersionSubminor: number;
  readonly serialNumber: string | null;
  /** sysfs-style location, e.g. `1-1.4`. */
  readonly bus: string;
  readonly ports: number[];
  readonly handle: string;
  readonly configuration?: { configurationValue: number } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  detachKernelDriver(interfaceNumber: number): Promise<void>;
  nativeTransferOut(endpointNumber: number, timeout: number, data: Uint8Array): Promise<number>;
  nativeTransferIn(endpointNumber: number, timeout: number, length: number): Promise<Uint8Array | null>;
}

/** Device listing and unplug events: the `usb` package's WebUSB object, or a stand-in in tests. */
export interface UsbBackend {
  getDevices(): Promise<UsbDeviceLike[]>;
  /** Calls `listener` with the handle of each device that goes away; returns an unsubscribe function. */
  watchDisconnects(listener: (handle: string) => void): () => void;
}

interface UsbModuleLike {
  usb: {
    getDevices(): Promise<UsbDeviceLike[]>;
    addEventListener(type: 'disconnect', listener: (event: Event & { device?: UsbDeviceLike }) => void): void;
    removeEventListener(type: 'disconnect', listener: (event: Event & { device?: UsbDeviceLike }) => void): void;
  };
}

/** Loads the `usb` package only when real hardware is asked for, so a machine without it still runs. */
export async function nodeUsbBackend(): Promise<UsbBackend> {
  let mod: UsbModuleLike;
  try {
    mod = (await import('usb')) as unknown as UsbModuleLike;
  } catch (e) {
    throw new DeviceNotFoundError(`no FLI focuser found: USB support (the usb package) could not be loaded: ${messageOf(e)}`, { cause: e });
  }
  const webusb = mod.usb;
  return {
    getDevices: () => webusb.getDevices(),
    watchDisconnects(listener) {
      const handler = (event: Event & { device?: UsbDeviceLike }): void => {
        if (event.device) listener(event.device.handle);
      };
      webusb.addEventListener('disconnect', handler);
      return () => webusb.removeEventListener('disconnect', handler);
    },
  };
}

export interface FindFocuserOptions {
  /** Open the focuser with this USB serial number (compared without regard to case, as libfli does). */
  serialNumber?: string;
  /** Where devices come from (default: the `usb` package). */
  backend?: UsbBackend;
}

/** The FLI focusers (USB 0f18:0006) on the bus; no bus at all, or none readable, is a `DeviceNotFoundError`. */
export async function usbFocusers(backend: UsbBackend): Promise<UsbDeviceLike[]> {
  let devices: UsbDeviceLike[];
  try {
    devices = await backend.getDevices();
  } catch (e) {
    const why = messageOf(e);
    if (/not found|no such file|ENOENT|errno 2\b/i.test(why)) throw new DeviceNotFoundError(`no FLI focuser found: this machine has no USB bus (${why})`, { cause: e });
    throw new DeviceNotFoundError(`no FLI focuser found: cannot list USB devices (${why})`, { cause: e });
  }
  return devices.filter((d) => d.vendorId === FLI_VENDOR_ID && d.productId === FLI_FOCUSER_PRODUCT_ID);
}

/**
 * Finds an FLI focuser (USB 0f18:0006): the first one, or the one with `serialNumber`. No USB bus,
 * no focuser, or no focuser with that serial number is a `DeviceNotFoundError` saying which.
 * The transport is returned unopened.
 */
export async function findUsbFocuser(options: FindFocuserOptions = {}): Promise<NodeUsbTransport> {
  const backend = options.backend ?? (await nodeUsbBackend());
  const focusers = await usbFocusers(backend);
  if (focusers.length === 0) throw new DeviceNotFoundError('no FLI focuser (USB 0f18:0006) is connected');
  const wanted = options.serialNumber;
  if (wanted === undefined) return new NodeUsbTransport(focusers[0]!, backend);
  const match = focusers.find((d) => (d.serialNumber ?? '').toLowerCase() === wanted.toLowerCase());
  if (!match) {
    const seen = focusers.map((d) => d.serialNumber || '(no serial number)').join(', ');
    throw new DeviceNotFoundError(`no FLI focuser with serial number "${wanted}" (connected: ${seen})`);
  }
  return new NodeUsbTransport(match, backend);
}

type State = 'new' | 'open' | 'disconnected' | 'closed';

/**
 * An FLI focuser on the `usb` package: configuration 1, interface 0 (a bound kernel driver is
 * detached), bulk EP 0x02 OUT / 0x82 IN. Unplugging fails a waiting exchange at once.
 */
export class NodeUsbTransport implements UsbTransport {
  readonly identity: UsbIdentity;
  private state: State = 'new';
  private claimed = false;
  private readonly waiting = new Set<(error: Error) => void>();
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly device: UsbDeviceLike,
    private readonly backend: UsbBackend,
  ) {
    const busNumber = Number.parseInt(device.bus, 10);
    this.identity = {
      serialNumber: device.serialNumber ?? '',
      bcdDevice: (device.deviceVersionMajor << 8) | (device.deviceVersionMinor << 4) | device.deviceVersionSubminor,
      ...(Number.isFinite(busNumber) ? { busNumber } : {}),
      portNumbers: [...device.ports],
    };
  }

  /** libfli's device name: `FLI-` and the port numbers in hex. */
  get name(): string {
    return 'FLI-' + this.device.ports.map((p) => p.toString(16).toUpperCase().padStart(2, '0')).join('');
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state !== 'new') throw new DeviceClosedError('this transport was closed; find the focuser again');
    const where = `FLI focuser ${this.identity.serialNumber || this.name} (bus ${this.device.bus})`;
    try {
      await this.device.open();
    } catch (e) {
      throw accessError(`cannot open ${where}`, e);
    }
    try {
      if (this.device.configuration?.configurationValue !== 1) await this.device.selectConfiguration(1);
      try {
        await this.device.claimInterface(0);
      } catch (first) {
        // A kernel driver holds interface 0: detach it (libfli does the same) and try again.
        try {
          await this.device.detachKernelDriver(0);
        } catch {
          throw first;
        }
        await this.device.claimInterface(0);
      }
      this.claimed = true;
    } catch (e) {
      await this.device.close().catch(() => undefined);
      throw accessError(`cannot claim interface 0 of ${where}`, e);
    }
    this.state = 'open';
    try {
      this.unwatch = this.backend.watchDisconnects((handle) => {
        if (handle === this.device.handle) this.disconnect();
      });
    } catch {
      // No hot-plug events: an unplug still shows as a failed transfer.
      this.unwatch = null;
    }
  }

  async close(): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.unwatch?.();
    this.unwatch = null;
    for (const fail of [...this.waiting]) fail(new DeviceClosedError('the transport was closed during the exchange'));
    if (!wasOpen) return;
    if (this.claimed) await this.device.releaseInterface(0).catch(() => undefined);
    this.claimed = false;
    await this.device.close().catch(() => undefined);
  }

  async exchange(write: Uint8Array, readLength: number, timeoutMs = DEFAULT_TRANSFER_TIMEOUT_MS): Promise<Buffer> {
    if (this.state === 'disconnected') throw new DeviceDisconnectedError();
    if (this.state !== 'open') throw new DeviceClosedError('the transport is not open');
    // node-usb: 0 means "no time-out" too.
    const usbTimeout = timeoutMs > 0 ? timeoutMs : 0;
    return this.guard(timeoutMs, async () => {
      const written = await this.device.nativeTransferOut(FLI_BULK_ENDPOINT, usbTimeout, write);
      if (written < 0) throw new UsbTransferError('bulk OUT endpoint 0x02 stalled');
      if (readLength === 0) return Buffer.alloc(0);
      const data = await this.device.nativeTransferIn(FLI_BULK_ENDPOINT, usbTimeout, readLength);
      if (data === null) throw new UsbTransferError('bulk IN endpoint 0x82 stalled');
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    });
  }

  /** Runs the transfers, failing at once on an unplug, and maps USB errors onto ours. */
  private guard(timeoutMs: number, transfers: () => Promise<Buffer>): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let done = false;
      let fallback: ReturnType<typeof setTimeout> | undefined;
      const settle = (error: Error | null, value?: Buffer): void => {
        if (done) return;
        done = true;
        this.waiting.delete(abort);
        if (fallback !== undefined) clearTimeout(fallback);
        if (error) reject(error);
        else resolve(value!);
      };
      const abort = (error: Error): void => settle(error);
      this.waiting.add(abort);
      // Two transfers each get `timeoutMs` from the USB stack; this is the backstop for both.
      if (timeoutMs > 0) fallback = setTimeout(() => settle(new TransferTimeoutError(timeoutMs)), 2 * timeoutMs + 250);
      const started = Date.now();
      transfers().then(
        (value) => settle(null, value),
        (e: unknown) => settle(this.classify(e, timeoutMs, Date.now() - started)),
      );
    });
  }

  private classify(e: unknown, timeoutMs: number, elapsedMs: number): Error {
    if (e instanceof AtlasError) return e;
    const why = messageOf(e);
    if (e instanceof UsbStatusError) {
      if (e.status === UsbStatus.ERROR_NO_DEVICE) {
        this.disconnect();
        return new DeviceDisconnectedError(`the focuser was disconnected (${why})`, { cause: e });
      }
      if (e.status === UsbStatus.ERROR_TIMEOUT) return new TransferTimeoutError(timeoutMs, undefined, { cause: e });
      return new UsbTransferError(`USB transfer failed: ${why}`, { cause: e });
    }
    // node-usb reports its failures as plain errors, told apart by their wording.
    if (/disconnect|no such device|ENODEV|device (is )?gone|not found/i.test(why)) {
      this.disconnect();
      return new DeviceDisconnectedError(`the focuser was disconnected (${why})`, { cause: e });
    }
    if (/timed? ?out|ETIMEDOUT/i.test(why) || (timeoutMs > 0 && elapsedMs >= timeoutMs)) return new TransferTimeoutError(timeoutMs, undefined, { cause: e });
    return new UsbTransferError(`USB transfer failed: ${why}`, { cause: e });
  }

  private disconnect(): void {
    if (this.state !== 'open') return;
    this.state = 'disconnected';
    this.unwatch?.();
    this.unwatch = null;
    const error = new DeviceDisconnectedError();
    for (const fail of [...this.waiting]) fail(error);
    // The handle is useless now; let the USB stack free it.
    this.claimed = false;
    void this.device.close().catch(() => undefined);
  }
}

function accessError(what: string, e: unknown): AtlasError {
  const why = messageOf(e);
  if (e instanceof UsbStatusError) {
    switch (e.status) {
      case UsbStatus.ERROR_ACCESS:
        return new DeviceAccessError(`${what}: permission denied (${why}); install systemd/60-focusd-atlas.rules and add the user to the focusd group`, { cause: e });
      case UsbStatus.ERROR_BUSY:
        return new DeviceAccessError(`${what}: the device is in use by another program (${why})`, { cause: e });
      case UsbStatus.ERROR_NO_DEVICE:
      case UsbStatus.ERROR_NOT_FOUND:
        return new DeviceNotFoundError(`${what}: the device went away (${why})`, { cause: e });
      default:
        return new DeviceAccessError(`${what}: ${why}`, { cause: e });
    }
  }
  if (/access|permission|EACCES|EPERM/i.test(why)) {
    return new DeviceAccessError(`${what}: permission denied (${why}); install systemd/60-focusd-atlas.rules and add the user to the focusd group`, { cause: e });
  }
  if (/busy|EBUSY/i.test(why)) return new DeviceAccessError(`${what}: the device is in use by another program (${why})`, { cause: e });
  if (/no such device|ENODEV|disconnect|not found/i.test(why)) return new DeviceNotFoundError(`${what}: the device went away (${why})`, { cause: e });
  return new DeviceAccessError(`${what}: ${why}`, { cause: e });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
