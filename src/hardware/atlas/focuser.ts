import {
  AtlasError,
  BadReplyError,
  DeviceClosedError,
  TransferTimeoutError,
  UnsupportedDeviceError,
  hexBytes,
} from '../errors.js';
import { DEFAULT_TRANSFER_TIMEOUT_MS, type UsbTransport } from '../transport.js';
import { TaskQueue } from '../../common/task-queue.js';
import {
  ATLAS_MIN_EXTENT,
  AtlasStatusBits,
  Commands,
  HW_NEW_BOARD,
  HW_NEW_BOARD_FILTER,
  HW_OLD_FOCUSER,
  LEGACY_STEP_RATE,
  isPreAtlas,
  legacyChunks,
  legacyMoveCommand,
  moveCommand,
  parseFloat32LE,
  parseModel,
  parsePreAtlasPosition,
  parseTemperature,
  temperatureCommand,
  usesNewMove,
  type AtlasStatus,
} from './commands.js';

/** Facts read once by the open sequence. */
export interface AtlasInfo {
  /** `80 03` on the newer board; libfli's "FLI Focuser" on hardware type 0x07. */
  model: string;
  /** The USB iSerialNumber. */
  serialNumber: string;
  /** The `80 01` reply, e.g. 0x8043. */
  firmwareRevision: number;
  /** Low byte of the `80 02` reply: 0x07, 0xfe or 0xff. */
  hardwareType: number;
  /** Maximum position in steps. */
  extent: number;
  /** Steps per second. */
  stepRate: number;
  /** Readable temperature channels (0 internal, 1 external). */
  temperatureSensors: number;
}

export interface AtlasOpenOptions {
  /** Per-transfer time-out, ms (default 5000 as libfli; 0: none). */
  transferTimeoutMs?: number;
  /** How often a chunked older-firmware move polls steps remaining before sending its next chunk (ms, default 100 as libfli). */
  chunkPollMs?: number;
}

/** libfli lets a hardware type 0x07 home take up to 30 s before it replies. */
const LEGACY_HOME_TIMEOUT_MS = 30000;
/** Older Atlas firmware needs this long after a move before its status is right. */
const OLD_ATLAS_SETTLE_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ChunkJob {
  direction: 1 | -1;
  chunks: number[];
}

/**
 * The FLI Atlas (and older FLI focusers) over a `UsbTransport`, as libfli drives them. One exchange
 * is on the wire at a time; every reply's length and echo bytes are checked, and a bad one is a
 * `BadReplyError` naming the command.
 */
export class AtlasFocuser {
  readonly info: AtlasInfo;
  private readonly transport: UsbTransport;
  private readonly timeoutMs: number;
  private readonly chunkPollMs: number;
  private readonly queue = new TaskQueue();
  private closed = false;
  private job: ChunkJob | null = null;
  /** A failure of a background chunk continuation, reported by the next call. */
  private backgroundError: Error | null = null;

  private constructor(transport: UsbTransport, info: AtlasInfo, options: AtlasOpenOptions) {
    this.transport = transport;
    this.info = info;
    this.timeoutMs = options.transferTimeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
    this.chunkPollMs = options.chunkPollMs ?? 100;
  }

