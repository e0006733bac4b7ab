import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  DeviceAccessError,
  DeviceDisconnectedError,
  DeviceNotFoundError,
  NodeUsbTransport,
  SimulatedAtlas,
  TransferTimeoutError,
  findUsbFocuser,
  openAtlas,
  type UsbBackend,
  type UsbDeviceLike,
} from '../../src/hardware/index.js';

const hasUsbBus = existsSync('/sys/bus/usb/devices/');

describe('the real USB transport (usb package) on this machine', () => {
  test('opening without a simulator gives DeviceNotFoundError, never a crash', async (t) => {
    let focuserPresent = false;
    try {
      const transport = await findUsbFocuser();
      focuserPresent = true;
      await transport.close();
    } catch (e) {
      assert.ok(e instanceof DeviceNotFoundError, `expected DeviceNotFoundError, got ${String(e)}`);
      assert.equal(e.code, 'DEVICE_NOT_FOUND');
      if (!hasUsbBus) assert.match(e.message, /no USB bus/);
      else assert.match(e.message, /no FLI focuser/);
    }
    if (focuserPresent) return t.skip('a real FLI focuser is connected to this machine');
    await assert.rejects(openAtlas({}), DeviceNotFoundError);
    await assert.rejects(openAtlas({ serialNumber: 'NO-SUCH-SERIAL' }), DeviceNotFoundError);
  });
});

/**
 * A stand-in for node-usb's device: records what the transport does to it. The real thing needs
 * a focuser on a USB bus, which this machine does not have; these tests cover the selection,
 * claiming and unplug logic around it.
 */
class FakeDevice implements UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 2;
  readonly deviceVersionSubminor = 3;
  readonly bus: string;
  readonly ports: number[];
  readonly handle: string;
  configuration: { configurationValue: number } | null = null;
  calls: string[] = [];
  kernelDriverBound = false;
  openError: Error | null = null;
  /** Replies to bulk IN, in order; a function may wait or throw. */
  inbox: (Uint8Array | (() => Promise<Uint8Array | null>))[] = [];
  private sim: SimulatedAtlas | null = null;
  private lastWrite: Uint8Array | null = null;

  constructor(readonly serialNumber: string | null, o: { vendorId?: number; productId?: number; bus?: string; ports?: number[] } = {}) {
    this.vendorId = o.vendorId ?? 0x0f18;
    this.productId = o.productId ?? 0x0006;
    this.bus = o.bus ?? '3-1.4';
    this.ports = o.ports ?? [1, 4];
    this.handle = `${this.bus}:${serialNumber}`;
  }
  /** Answers bulk transfers from a simulated Atlas's firmware. */
  backedBy(sim: SimulatedAtlas): this {
    this.sim = sim;
    return this;
  }
  async open(): Promise<void> {
    this.calls.push('open');
    if (this.openError) throw this.openError;
  }
  async close(): Promise<void> {
    this.calls.push('close');
  }
  async selectConfiguration(value: number): Promise<void> {
    this.calls.push(`selectConfiguration(${value})`);
    this.configuration = { configurationValue: value };
  }
  async claimInterface(n: number): Promise<void> {
    this.calls.push(`claimInterface(${n})`);
    if (this.kernelDriverBound) throw new Error('LIBUSB_ERROR_BUSY: Resource busy');
  }
  async releaseInterface(n: number): Promise<void> {
    this.calls.push(`releaseInterface(${n})`);
  }
  async detachKernelDriver(n: number): Promise<void> {
    this.calls.push(`detachKernelDriver(${n})`);
    this.kernelDriverBound = false;
  }
  async nativeTransferOut(endpoint: number, timeout: number, data: Uint8Array): Promise<number> {
    this.calls.push(`out(${endpoint}, ${timeout}, ${Buffer.from(data).toString('hex')})`);
    this.lastWrite = data;
    return data.length;
  }
  async nativeTransferIn(endpoint: number, timeout: number, length: number): Promise<Uint8Array | null> {
    this.calls.push(`in(${endpoint}, ${timeout}, ${length})`);
    if (this.sim && this.lastWrite) return this.sim.handle(this.lastWrite).subarray(0, length);
    const next = this.inbox.shift();
    if (next === undefined) throw new Error('nothing to read');
    return typeof next === 'function' ? next() : next;
  }
}

