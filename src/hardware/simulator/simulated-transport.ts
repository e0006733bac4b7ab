import { DeviceClosedError, DeviceDisconnectedError, DeviceNotFoundError, TransferTimeoutError } from '../errors.js';
import { DEFAULT_TRANSFER_TIMEOUT_MS, type UsbIdentity, type UsbTransport } from '../transport.js';
import type { SimulatedAtlas } from './simulated-atlas.js';

type State = 'new' | 'open' | 'disconnected' | 'closed';

interface Pending {
  fail(error: Error): void;
}

/**
 * A `UsbTransport` wired to a `SimulatedAtlas` instead of a USB bus. Each exchange reaches the
 * simulated firmware at once; the reply comes back after the simulator's reply delay (timers on
 * the simulator's clock), or a `TransferTimeoutError` when that is past the transfer time-out.
 * An unplug fails every waiting exchange at once with `DeviceDisconnectedError`, as a yanked
 * cable does; the transport stays dead until a new one is opened after `replug()`.
 */
export class SimulatedUsbTransport implements UsbTransport {
  readonly identity: UsbIdentity;
  private state: State = 'new';
  private readonly pending = new Set<Pending>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly sim: SimulatedAtlas) {
    this.identity = { serialNumber: sim.serialNumber, bcdDevice: sim.bcdDevice, busNumber: 1, portNumbers: [1] };
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed' || this.state === 'disconnected') throw new DeviceClosedError('this transport was closed; open a new one');
    if (this.sim.unplugged) throw new DeviceNotFoundError('no FLI focuser found: the simulated focuser is unplugged');
    this.state = 'open';
    this.unsubscribe = this.sim.onUnplug(() => this.disconnect());
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.failPending(new DeviceClosedError('the transport was closed during the exchange'));
  }

  exchange(write: Uint8Array, readLength: number, timeoutMs = DEFAULT_TRANSFER_TIMEOUT_MS): Promise<Buffer> {
    if (this.state === 'new' || this.state === 'closed') return Promise.reject(new DeviceClosedError('the transport is not open'));
    if (this.state === 'disconnected') return Promise.reject(new DeviceDisconnectedError());
    let reply: Buffer;
    try {
      reply = this.sim.handle(write);
    } catch (e) {
      if (e instanceof DeviceDisconnectedError) this.disconnect();
      return Promise.reject(e);
    }
    if (reply.length > readLength) reply = reply.subarray(0, readLength);
    const delay = this.sim.replyDelayMs;
    if (delay === 0) return Promise.resolve(Buffer.from(reply));

    const clock = this.sim.clock;
    return new Promise<Buffer>((resolve, reject) => {
      const timers: unknown[] = [];
      const entry: Pending = {
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      const finish = (): void => {
        for (const t of timers) clock.clearTimeout(t);
        this.pending.delete(entry);
      };
      this.pending.add(entry);
      // The time-out is set first so that a reply due at the same moment loses to it.
      if (timeoutMs > 0) timers.push(clock.setTimeout(() => entry.fail(new TransferTimeoutError(timeoutMs)), timeoutMs));
      timers.push(
        clock.setTimeout(() => {
          finish();
          resolve(Buffer.from(reply));
        }, delay),
      );
    });
  }

  private disconnect(): void {
    if (this.state !== 'open') return;
    this.state = 'disconnected';
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.failPending(new DeviceDisconnectedError());
  }

  private failPending(error: Error): void {
    for (const p of [...this.pending]) p.fail(error);
  }
}