  /**
   * Opens the transport and runs libfli's open sequence: echo, firmware revision, hardware type,
   * then (newer board) extent, temperature sensor count, step rate and model. The transport is
   * closed again when any step fails.
   */
  static async open(transport: UsbTransport, options: AtlasOpenOptions = {}): Promise<AtlasFocuser> {
    const timeoutMs = options.transferTimeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS;
    await transport.open();
    try {
      const io = (command: string, write: Uint8Array, readLength: number): Promise<Buffer> =>
        exchange(transport, command, write, readLength, timeoutMs);

      const echo = await io('echo', Commands.echo, 2);
      if (echo.readUInt16BE(0) !== 0x8000) throw new BadReplyError('echo', 'expected 80 00: not an FLI filter wheel or focuser', echo, Commands.echo);

      const fw = (await io('firmware revision', Commands.firmwareRevision, 2)).readUInt16BE(0);
      if ((fw & 0xf000) !== 0x8000) {
        throw new BadReplyError('firmware revision', 'expected 0x8xxx', Buffer.from([fw >> 8, fw & 0xff]), Commands.firmwareRevision);
      }
      if (fw === 0x8001) throw new UnsupportedDeviceError('firmware revision 0x8001 is an old FLI filter wheel, not a focuser');

      const hwReply = await io('hardware type', Commands.hardwareType, 2);
      if (hwReply[0] !== 0x80) throw new BadReplyError('hardware type', 'expected 80 xx', hwReply, Commands.hardwareType);
      const hardwareType = hwReply[1]!;
      const serialNumber = transport.identity.serialNumber;

      if (hardwareType === HW_OLD_FOCUSER) {
        // libfli knows these from the firmware revision alone.
        const low = fw & 0xff;
        const info: AtlasInfo = {
          model: 'FLI Focuser',
          serialNumber,
          firmwareRevision: fw,
          hardwareType,
          extent: low < 0x30 ? 2100 : 7000,
          stepRate: LEGACY_STEP_RATE,
          temperatureSensors: low < 0x30 ? 0 : low === 0x30 ? 1 : 2,
        };
        return new AtlasFocuser(transport, info, options);
      }
      if (hardwareType !== HW_NEW_BOARD && hardwareType !== HW_NEW_BOARD_FILTER) {
        throw new UnsupportedDeviceError(`hardware type 0x${hardwareType.toString(16).padStart(2, '0')} is not an FLI focuser`);
      }

      let extent: number;
      if (isPreAtlas(fw)) extent = (await io('extent', Commands.extentPreAtlas, 2)).readUInt16BE(0);
      else extent = (await io('extent', Commands.extentPostAtlas, 4)).readUInt32BE(0);
      const sensors = (await io('temperature sensor count', Commands.temperatureSensors, 2))[1]!;
      const stepRate = (await io('step rate', Commands.stepRate, 2)).readUInt16BE(0) & 0x7fff;
      const model = parseModel(await io('model', Commands.model, 32));
      const info: AtlasInfo = {
        model,
        serialNumber,
        firmwareRevision: fw,
        hardwareType,
        extent,
        stepRate,
        // libfli reads temperatures only on hardware type 0xff (0xfe has no temperature command).
        temperatureSensors: hardwareType === HW_NEW_BOARD ? sensors : 0,
      };
      return new AtlasFocuser(transport, info, options);
    } catch (e) {
      await transport.close();
      throw e;
    }
  }

  /** Current position in steps. */
  position(): Promise<number> {
    return this.run(() => this.readPosition());
  }

  /** Steps left in the move running on the device. */
  stepsRemaining(): Promise<number> {
    return this.run(() => this.readStepsRemaining());
  }

  /**
   * Raw status bits (`AtlasStatusBits`): the second byte of the `b0 00` reply on the newer board;
   * on hardware type 0x07, libfli's LEGACY bit plus moving in|out while steps remain. A chunked
   * older-firmware move reports its direction until its last chunk is sent.
   */
  status(): Promise<AtlasStatus> {
    return this.run(async () => {
      let bits: number;
      if (this.info.hardwareType < HW_NEW_BOARD_FILTER) {
        const left = await this.readStepsRemaining();
        bits = AtlasStatusBits.LEGACY | (left !== 0 ? AtlasStatusBits.MOVING_IN | AtlasStatusBits.MOVING_OUT : 0);
      } else {
        bits = (await this.io('status', Commands.status, 2))[1]!;
      }
      if (this.job) bits |= this.job.direction < 0 ? AtlasStatusBits.MOVING_IN : AtlasStatusBits.MOVING_OUT;
      return bits;
    });
  }

