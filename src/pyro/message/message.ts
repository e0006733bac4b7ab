import { createRequire } from 'node:module';
import { ProtocolError, SecurityError } from '../errors.js';
import {
  ANNOTATION_HEADER_SIZE,
  Flags,
  HEADER_SIZE,
  MAGIC,
  PROTOCOL_VERSION,
  headerChecksum,
} from './constants.js';

// HMAC and compression are rare (a shared key, or a daemon with COMPRESSION on), and loading
// node:crypto and node:zlib is a good part of a command-line call's start-up: load them when used.
const load = createRequire(import.meta.url);
let crypto: typeof import('node:crypto') | undefined;
let zlib: typeof import('node:zlib') | undefined;
const cryptoModule = (): typeof import('node:crypto') => (crypto ??= load('node:crypto') as typeof import('node:crypto'));
const zlibModule = (): typeof import('node:zlib') => (zlib ??= load('node:zlib') as typeof import('node:zlib'));

/** One Pyro4 message. `payload` is the bytes as they travel (still compressed when flagged). */
export interface Message {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  annotations: Map<string, Buffer>;
  payload: Buffer;
}

export interface EncodeOptions {
  type: number;
  flags?: number;
  seq: number;
  serializerId?: number;
  annotations?: ReadonlyMap<string, Uint8Array>;
  payload: Uint8Array;
  /** Adds the HMAC annotation (Pyro4's `_pyroHmacKey`). */
  hmacKey?: Uint8Array | undefined;
}

export type HmacKey = Uint8Array;

export function toHmacKey(key: string | Uint8Array | undefined | null): HmacKey | undefined {
  if (key === undefined || key === null) return undefined;
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  return bytes.length === 0 ? undefined : bytes;
}

/**
 * HMAC-SHA1 of the payload, then every other annotation's value in name order, as Pyro4's
 * `Message.hmac()` computes it.
 */
export function messageHmac(key: HmacKey, payload: Uint8Array, annotations: ReadonlyMap<string, Uint8Array>): Buffer {
  const mac = cryptoModule().createHmac('sha1', key).update(payload);
  for (const name of [...annotations.keys()].sort()) {
    if (name !== 'HMAC') mac.update(annotations.get(name) as Uint8Array);
  }
  return mac.digest();
}

/** Pyro4's checks on a received message's HMAC: mismatch, or a key on one side only. */
export function checkHmac(message: Message, key: HmacKey | undefined): SecurityError | null {
  const sent = message.annotations.get('HMAC');
  if (sent && key) {
    const expected = messageHmac(key, message.payload, message.annotations);
    return sent.length === expected.length && cryptoModule().timingSafeEqual(sent, expected)
      ? null
      : new SecurityError('message hmac mismatch');
  }
  if (Boolean(sent) !== Boolean(key)) return new SecurityError('hmac key config not symmetric');
  return null;
}

export function encodeMessage(options: EncodeOptions): Buffer {
  const flags = options.flags ?? 0;
  const serializerId = options.serializerId ?? 1;
  const annotations = new Map<string, Uint8Array>(options.annotations ?? []);
  annotations.delete('HMAC');
  if (options.hmacKey) annotations.set('HMAC', messageHmac(options.hmacKey, options.payload, annotations));

  let annotationsLength = 0;
  for (const [name, value] of annotations) {
    if (name.length !== 4 || !/^[\x20-\x7e]{4}$/.test(name)) throw new ProtocolError(`annotation key must be 4 ASCII characters: ${JSON.stringify(name)}`);
    if (value.length > 0xffff) throw new ProtocolError(`annotation ${name} is longer than 65535 bytes`);
    annotationsLength += ANNOTATION_HEADER_SIZE + value.length;
  }
  if (annotationsLength > 0xffff) throw new ProtocolError('annotations are longer than 65535 bytes in total');
  const dataLength = options.payload.length;
  if (dataLength > 0x7fffffff) throw new ProtocolError('invalid message size (outside range 0..2Gb)');

  const out = Buffer.allocUnsafe(HEADER_SIZE + annotationsLength + dataLength);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(PROTOCOL_VERSION, 4);
  out.writeUInt16BE(options.type, 6);
  out.writeUInt16BE(flags, 8);
  out.writeUInt16BE(options.seq & 0xffff, 10);
  out.writeInt32BE(dataLength, 12);
  out.writeUInt16BE(serializerId, 16);
  out.writeUInt16BE(annotationsLength, 18);
  out.writeUInt16BE(0, 20);
  out.writeUInt16BE(
    headerChecksum({ type: options.type, flags, seq: options.seq & 0xffff, dataLength, serializerId, annotationsLength }),
    22,
  );
  let offset = HEADER_SIZE;
  for (const [name, value] of annotations) {
    offset += out.write(name, offset, 'latin1');
    offset = out.writeUInt16BE(value.length, offset);
    offset += Buffer.from(value.buffer, value.byteOffset, value.byteLength).copy(out, offset);
  }
  Buffer.from(options.payload.buffer, options.payload.byteOffset, options.payload.byteLength).copy(out, offset);
  return out;
}

/**
 * The payload with zlib compression undone. Output is bounded by `maxSize`, so a small compressed
 * message cannot expand past the configured message size.
 */
export function decompressedPayload(message: Message, maxSize: number): Buffer {
  if (!(message.flags & Flags.COMPRESSED)) return message.payload;
  try {
    return zlibModule().inflateSync(message.payload, { maxOutputLength: Math.max(1, maxSize) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ProtocolError(`decompressed message is larger than ${maxSize} bytes`);
    throw new ProtocolError(`invalid zlib compressed message: ${(e as Error).message}`);
  }
}

/** Compresses like Pyro4's `_compressData`: only when that makes the payload smaller. */
export function maybeCompress(payload: Buffer): { payload: Buffer; compressed: boolean } {
  if (payload.length < 200) return { payload, compressed: false };
  const packed = zlibModule().deflateSync(payload);
  return packed.length < payload.length ? { payload: packed, compressed: true } : { payload, compressed: false };
}
