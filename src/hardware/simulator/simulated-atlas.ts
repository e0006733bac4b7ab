import { AtlasStatusBits } from '../atlas/commands.js';
import { DeviceDisconnectedError } from '../errors.js';
import { withTimers, type SimulatorClock, type SimulatorTimers } from './clock.js';

export interface SimulatedAtlasOptions {
  /** The `80 01` reply (default 0x8043: newer board, 8-byte moves). */
  firmwareRevision?: number;
  /** Low byte of the `80 02` reply: 0xff (default; temperatures), 0xfe, or 0x07 (older focuser). */
  hardwareType?: number;
  /** Maximum position, steps (default 100000; hardware type 0x07 uses libfli's 2100/7000). */
  extent?: number;
  /** Motor speed, steps per second (default 1000). */
  stepRate?: number;
  /** Starting position (default 1000). */
  position?: number;
  /** Degrees C per sensor, channel order (default [21.5, 18.25]: internal, external). */
  temperatures?: number[];
  /** USB iSerialNumber (default 'SIM-ATLAS-0001'). */
  serialNumber?: string;
  /** The `80 03` model name (default 'Atlas Focuser'). */
  model?: string;
  /** USB bcdDevice (default: the firmware revision). */
  bcdDevice?: number;
  /** Time source (default real time). */
  clock?: SimulatorClock;
}

/** One command as it reached the simulated device. */
export interface CommandRecord {
  bytes: Buffer;
  /** The simulator clock's time when it arrived, ms. */
  atMs: number;
  /** True for a halt (a move of 0 steps, or `a0 00` on older firmware). */
  halt: boolean;
}

export type CommandListener = (bytes: Buffer, atMs: number, halt: boolean) => void;

const LOG_LIMIT = 1000;
/** Flipped in an echo byte by `setWrongEcho(true)`: 80 -> c0, 90 -> d0, a0 -> e0, f0 -> b0, 60 -> 20. */
const WRONG_ECHO_MASK = 0x40;

const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

/**
 * The firmware side of FLI's focuser protocol: `handle(write)` answers what the device would.
 * The motor runs at `stepRate` in the clock's time from the moment a move arrives, is clamped to
 * [0, extent], and reports status bits 0x01 moving in / 0x02 moving out / 0x04 homing, 0x40 at the
 * limit (position == extent) and 0x80 at home (position 0). Fault injection: `unplug`, `replug`,
 * `unplugAfter`, `setStalled`, `setStepRate`, `setWrongEcho`, `setShortReply`, `setReplyDelay`.
 */
export class SimulatedAtlas {
  readonly firmwareRevision: number;
  readonly hardwareType: number;
  readonly extent: number;
  readonly serialNumber: string;
  readonly model: string;
  readonly bcdDevice: number;
  readonly clock: SimulatorTimers;
  /** Milliseconds each reply is held back (`setReplyDelay`). */
  replyDelayMs = 0;

  private rate: number;
  private temperatures: number[];
  private from: number;
  private to: number;
  private startedAt: number;
  private homing = false;
  private stalled = false;
  private wrongEcho = false;
  private shortReply = false;
  private unpluggedFlag = false;
  private unplugTimer: unknown = null;
  private readonly unplugListeners = new Set<() => void>();
  private readonly commandListeners = new Set<CommandListener>();
  private readonly log: CommandRecord[] = [];
  private halts = 0;
  private lastHalt: number | null = null;

  constructor(options: SimulatedAtlasOptions = {}) {
    this.clock = withTimers(options.clock);
    this.firmwareRevision = options.firmwareRevision ?? 0x8043;
    this.hardwareType = options.hardwareType ?? 0xff;
    const low = this.firmwareRevision & 0xff;
    this.extent = this.hardwareType === 0x07 ? (low < 0x30 ? 2100 : 7000) : (options.extent ?? 100000);
    this.rate = options.stepRate ?? 1000;
    this.temperatures = [...(options.temperatures ?? [21.5, 18.25])];
    if (this.hardwareType === 0x07) this.temperatures = this.temperatures.slice(0, low < 0x30 ? 0 : low === 0x30 ? 1 : 2);
    this.serialNumber = options.serialNumber ?? 'SIM-ATLAS-0001';
    this.model = options.model ?? 'Atlas Focuser';
    this.bcdDevice = options.bcdDevice ?? this.firmwareRevision;
    this.from = this.to = clamp(options.position ?? 1000, 0, this.extent);
    this.startedAt = this.clock.now();
  }

  // --- what tests and the fault-injection object read -------------------------------------------