  /**
   * Starts a relative move (positive: outward, position grows) and returns once the device has
   * accepted it; the move runs on the device. 0 is the halt.
   */
  moveRelative(steps: number): Promise<void> {
    if (!Number.isSafeInteger(steps)) return Promise.reject(new RangeError(`steps must be an integer, not ${steps}`));
    if (Math.abs(steps) > 0xffffff) return Promise.reject(new RangeError(`a move of ${steps} steps is beyond the 24-bit step count`));
    this.job = null;
    return this.run(async () => {
      if (steps === 0) return this.sendHalt();
      if (usesNewMove(this.info.hardwareType, this.info.firmwareRevision)) {
        const write = moveCommand(steps);
        const echo = steps < 0 ? 0xa0 : 0x90;
        const reply = await this.io('move', write, 2);
        if (reply[0] !== echo) throw new BadReplyError('move', `expected the echo ${hexBytes([echo])}`, reply, write);
        return;
      }
      const direction: 1 | -1 = steps < 0 ? -1 : 1;
      const [first, ...rest] = legacyChunks(Math.abs(steps), this.info.extent);
      await this.sendLegacyMove(direction, first!);
      if (rest.length > 0) {
        const job: ChunkJob = { direction, chunks: rest };
        this.job = job;
        void this.continueChunks(job);
      }
    });
  }

  /** Stops the motor (libfli's `FLIStepMotorAsync(dev, 0)`). */
  halt(): Promise<void> {
    this.job = null;
    return this.run(() => this.sendHalt());
  }

  /** Starts homing; status bit 0x04 stays set until it ends (newer board). */
  home(): Promise<void> {
    this.job = null;
    return this.run(async () => {
      if (this.info.hardwareType < HW_NEW_BOARD_FILTER) {
        const reply = await this.io('home', Commands.home, 2, LEGACY_HOME_TIMEOUT_MS);
        if (reply.readUInt16BE(0) !== 0xf000) throw new BadReplyError('home', 'expected f0 00', reply, Commands.home);
        return;
      }
      const reply = await this.io('home', Commands.home, 2);
      if ((reply.readUInt16BE(0) & 0xf000) !== 0xf000) throw new BadReplyError('home', 'expected the echo fx xx', reply, Commands.home);
    });
  }

  /** Degrees C on `channel` (0 internal, 1 external), for channels below `info.temperatureSensors`. */
  temperature(channel: number): Promise<number> {
    const sensors = this.info.temperatureSensors;
    if (!Number.isInteger(channel) || channel < 0 || channel >= sensors) {
      return Promise.reject(new RangeError(`temperature channel ${channel} does not exist (this focuser has ${sensors} sensor${sensors === 1 ? '' : 's'})`));
    }
    return this.run(async () => {
      const write = temperatureCommand(channel);
      if (this.info.hardwareType === HW_NEW_BOARD) return parseTemperature(await this.io('temperature', write, 2));
      // Hardware type 0x07.
      const low = this.info.firmwareRevision & 0xff;
      let degrees: number;
      if (low === 0x30) {
        degrees = (await this.io('temperature', write, 2)).readInt16BE(0) / 256;
      } else {
        // A raw reading and seven polynomial coefficients (single floats, little-endian).
        const reply = await this.io('temperature', write, 2 + 4 * 7);
        const raw = reply.readInt16BE(0);
        degrees = 0;
        for (let i = 0; i < 7; i++) degrees += parseFloat32LE(reply, 2 + i * 4) * raw ** i;
      }
      if (degrees < -45) throw new AtlasError(`temperature channel ${channel} reads ${degrees.toFixed(1)} C: sensor not plugged in`, 'SENSOR_UNAVAILABLE');
      return degrees;
    });
  }

