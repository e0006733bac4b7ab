import { MessageTooLargeError, ProtocolError } from '../errors.js';
import { ANNOTATION_HEADER_SIZE, HEADER_SIZE, MAGIC, PROTOCOL_VERSION, headerChecksum } from './constants.js';
import type { Message } from './message.js';

export interface DecoderOptions {
  /** Annotations plus payload may not exceed this many bytes (checked from the header alone). */
  maxMessageSize: number;
}

/** What the header said, kept so an error after it can still be answered with the right seq. */
export interface MessageHeader {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  dataLength: number;
  annotationsLength: number;
}

const enum State {
  Header,
  Body,
}

/**
 * Streaming Pyro4 frame decoder: feed TCP chunks of any size to `push`, get whole messages back.
 * Two states (header, then annotations + payload); the size limit is checked as soon as the header
 * is complete, before a byte of the body is buffered. A framing error throws a `ProtocolError`
 * (the stream cannot be resynchronised, so the connection must close) and the decoder refuses
 * further input.
 */
export class MessageDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private state = State.Header;
  private header: MessageHeader | null = null;
  private failed: ProtocolError | null = null;

  constructor(private readonly options: DecoderOptions) {}

  /** Bytes received but not yet part of a complete message. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Message[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const out: Message[] = [];
    try {
      for (;;) {
        if (this.state === State.Header) {
          if (this.buffered < HEADER_SIZE) break;
          this.header = this.parseHeader(this.consume(HEADER_SIZE));
          this.state = State.Body;
        }
        const header = this.header as MessageHeader;
        const bodyLength = header.annotationsLength + header.dataLength;
        if (this.buffered < bodyLength) break;
        const body = this.consume(bodyLength);
        out.push({
          type: header.type,
          flags: header.flags,
          seq: header.seq,
          serializerId: header.serializerId,
          annotations: parseAnnotations(body.subarray(0, header.annotationsLength)),
          payload: body.subarray(header.annotationsLength),
        });
        this.header = null;
        this.state = State.Header;
      }
    } catch (e) {
      this.failed = e instanceof ProtocolError ? e : new ProtocolError(String(e));
      this.chunks.length = 0;
      this.buffered = 0;
      throw this.failed;
    }
    return out;
  }

  private parseHeader(bytes: Buffer): MessageHeader {
    if (!bytes.subarray(0, 4).equals(MAGIC)) throw new ProtocolError('invalid data or unsupported protocol version (not a PYRO message)');
    const version = bytes.readUInt16BE(4);
    if (version !== PROTOCOL_VERSION) {
      throw new ProtocolError(`invalid data or unsupported protocol version (got ${version}, this is protocol ${PROTOCOL_VERSION})`);
    }
    const header: MessageHeader = {
      type: bytes.readUInt16BE(6),
      flags: bytes.readUInt16BE(8),
      seq: bytes.readUInt16BE(10),
      dataLength: bytes.readInt32BE(12),
      serializerId: bytes.readUInt16BE(16),
      annotationsLength: bytes.readUInt16BE(18),
    };
    if (bytes.readUInt16BE(22) !== headerChecksum(header)) throw new ProtocolError('header checksum mismatch');
    if (header.dataLength < 0) throw new ProtocolError(`invalid message size ${header.dataLength}`);
    const size = header.dataLength + header.annotationsLength;
    if (size > this.options.maxMessageSize) {
      throw new MessageTooLargeError(`max message size exceeded (${size} where max=${this.options.maxMessageSize})`);
    }
    return header;
  }

  /** Removes n buffered bytes, without copying when they lie in one chunk. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first && first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first && first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.chunks[0] as Buffer;
      const take = Math.min(chunk.length, n - offset);
      chunk.copy(out, offset, 0, take);
      offset += take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
    return out;
  }
}

function parseAnnotations(bytes: Buffer): Map<string, Buffer> {
  const annotations = new Map<string, Buffer>();
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + ANNOTATION_HEADER_SIZE > bytes.length) throw new ProtocolError('truncated annotation chunk header');
    const name = bytes.toString('latin1', offset, offset + 4);
    const length = bytes.readUInt16BE(offset + 4);
    const start = offset + ANNOTATION_HEADER_SIZE;
    if (start + length > bytes.length) throw new ProtocolError(`annotation ${JSON.stringify(name)} runs past the annotations block`);
    annotations.set(name, bytes.subarray(start, start + length));
    offset = start + length;
  }
  return annotations;
}
