/**
 * The wire between the simulated Atlas (`atlas-sim`) and whatever plays the USB bus for a program:
 * the libusb-1.0 stand-in (native/usb-shim) for libfli, INDI or any libusb program, and
 * `simSocketUsbBackend` for focusd. One Unix stream socket per open device handle; strictly one
 * request, then its reply.
 *
 *   request: u8 op      | u32be length | payload
 *   reply:   i8 status  | u32be length | payload      status: 0 or a libusb error code
 *
 * | op | request payload | OK reply payload |
 * |---|---|---|
 * | HELLO   | u16 protocol version (1) | u16 idVendor, u16 idProduct, u16 bcdDevice, then manufacturer, product, serial: each u8 length + bytes |
 * | CLAIM   | u8 interface | empty |
 * | RELEASE | u8 interface | empty |
 * | OUT     | u8 endpoint, u32 timeout ms, data | u32 bytes transferred |
 * | IN      | u8 endpoint, u32 length, u32 timeout ms | the data |
 *
 * HELLO comes first on every connection. While the device is unplugged HELLO answers NO_DEVICE,
 * and an unplug closes every connection (a closed socket is a device gone). Payloads are at most
 * `MAX_PAYLOAD` bytes; anything else is a protocol error and the other side closes the connection.
 * native/usb-shim/usb-shim.c speaks the same protocol from the other end.
 */

export const PROTOCOL_VERSION = 1;
/** Larger than any FLI exchange (32 bytes at most) by far, small enough to never be a memory risk. */
export const MAX_PAYLOAD = 65536;
export const HEADER_BYTES = 5;

export const Op = {
  HELLO: 0x01,
  CLAIM: 0x02,
  RELEASE: 0x03,
  OUT: 0x04,
  IN: 0x05,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export { UsbStatus, isKnownStatus, statusName, type UsbStatusCode } from '../../usb/status.js';

export interface Frame {
  /** The op (requests) or the signed status (replies). */
  code: number;
  payload: Buffer;
}

/** A frame as bytes: the code byte (a status is stored as its two's complement), length, payload. */
export function encodeFrame(code: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes is over the ${MAX_PAYLOAD}-byte limit`);
  const frame = Buffer.alloc(HEADER_BYTES + payload.length);
  frame.writeUInt8(code & 0xff, 0);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Reassembles frames from stream chunks of any size. The length is checked against `MAX_PAYLOAD`
 * as soon as the header is in, before any payload is kept.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: { code: number; length: number } | null = null;
  private broken = false;

  /** Frames completed by `chunk`; throws `ProtocolError` (and accepts nothing more) on an oversized frame. */
  push(chunk: Buffer, signed: boolean): Frame[] {
    if (this.broken) throw new ProtocolError('the stream is no longer in step');
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.header === null) {
        if (this.buffered < HEADER_BYTES) break;
        const head = this.take(HEADER_BYTES);
        const length = head.readUInt32BE(1);
        if (length > MAX_PAYLOAD) {
          this.broken = true;
          throw new ProtocolError(`a frame of ${length} bytes is over the ${MAX_PAYLOAD}-byte limit`);
        }
        this.header = { code: signed ? head.readInt8(0) : head.readUInt8(0), length };
      }
      if (this.buffered < this.header.length) break;
      frames.push({ code: this.header.code, payload: this.take(this.header.length) });
      this.header = null;
    }
    return frames;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** What HELLO reports: the device descriptor fields and strings a USB host reads. */
export interface SimDeviceInfo {
  vendorId: number;
  productId: number;
  bcdDevice: number;
  manufacturer: string;
  product: string;
  serialNumber: string;
}

const putString = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'latin1').subarray(0, 255);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
};

export function encodeDeviceInfo(info: SimDeviceInfo): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(info.vendorId, 0);
  head.writeUInt16BE(info.productId, 2);
  head.writeUInt16BE(info.bcdDevice, 4);
  return Buffer.concat([head, putString(info.manufacturer), putString(info.product), putString(info.serialNumber)]);
}

export function decodeDeviceInfo(payload: Buffer): SimDeviceInfo {
  if (payload.length < 9) throw new ProtocolError(`a device description of ${payload.length} bytes is too short`);
  let at = 6;
  const str = (): string => {
    const n = payload[at];
    if (n === undefined || at + 1 + n > payload.length) throw new ProtocolError('a device description string runs past its frame');
    const s = payload.subarray(at + 1, at + 1 + n).toString('latin1');
    at += 1 + n;
    return s;
  };
  const manufacturer = str();
  const product = str();
  const serialNumber = str();
  return { vendorId: payload.readUInt16BE(0), productId: payload.readUInt16BE(2), bcdDevice: payload.readUInt16BE(4), manufacturer, product, serialNumber };
}

export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