  /** Releases the device. Never throws; later calls fail with `DeviceClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.job = null;
    // Let the exchange on the wire finish (or fail) first, but never wait past one transfer time-out.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timeoutMs > 0 ? this.timeoutMs : 1000)));
    await Promise.race([this.queue.idle(), limit]);
    clearTimeout(timer);
    await this.transport.close();
  }

  // --- internals -------------------------------------------------------------------------------

  /** Runs `op` after every earlier exchange has finished: one command on the wire at a time. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> => {
      if (this.closed) return Promise.reject(new DeviceClosedError());
      const background = this.backgroundError;
      if (background) {
        this.backgroundError = null;
        return Promise.reject(background);
      }
      return op();
    };
    return this.queue.run(guarded);
  }

  private io(command: string, write: Uint8Array, readLength: number, timeoutMs = this.timeoutMs): Promise<Buffer> {
    return exchange(this.transport, command, write, readLength, timeoutMs);
  }

  private async readPosition(): Promise<number> {
    if (!isPreAtlas(this.info.firmwareRevision)) return (await this.io('position', Commands.positionPostAtlas, 4)).readUInt32BE(0);
    const low = await this.io('position', Commands.positionLow, 2);
    if ((low.readUInt16BE(0) & 0xf000) !== 0x6000) throw new BadReplyError('position', 'expected the echo 6x xx', low, Commands.positionLow);
    const high = await this.io('position', Commands.positionHigh, 2);
    if ((high.readUInt16BE(0) & 0xf000) !== 0x6000) throw new BadReplyError('position', 'expected the echo 6x xx', high, Commands.positionHigh);
    return parsePreAtlasPosition(low[1]!, high[1]!);
  }

  private async readStepsRemaining(): Promise<number> {
    if (isPreAtlas(this.info.firmwareRevision)) return (await this.io('steps remaining', Commands.stepsRemainingPreAtlas, 2)).readUInt16BE(0) & 0x0fff;
    return (await this.io('steps remaining', Commands.stepsRemainingPostAtlas, 4)).readUInt32BE(0) & 0x0fffffff;
  }

  private async sendHalt(): Promise<void> {
    if (usesNewMove(this.info.hardwareType, this.info.firmwareRevision)) {
      const write = moveCommand(0);
      const reply = await this.io('halt', write, 2);
      if (reply[0] !== 0x90) throw new BadReplyError('halt', 'expected the echo 90', reply, write);
      return;
    }
    const reply = await this.io('halt', Commands.legacyHalt, 2);
    if ((reply.readUInt16BE(0) & 0xf000) !== 0xa000) throw new BadReplyError('halt', 'expected the echo ax xx', reply, Commands.legacyHalt);
  }

  private async sendLegacyMove(direction: 1 | -1, n: number): Promise<void> {
    const write = legacyMoveCommand(direction, n);
    const echo = direction < 0 ? 0xa0 : 0x90;
    const reply = await this.io('move', write, 2);
    if (reply[0] !== echo) throw new BadReplyError('move', `expected the echo ${hexBytes([echo])}`, reply, write);
    // Older Atlas firmware reports "not moving" for a moment after a move (libfli waits 50 ms).
    if (this.info.extent >= ATLAS_MIN_EXTENT && (this.info.firmwareRevision & 0x0fff) < 0x42) await sleep(OLD_ATLAS_SETTLE_MS);
  }

  /** Sends the remaining 4095-step chunks, each once the device reports the previous one done. */
  private async continueChunks(job: ChunkJob): Promise<void> {
    try {
      while (this.job === job && job.chunks.length > 0) {
        await sleep(this.chunkPollMs);
        if (this.job !== job || this.closed) return;
        await this.run(async () => {
          if (this.job !== job || (await this.readStepsRemaining()) !== 0) return;
          await this.sendLegacyMove(job.direction, job.chunks.shift()!);
        });
      }
      if (this.job === job) this.job = null;
    } catch (e) {
      if (this.job === job) {
        this.job = null;
        if (!this.closed) this.backgroundError = e instanceof Error ? e : new AtlasError(String(e));
      }
    }
  }
}

/** One checked exchange: the transport's time-out names the command; the reply length must match. */
async function exchange(transport: UsbTransport, command: string, write: Uint8Array, readLength: number, timeoutMs: number): Promise<Buffer> {
  let reply: Buffer;
  try {
    reply = await transport.exchange(write, readLength, timeoutMs);
  } catch (e) {
    if (e instanceof TransferTimeoutError && e.command === undefined) throw new TransferTimeoutError(e.timeoutMs, command, { cause: e });
    throw e;
  }
  if (reply.length !== readLength) throw new BadReplyError(command, `expected ${readLength} bytes`, reply, write);
  return reply;
}
