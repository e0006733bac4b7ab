import { SimulatedClock } from 'xstate';
import { AtlasStatusBits, decodeStatus } from '../../src/hardware/index.js';
import { NoFocuserError, type DeviceStatus, type FocuserDevice, type FocuserFacts } from '../../src/machines/device.js';

/**
 * A focuser whose motor runs on a simulated clock, for machine tests that step time by hand:
 * a move advances `rate` steps per second of simulated time. `unplugged` makes every call fail
 * as a yanked USB device does; `stalled` freezes the motor while it still reports motion.
 * `readLagMs` is how long each position or status read takes on the wire: the motor runs on
 * meanwhile, so consecutive reads see it at different instants, as on real USB.
 */
export class ClockedFocuser implements FocuserDevice {
  readonly facts: FocuserFacts = {
    model: 'Atlas Focuser',
    serialNumber: 'ATL-TEST',
    firmwareRevision: 0x8043,
    extent: 10_000,
    stepRate: 1000,
    temperatureSensors: 2,
  };
  rate = 1000;
  unplugged = false;
  stalled = false;
  closed = false;
  halts = 0;
  readLagMs = 0;
  private lag = 0;
  private from = 0;
  private to = 0;
  private startedAt = 0;
  private homing = false;

  constructor(private readonly clock: SimulatedClock, start = 1000) {
    this.from = this.to = start;
  }

  private check(): void {
    if (this.unplugged) throw new Error('focuser disconnected (USB device gone)');
    if (this.closed) throw new Error('focuser is closed');
  }

  /** The motor's time: the machine's clock plus what the reads so far have taken. */
  private time(): number {
    return this.clock.now() + this.lag;
  }

  private read<T>(value: T): T {
    this.lag += this.readLagMs;
    return value;
  }

  private now(): number {
    if (this.stalled) return this.from;
    const travelled = Math.floor(((this.time() - this.startedAt) * this.rate) / 1000);
    const distance = Math.abs(this.to - this.from);
    if (travelled >= distance) return this.to;
    return this.from + Math.sign(this.to - this.from) * travelled;
  }

  private freeze(): void {
    this.from = this.to = this.now();
    this.startedAt = this.time();
    this.homing = false;
  }

  async position(): Promise<number> {
    this.check();
    return this.read(this.now());
  }
  /** As the Atlas's status byte says it, decoded by the hardware layer's own decoder. */
  async status(): Promise<DeviceStatus> {
    this.check();
    const p = this.now();
    if (p === this.to) return this.read(decodeStatus(p === 0 ? AtlasStatusBits.AT_HOME : 0));
    if (this.homing) return this.read(decodeStatus(AtlasStatusBits.HOMING));
    return this.read(decodeStatus(this.to > p ? AtlasStatusBits.MOVING_OUT : AtlasStatusBits.MOVING_IN));
  }
  async moveRelative(steps: number): Promise<void> {
    this.check();
    this.freeze();
    this.to = Math.max(0, Math.min(this.facts.extent, this.from + steps));
  }
  async halt(): Promise<void> {
    this.check();
    this.halts++;
    this.freeze();
    this.stalled = false;
  }
  async home(): Promise<void> {
    this.check();
    this.freeze();
    this.to = 0;
    this.homing = true;
  }
  async temperatures(): Promise<number[]> {
    this.check();
    return [21.5, 18.25];
  }
  async close(): Promise<void> {
    this.closed = true;
    if (this.unplugged) throw new Error('focuser disconnected (USB device gone)');
  }

  /** Reconnects: the same motor, a fresh handle. */
  reopen(): this {
    this.closed = false;
    return this;
  }
}

/** An opener that hands out `device` (or fails as the test says). */
export function opener(device: () => FocuserDevice | Error | null) {
  let opens = 0;
  const open = async (): Promise<FocuserDevice> => {
    opens++;
    const d = device();
    if (d === null) throw new NoFocuserError('no FLI focuser found on USB');
    if (d instanceof Error) throw d;
    return d;
  };
  return { open, opens: () => opens };
}
