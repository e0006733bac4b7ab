/**
 * FLI filter/focuser command bytes and reply layouts, as libfli (`libfli-filter-focuser.c`) puts
 * them on the wire. All multi-byte fields are big-endian. Pure functions: the driver composes them,
 * tests check them against the reference table.
 */

/** Hardware types (low byte of the `80 02` reply) that are focusers. */
export const HW_OLD_FOCUSER = 0x07;
export const HW_NEW_BOARD_FILTER = 0xfe;
export const HW_NEW_BOARD = 0xff;

/** libfli's step rate when the device is not asked (hardware type 0x07). */
export const LEGACY_STEP_RATE = 100;
/** Moves beyond this are split into chunks on focusers with an extent below 10000 (older firmware). */
export const LEGACY_CHUNK = 4095;
/** libfli treats an extent of at least this as an Atlas ("Atlas or other"). */
export const ATLAS_MIN_EXTENT = 10000;

/** Status bits (second byte of the `b0 00` reply; libfli `FLI_FOCUSER_STATUS_*`). */
export const AtlasStatusBits = {
  MOVING_IN: 0x01,
  MOVING_OUT: 0x02,
  HOMING: 0x04,
  MOVING_MASK: 0x07,
  AT_LIMIT: 0x40,
  AT_HOME: 0x80,
  /** Set by libfli (and this driver) on hardware type 0x07, whose status is derived from steps remaining. */
  LEGACY: 0x10000000,
} as const;

/** Raw status bits as a number (see `AtlasStatusBits`). */
export type AtlasStatus = number;

/** The status bits as facts: what the machines act on and report_status shows. */
export interface AtlasStatusFlags {
  /** Any motion: moving in or out, or homing. */
  moving: boolean;
  homing: boolean;
  atHome: boolean;
  atLimit: boolean;
}

export function decodeStatus(bits: AtlasStatus): AtlasStatusFlags {
  return {
    moving: (bits & AtlasStatusBits.MOVING_MASK) !== 0,
    homing: (bits & AtlasStatusBits.HOMING) !== 0,
    atHome: (bits & AtlasStatusBits.AT_HOME) !== 0,
    atLimit: (bits & AtlasStatusBits.AT_LIMIT) !== 0,
  };
}

export const OUTWARD = 0x9000;
export const INWARD = 0xa000;

const u16 = (value: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
};

/** Open-sequence and query commands. */
export const Commands = {
  echo: u16(0x8000),
  firmwareRevision: u16(0x8001),
  hardwareType: u16(0x8002),
  model: u16(0x8003),
  /** Extent, firmware `(fwrev & 0xff) < 0x40`: reply u16. */
  extentPreAtlas: u16(0x8006),
  /** Extent, later firmware: reply u32. */
  extentPostAtlas: Buffer.from([0x80, 0x06, 0x00, 0x00]),
  stepRate: u16(0x8009),
  temperatureSensors: u16(0x800a),
  /** Position, later firmware: reply u32. */
  positionPostAtlas: Buffer.from([0x60, 0x00, 0x00, 0x00]),
  /** Position, firmware `(fwrev & 0xff) < 0x40`: low byte, then high byte, each in a `6x yy` reply. */
  positionLow: u16(0x6000),
  positionHigh: u16(0x6001),
  stepsRemainingPostAtlas: Buffer.from([0x70, 0x00, 0x00, 0x00]),
  stepsRemainingPreAtlas: u16(0x7000),
  status: Buffer.from([0xb0, 0x00]),
  home: u16(0xf000),
  /** Halt on older firmware (`(fwrev & 0xff) < 0x43` or hardware type below 0xfe). */
  legacyHalt: u16(0xa000),
} as const;

/** `(fwrev & 0xff) < 0x40`: 16-bit extent, two-part position, 16-bit steps remaining. */
export const isPreAtlas = (firmwareRevision: number): boolean => (firmwareRevision & 0xff) < 0x40;

/** Newer board with firmware `(fwrev & 0xff) >= 0x43`: the 8-byte relative move. */
export const usesNewMove = (hardwareType: number, firmwareRevision: number): boolean =>
  hardwareType >= HW_NEW_BOARD_FILTER && (firmwareRevision & 0xff) >= 0x43;

/** The 8-byte relative move: u16 `cmd | ((n >> 16) & 0xff)`, u16 `n & 0xffff`, u32 0. Steps 0 is the halt. */
export function moveCommand(steps: number): Buffer {
  const cmd = steps < 0 ? INWARD : OUTWARD;
  const n = Math.abs(steps);
  const b = Buffer.alloc(8);
  b.writeUInt16BE(cmd | ((n >> 16) & 0xff), 0);
  b.writeUInt16BE(n & 0xffff, 2);
  b.writeUInt32BE(0, 4);
  return b;
}

/** One older-firmware move of `n` steps (n >= 1): 2 bytes up to 4095 steps, else 4 bytes. */
export function legacyMoveCommand(direction: 1 | -1, n: number): Buffer {
  const cmd = direction < 0 ? INWARD : OUTWARD;
  if (n <= LEGACY_CHUNK) return u16(cmd | (n & 0x0fff));
  const b = Buffer.alloc(4);
  b.writeUInt16BE(cmd | ((n >> 16) & 0xff), 0);
  b.writeUInt16BE(n & 0xffff, 2);
  return b;
}

/** How libfli splits an older-firmware move: 4095-step chunks when the extent is below 10000. */
export function legacyChunks(n: number, extent: number): number[] {
  if (extent >= ATLAS_MIN_EXTENT || n <= LEGACY_CHUNK) return n > 0 ? [n] : [];
  const chunks: number[] = [];
  for (let left = n; left > 0; left -= Math.min(left, LEGACY_CHUNK)) chunks.push(Math.min(left, LEGACY_CHUNK));
  return chunks;
}

/** `10 <channel>` (hardware type 0xff and 0x07). */
export function temperatureCommand(channel: number): Buffer {
  return u16(0x1000 | (channel & 0xffff));
}

/** Hardware type 0xff temperature reply: `int8(byte0) + byte1 / 256` degrees C. */
export function parseTemperature(reply: Uint8Array): number {
  return ((reply[0]! << 24) >> 24) + reply[1]! / 256;
}

/** Pre-Atlas position from the low and high `6x yy` replies: a signed 16-bit value. */
export function parsePreAtlasPosition(low: number, high: number): number {
  const v = ((high & 0xff) << 8) | (low & 0xff);
  return v & 0x8000 ? v - 0x10000 : v;
}

/** libfli's `dconvert`: an IEEE-754 single stored little-endian. */
export function parseFloat32LE(bytes: Uint8Array, offset: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readFloatLE(offset);
}

/** Model name: ASCII up to the first NUL of the 32-byte reply. */
export function parseModel(reply: Uint8Array): string {
  const end = reply.indexOf(0);
  return Buffer.from(reply.subarray(0, end < 0 ? reply.length : end)).toString('latin1').trim();
}