class FakeBackend implements UsbBackend {
  private listeners = new Set<(handle: string) => void>();
  constructor(public devices: UsbDeviceLike[] | Error) {}
  async getDevices(): Promise<UsbDeviceLike[]> {
    if (this.devices instanceof Error) throw this.devices;
    return this.devices;
  }
  watchDisconnects(listener: (handle: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  unplug(handle: string): void {
    for (const l of [...this.listeners]) l(handle);
  }
  get watching(): number {
    return this.listeners.size;
  }
}

describe('NodeUsbTransport logic, on a stand-in for node-usb', () => {
  test('no USB bus, no focuser, no such serial: each a DeviceNotFoundError saying which', async () => {
    await assert.rejects(
      findUsbFocuser({ backend: new FakeBackend(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)')) }),
      (e: unknown) => e instanceof DeviceNotFoundError && /no USB bus/.test(e.message),
    );
    const mouse = new FakeDevice('M1', { vendorId: 0x046d, productId: 0xc077 });
    const wheel = new FakeDevice('W1', { productId: 0x0007 });
    await assert.rejects(findUsbFocuser({ backend: new FakeBackend([mouse, wheel]) }), (e: unknown) => e instanceof DeviceNotFoundError && /0f18:0006/.test(e.message));
    const a = new FakeDevice('ATL-1');
    await assert.rejects(
      findUsbFocuser({ backend: new FakeBackend([a]), serialNumber: 'ATL-9' }),
      (e: unknown) => e instanceof DeviceNotFoundError && /"ATL-9"/.test(e.message) && /ATL-1/.test(e.message),
    );
  });

  test('picks the first focuser, or the one with the serial number (any case); identity from the descriptor', async () => {
    const a = new FakeDevice('ATL-1', { bus: '1-2', ports: [2] });
    const b = new FakeDevice('ATL-2', { bus: '3-1.4', ports: [1, 4] });
    const backend = new FakeBackend([new FakeDevice('X', { productId: 0x0002 }), a, b]);
    assert.equal((await findUsbFocuser({ backend })).identity.serialNumber, 'ATL-1');
    const chosen = await findUsbFocuser({ backend, serialNumber: 'atl-2' });
    assert.deepEqual(chosen.identity, { serialNumber: 'ATL-2', bcdDevice: 0x0123, busNumber: 3, portNumbers: [1, 4] });
    assert.equal(chosen.name, 'FLI-0104');
  });

  test('open selects configuration 1 and claims interface 0, detaching a bound kernel driver; close releases', async () => {
    const dev = new FakeDevice('ATL-1');
    dev.kernelDriverBound = true;
    const backend = new FakeBackend([dev]);
    const t = await findUsbFocuser({ backend });
    await t.open();
    assert.deepEqual(dev.calls, ['open', 'selectConfiguration(1)', 'claimInterface(0)', 'detachKernelDriver(0)', 'claimInterface(0)']);
    assert.equal(backend.watching, 1);
    dev.calls = [];
    await t.close();
    assert.deepEqual(dev.calls, ['releaseInterface(0)', 'close']);
    assert.equal(backend.watching, 0);
  });

  test('permission denied on open is a DeviceAccessError pointing at the udev rule', async () => {
    const dev = new FakeDevice('ATL-1');
    dev.openError = new Error('LIBUSB_ERROR_ACCESS: Access denied (insufficient permissions)');
    const t = new NodeUsbTransport(dev, new FakeBackend([dev]));
    await assert.rejects(t.open(), (e: unknown) => e instanceof DeviceAccessError && /60-focusd-atlas\.rules/.test(e.message) && /focusd group/.test(e.message));
  });

  test('an exchange writes EP 2 OUT and reads EP 2 IN with the time-out; the driver runs over it', async () => {
    const sim = new SimulatedAtlas({ serialNumber: 'ATL-1', position: 4321 });
    const dev = new FakeDevice('ATL-1').backedBy(sim);
    const f = await openAtlas({ usbBackend: new FakeBackend([dev]), transferTimeoutMs: 1234 });
    assert.equal(f.info.serialNumber, 'ATL-1');
    assert.equal(await f.position(), 4321);
    assert.ok(dev.calls.includes('out(2, 1234, 60000000)'));
    assert.ok(dev.calls.includes('in(2, 1234, 4)'));
    await f.close();
    assert.deepEqual(dev.calls.slice(-2), ['releaseInterface(0)', 'close']);
  });

  test('an unplug fails the exchange waiting on the wire at once', async () => {
    const dev = new FakeDevice('ATL-1');
    const backend = new FakeBackend([dev]);
    const t = await findUsbFocuser({ backend });
    await t.open();
    dev.inbox.push(() => new Promise<never>(() => undefined)); // a reply that never comes
    const pending = t.exchange(Buffer.from([0xb0, 0x00]), 2, 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    backend.unplug(dev.handle);
    await assert.rejects(pending, DeviceDisconnectedError);
    await assert.rejects(t.exchange(Buffer.from([0xb0, 0x00]), 2), DeviceDisconnectedError);
    await t.close();
  });

  test('USB errors map onto typed errors: a vanished device, a time-out', async () => {
    const dev = new FakeDevice('ATL-1');
    const t = new NodeUsbTransport(dev, new FakeBackend([dev]));
    await t.open();
    dev.inbox.push(() => Promise.reject(new Error('Operation timed out')));
    await assert.rejects(t.exchange(Buffer.from([0x80, 0x00]), 2, 5000), TransferTimeoutError);
    dev.inbox.push(() => Promise.reject(new Error('No such device (it may have been disconnected)')));
    await assert.rejects(t.exchange(Buffer.from([0x80, 0x00]), 2, 5000), DeviceDisconnectedError);
    await assert.rejects(t.exchange(Buffer.from([0x80, 0x00]), 2, 5000), DeviceDisconnectedError);
    await t.close();
  });
});