  /** Where the motor is now. */
  get position(): number {
    return this.positionAt(this.clock.now());
  }
  /** The motor is (or, stalled, claims to be) running. */
  get moving(): boolean {
    return this.positionAt(this.clock.now()) !== this.to;
  }
  /** Raw status bits as `b0 00` reports them. */
  get status(): number {
    return this.statusBits();
  }
  get stepRate(): number {
    return this.rate;
  }
  get unplugged(): boolean {
    return this.unpluggedFlag;
  }
  get isStalled(): boolean {
    return this.stalled;
  }
  /** Halts received so far. */
  get haltCount(): number {
    return this.halts;
  }
  /** Clock time of the last halt, ms. */
  get lastHaltAtMs(): number | null {
    return this.lastHalt;
  }
  /** The last (up to 1000) commands received, oldest first. */
  get commands(): readonly CommandRecord[] {
    return this.log;
  }
  clearCommands(): void {
    this.log.length = 0;
  }
  /** Called for each command the moment it reaches the device; returns an unsubscribe function. */
  onCommand(listener: CommandListener): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }
  /** Degrees C per channel. */
  setTemperature(channel: number, degrees: number): void {
    this.temperatures[channel] = degrees;
  }

  // --- fault injection ---------------------------------------------------------------------------

  /** The USB device disappears: every exchange fails, open transports are told at once. */
  unplug(): void {
    this.cancelUnplugTimer();
    if (this.unpluggedFlag) return;
    this.unpluggedFlag = true;
    for (const listener of [...this.unplugListeners]) listener();
  }
  /** The device is back (it must be opened again). */
  replug(): void {
    this.cancelUnplugTimer();
    this.unpluggedFlag = false;
  }
  /** Unplugs `ms` from now (e.g. mid-move). */
  unplugAfter(ms: number): void {
    this.cancelUnplugTimer();
    const handle = this.clock.setTimeout(() => {
      this.unplugTimer = null;
      this.unplug();
    }, ms);
    (handle as { unref?: () => void } | null)?.unref?.();
    this.unplugTimer = handle;
  }
  /** The motor stops advancing but the status still says it moves. */
  setStalled(on: boolean): void {
    this.rebase();
    this.stalled = on;
  }
  setStepRate(stepsPerSecond: number): void {
    if (!(stepsPerSecond > 0) || !Number.isFinite(stepsPerSecond)) throw new RangeError(`step rate must be a positive number, not ${stepsPerSecond}`);
    this.rebase();
    this.rate = stepsPerSecond;
  }
  /** Replies that carry an echo (open sequence, move, halt, home, pre-Atlas position) echo the wrong byte. */
  setWrongEcho(on: boolean): void {
    this.wrongEcho = on;
  }
  /** Every reply comes back one byte short. */
  setShortReply(on: boolean): void {
    this.shortReply = on;
  }
  /** Each reply is held back `ms` (the command itself takes effect at once). */
  setReplyDelay(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`reply delay must be 0 or more milliseconds, not ${ms}`);
    this.replyDelayMs = ms;
  }

  // --- the transport side ------------------------------------------------------------------------

  /** @internal Transports subscribe to learn of an unplug. */
  onUnplug(listener: () => void): () => void {
    this.unplugListeners.add(listener);
    return () => this.unplugListeners.delete(listener);
  }

  /**
   * One command as the firmware sees it: the bytes written to EP 0x02; returns the bytes the
   * device puts on EP 0x82 (faults applied). Throws `DeviceDisconnectedError` while unplugged.
   */
  handle(write: Uint8Array): Buffer {
    if (this.unpluggedFlag) throw new DeviceDisconnectedError('the simulated focuser is unplugged');
    // A copy with its own small backing store: Buffer.from(view) would take a slice of Node's shared
    // 8 KB pool, and the command log below would keep up to LOG_LIMIT such slabs alive.
    const bytes = Buffer.from(new Uint8Array(write).buffer);
    const atMs = this.clock.now();
    const { reply, echo, halt } = this.execute(bytes);
    if (halt) {
      this.halts++;
      this.lastHalt = atMs;
    }
    this.log.push({ bytes, atMs, halt });
    if (this.log.length > LOG_LIMIT) this.log.shift();
    for (const listener of [...this.commandListeners]) listener(bytes, atMs, halt);
    let out = reply;
    if (this.wrongEcho && echo && out.length > 0) out[0] = out[0]! ^ WRONG_ECHO_MASK;
    if (this.shortReply) out = out.subarray(0, Math.max(0, out.length - 1));
    return out;
  }

  // --- firmware ------------------------------------------------------------------------------------

  private get newBoard(): boolean {
    return this.hardwareType >= 0xfe;
  }
  private get preAtlas(): boolean {
    return (this.firmwareRevision & 0xff) < 0x40;
  }
  private get newMove(): boolean {
    return this.newBoard && (this.firmwareRevision & 0xff) >= 0x43;
  }

  private execute(w: Buffer): { reply: Buffer; echo: boolean; halt: boolean } {
    const plain = (reply: Buffer) => ({ reply, echo: false, halt: false });
    const echoed = (reply: Buffer, halt = false) => ({ reply, echo: true, halt });
    if (w.length < 2) return plain(Buffer.alloc(0));
    const word = w.readUInt16BE(0);
    switch (word >> 12) {
      case 0x8:
        switch (word) {
          case 0x8000:
            return echoed(u16(0x8000));
          case 0x8001:
            return echoed(u16(this.firmwareRevision));
          case 0x8002:
            return echoed(u16(0x8000 | (this.hardwareType & 0xff)));
          case 0x8003: {
            const name = Buffer.alloc(32);
            name.write(this.model.slice(0, 31), 'latin1');
            return plain(name);
          }
          case 0x8006:
            return plain(this.preAtlas ? u16(this.extent) : u32(this.extent));
          case 0x8009:
            return plain(u16(Math.round(this.rate) & 0x7fff));
          case 0x800a:
            return plain(u16(this.temperatures.length & 0xff));
          default:
            return plain(Buffer.alloc(2));
        }
      case 0x6: {
        const p = this.position;
        if (!this.preAtlas) return plain(u32(p));
        const v = p & 0xffff;
        return echoed(Buffer.from([0x60, word === 0x6001 ? v >> 8 : v & 0xff]));
      }
      case 0x7: {
        // The 16-bit 7x xx form (12 bits of count) answers a 2-byte 70 00 and any pre-Atlas
        // firmware; a longer command on later firmware gets the 32-bit count, zero-padded to the
        // command's length. That is what libfli reads (FLIStepMotor polls with 70 00 below
        // firmware 0x43 and with 12 bytes above it); the firmware itself is not documented.
        const left = Math.abs(this.to - this.position);
        if (this.preAtlas || w.length === 2) return plain(u16(0x7000 | (left & 0x0fff)));
        const reply = Buffer.alloc(Math.max(4, w.length));
        reply.writeUInt32BE((left & 0x0fffffff) >>> 0, 0);
        return plain(reply);
      }
      case 0xb:
        return plain(Buffer.from([0xb0, this.statusBits()]));
      case 0x9:
      case 0xa: {
        const direction = word >> 12 === 0xa ? -1 : 1;
        let n: number;
        if (this.newMove) {
          if (w.length !== 8) return plain(Buffer.alloc(2));
          n = ((word & 0xff) << 16) | w.readUInt16BE(2);
        } else if (w.length === 2) {
          n = word & 0x0fff;
        } else if (w.length === 4) {
          n = ((word & 0xff) << 16) | w.readUInt16BE(2);
        } else {
          return plain(Buffer.alloc(2));
        }
        if (n === 0) this.stop();
        else this.startMove(direction * n);
        return echoed(Buffer.from([direction < 0 ? 0xa0 : 0x90, 0x00]), n === 0);
      }
      case 0xf:
        this.rebase();
        this.to = 0;
        this.homing = true;
        return echoed(u16(0xf000));
      case 0x1:
        return plain(this.temperatureReply(word & 0xff));
      default:
        return plain(Buffer.alloc(2));
    }
  }

  private temperatureReply(channel: number): Buffer {
    const degrees = this.temperatures[channel] ?? -100;
    if (this.hardwareType !== 0x07) {
      const whole = Math.floor(degrees);
      let frac = Math.round((degrees - whole) * 256);
      let top = whole;
      if (frac === 256) {
        frac = 0;
        top += 1;
      }
      return Buffer.from([top & 0xff, frac]);
    }
    const raw = Math.max(-32768, Math.min(32767, Math.round(degrees * 256)));
    if ((this.firmwareRevision & 0xff) === 0x30) {
      const b = Buffer.alloc(2);
      b.writeInt16BE(raw);
      return b;
    }
    // A raw reading and seven coefficients: degrees = 0 + raw / 256.
    const b = Buffer.alloc(30);
    b.writeInt16BE(raw, 0);
    b.writeFloatLE(1 / 256, 2 + 4);
    return b;
  }

  private statusBits(): number {
    const now = this.clock.now();
    const p = this.positionAt(now);
    let bits = 0;
    if (p !== this.to) bits |= this.homing ? AtlasStatusBits.HOMING : this.to > p ? AtlasStatusBits.MOVING_OUT : AtlasStatusBits.MOVING_IN;
    if (p === 0) bits |= AtlasStatusBits.AT_HOME;
    if (p === this.extent) bits |= AtlasStatusBits.AT_LIMIT;
    return bits;
  }

  private positionAt(now: number): number {
    if (this.stalled) return this.from;
    const travelled = Math.floor(((now - this.startedAt) * this.rate) / 1000);
    const distance = Math.abs(this.to - this.from);
    if (travelled >= distance) return this.to;
    return this.from + Math.sign(this.to - this.from) * travelled;
  }

  /** Restarts the motion segment from where the motor is now. */
  private rebase(): void {
    const now = this.clock.now();
    this.from = this.positionAt(now);
    this.startedAt = now;
    if (this.from === this.to) this.homing = false;
  }

  private startMove(steps: number): void {
    this.rebase();
    this.to = clamp(this.from + steps, 0, this.extent);
    this.homing = false;
  }

  private stop(): void {
    this.rebase();
    this.to = this.from;
    this.homing = false;
  }

  private cancelUnplugTimer(): void {
    if (this.unplugTimer !== null) {
      this.clock.clearTimeout(this.unplugTimer);
      this.unplugTimer = null;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}
