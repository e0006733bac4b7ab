// Raw Pyro4 frames for the tests, written here from the wire facts (../shared/reference/pyro4-wire.md)
// and not with src/pyro/message, so a test can send what no correct encoder would (wrong magic,
// bad checksum, lying lengths) and read replies without trusting the decoder under test.
import type { Socket } from 'node:net';
import { FrameSocket, openSocket } from '../helpers/frame-socket.js';
import { createHmac } from 'node:crypto';

export const T = { CONNECT: 1, CONNECTOK: 2, CONNECTFAIL: 3, INVOKE: 4, RESULT: 5, PING: 6 } as const;
export const F = { EXCEPTION: 1, COMPRESSED: 2, ONEWAY: 4, BATCH: 8, META_ON_CONNECT: 16 } as const;

export interface RawFrameSpec {
  type: number;
  flags?: number;
  seq?: number;
  serializerId?: number;
  annotations?: [string, Uint8Array][];
  payload?: Uint8Array;
  /** Overrides, to build broken frames. */
  magic?: string;
  version?: number;
  checksumDelta?: number;
  dataLength?: number;
  annotationsLength?: number;
  /** Adds an HMAC annotation computed as Pyro4 does. */
  hmacKey?: string;
}

export function rawFrame(spec: RawFrameSpec): Buffer {
  const flags = spec.flags ?? 0;
  const seq = spec.seq ?? 0;
  const serializerId = spec.serializerId ?? 1;
  const payload = Buffer.from(spec.payload ?? Buffer.alloc(0));
  const annotations = [...(spec.annotations ?? [])];
  if (spec.hmacKey !== undefined) {
    const mac = createHmac('sha1', spec.hmacKey).update(payload);
    for (const [, v] of [...annotations].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) mac.update(v);
    annotations.push(['HMAC', mac.digest()]);
  }
  const annBytes = Buffer.concat(
    annotations.map(([name, value]) => {
      const h = Buffer.alloc(6);
      h.write(name, 0, 4, 'latin1');
      h.writeUInt16BE(value.length, 4);
      return Buffer.concat([h, Buffer.from(value)]);
    }),
  );
  const dataLength = spec.dataLength ?? payload.length;
  const annotationsLength = spec.annotationsLength ?? annBytes.length;
  const version = spec.version ?? 48;
  const header = Buffer.alloc(24);
  header.write(spec.magic ?? 'PYRO', 0, 4, 'latin1');
  header.writeUInt16BE(version, 4);
  header.writeUInt16BE(spec.type, 6);
  header.writeUInt16BE(flags, 8);
  header.writeUInt16BE(seq, 10);
  header.writeInt32BE(dataLength, 12);
  header.writeUInt16BE(serializerId, 16);
  header.writeUInt16BE(annotationsLength, 18);
  header.writeUInt16BE(0, 20);
  const checksum = (spec.type + version + dataLength + annotationsLength + serializerId + flags + seq + 0x34e9 + (spec.checksumDelta ?? 0)) & 0xffff;
  header.writeUInt16BE(checksum, 22);
  return Buffer.concat([header, annBytes, payload]);
}

export interface RawFrame {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  annotations: Map<string, Buffer>;
  payload: Buffer;
}

/** Parses whole frames off the front of `buf`; returns them and the bytes left over. */
export function parseFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let at = 0;
  while (buf.length - at >= 24) {
    const h = buf.subarray(at, at + 24);
    if (h.toString('latin1', 0, 4) !== 'PYRO') throw new Error('reply is not a PYRO frame: ' + h.toString('hex'));
    if (h.readUInt16BE(4) !== 48) throw new Error('reply has protocol version ' + h.readUInt16BE(4));
    const type = h.readUInt16BE(6);
    const flags = h.readUInt16BE(8);
    const seq = h.readUInt16BE(10);
    const dataLength = h.readInt32BE(12);
    const serializerId = h.readUInt16BE(16);
    const annLength = h.readUInt16BE(18);
    const sum = (type + 48 + dataLength + annLength + serializerId + flags + seq + 0x34e9) & 0xffff;
    if (h.readUInt16BE(22) !== sum) throw new Error('reply header checksum mismatch');
    if (buf.length - at < 24 + annLength + dataLength) break;
    const annotations = new Map<string, Buffer>();
    let a = at + 24;
    const annEnd = a + annLength;
    while (a < annEnd) {
      const name = buf.toString('latin1', a, a + 4);
      const len = buf.readUInt16BE(a + 4);
      annotations.set(name, buf.subarray(a + 6, a + 6 + len));
      a += 6 + len;
    }
    frames.push({ type, flags, seq, serializerId, annotations, payload: buf.subarray(annEnd, annEnd + dataLength) });
    at = annEnd + dataLength;
  }
  return { frames, rest: buf.subarray(at) };
}

/** A plain TCP client that sends bytes and collects whole reply frames (parsed independently of src/pyro). */
export class RawConnection extends FrameSocket<RawFrame> {
  private buffer: Buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    super(
      socket,
      (chunk) => {
        const { frames, rest } = parseFrames(Buffer.concat([this.buffer, chunk]));
        this.buffer = rest;
        return frames;
      },
      { recordSocketErrors: true },
    );
  }

  static async open(port: number, host = '127.0.0.1', timeoutMs = 5_000): Promise<RawConnection> {
    return new RawConnection(await openSocket(port, host, { timeoutMs }));
  }

  /** Bytes received that do not (yet) make a whole frame. */
  get leftover(): Buffer {
    return this.buffer;
  }
}
