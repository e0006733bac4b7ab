// The frame codec on its own: encodeMessage writes what the wire facts say (checked against the
// independent builder in raw.ts), MessageDecoder reads frames split or joined at any byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import {
  Flags,
  HEADER_SIZE,
  MessageDecoder,
  MessageTooLargeError,
  MessageType,
  PROTOCOL_VERSION,
  ProtocolError,
  SerializerId,
  checkHmac,
  decompressedPayload,
  encodeMessage,
  maybeCompress,
  type Message,
} from '../../src/pyro/index.js';
import { rawFrame } from './raw.js';

interface Spec {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  annotations: [string, Buffer][];
  payload: Buffer;
}

// HMAC is left out: encodeMessage computes it from hmacKey and drops one given as data.
const annotationName = fc.constantFrom('CORR', 'XTRA', 'ABCD', 'zz99', 'BLOB', 'STRM');
const specArb: fc.Arbitrary<Spec> = fc.record({
  type: fc.constantFrom(...Object.values(MessageType)),
  flags: fc.integer({ min: 0, max: 0x7f }).map((f) => f & ~Flags.COMPRESSED),
  seq: fc.integer({ min: 0, max: 0xffff }),
  serializerId: fc.constantFrom(...Object.values(SerializerId)),
  annotations: fc.uniqueArray(fc.tuple(annotationName, fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))), {
    selector: ([n]) => n,
    maxLength: 4,
  }),
  payload: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
});

const encode = (s: Spec): Buffer =>
  encodeMessage({ type: s.type, flags: s.flags, seq: s.seq, serializerId: s.serializerId, annotations: new Map(s.annotations), payload: s.payload });

function plain(m: Message): object {
  return { type: m.type, flags: m.flags, seq: m.seq, serializerId: m.serializerId, annotations: [...m.annotations.entries()].map(([k, v]) => [k, v.toString('hex')]).sort(), payload: m.payload.toString('hex') };
}
function plainSpec(s: Spec): object {
  return { type: s.type, flags: s.flags, seq: s.seq, serializerId: s.serializerId, annotations: s.annotations.map(([k, v]) => [k, v.toString('hex')]).sort(), payload: s.payload.toString('hex') };
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(bytes.subarray(at, p));
    at = p;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

describe('pyro message: encoding', () => {
  test('constants are Pyro4 4.82 protocol 48', () => {
    assert.equal(PROTOCOL_VERSION, 48);
    assert.equal(HEADER_SIZE, 24);
    assert.deepEqual(MessageType, { CONNECT: 1, CONNECTOK: 2, CONNECTFAIL: 3, INVOKE: 4, RESULT: 5, PING: 6 });
    assert.deepEqual(Flags, { EXCEPTION: 1, COMPRESSED: 2, ONEWAY: 4, BATCH: 8, META_ON_CONNECT: 16, ITEMSTREAMRESULT: 32, KEEPSERIALIZED: 64 });
    assert.equal(SerializerId.serpent, 1);
    assert.equal(SerializerId.json, 2);
    assert.equal(SerializerId.pickle, 4);
  });

  test('encodeMessage writes the same bytes as the independent frame builder', () => {
    fc.assert(
      fc.property(specArb, (s) => {
        const ours = encode(s);
        const theirs = rawFrame({ type: s.type, flags: s.flags, seq: s.seq, serializerId: s.serializerId, annotations: s.annotations, payload: s.payload });
        assert.equal(ours.toString('hex'), theirs.toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  test('HMAC annotation: HMAC-SHA1 over payload then other annotations in name order', () => {
    const payload = Buffer.from('payload');
    const annotations: [string, Buffer][] = [
      ['ZZZZ', Buffer.from('z')],
      ['CORR', Buffer.alloc(16, 1)],
    ];
    const ours = encodeMessage({ type: MessageType.INVOKE, seq: 3, payload, annotations: new Map(annotations), hmacKey: Buffer.from('key') });
    const theirs = rawFrame({ type: MessageType.INVOKE, seq: 3, payload, annotations, hmacKey: 'key' });
    assert.equal(ours.toString('hex'), theirs.toString('hex'));
  });

  test('refuses annotation names that are not 4 ASCII characters', () => {
    for (const name of ['ABC', 'ABCDE', 'AB\u00e9C', '']) {
      assert.throws(() => encodeMessage({ type: 4, seq: 0, payload: Buffer.alloc(0), annotations: new Map([[name, Buffer.alloc(1)]]) }), ProtocolError, name);
    }
  });

  test('maybeCompress only compresses when it helps, and the result inflates back', () => {
    const small = maybeCompress(Buffer.from('tiny'));
    assert.equal(small.compressed, false);
    const text = Buffer.from('abc '.repeat(5000));
    const big = maybeCompress(text);
    assert.equal(big.compressed, true);
    assert.ok(big.payload.length < text.length);
    const m: Message = { type: 4, flags: Flags.COMPRESSED, seq: 0, serializerId: 1, annotations: new Map(), payload: big.payload };
    assert.deepEqual(decompressedPayload(m, 1 << 20), text);
  });
});

describe('pyro message: streaming decoder', () => {
  test('any chunking of several frames decodes to the same messages', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 30 }), (specs, offsets) => {
        const stream = Buffer.concat(specs.map(encode));
        const decoder = new MessageDecoder({ maxMessageSize: 1 << 20 });
        const got: Message[] = [];
        for (const part of cut(stream, offsets)) got.push(...decoder.push(part));
        assert.deepEqual(got.map(plain), specs.map(plainSpec));
        assert.equal(decoder.pending, 0);
      }),
      { numRuns: 300 },
    );
  });

  test('one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 3 }), (specs) => {
        const stream = Buffer.concat(specs.map(encode));
        const decoder = new MessageDecoder({ maxMessageSize: 1 << 20 });
        const got: Message[] = [];
        for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)));
        assert.deepEqual(got.map(plain), specs.map(plainSpec));
      }),
      { numRuns: 50 },
    );
  });

  test('a partial frame yields nothing until it is complete', () => {
    const frame = encodeMessage({ type: 5, seq: 9, payload: Buffer.from('hello') });
    const decoder = new MessageDecoder({ maxMessageSize: 1024 });
    assert.deepEqual(decoder.push(frame.subarray(0, 23)), []);
    assert.deepEqual(decoder.push(frame.subarray(23, frame.length - 1)), []);
    const [m] = decoder.push(frame.subarray(frame.length - 1));
    assert.equal(m?.payload.toString(), 'hello');
  });

  const broken: [string, Buffer][] = [
    ['wrong magic', rawFrame({ type: 4, magic: 'PYRX' })],
    ['wrong version', rawFrame({ type: 4, version: 47 })],
    ['version 49', rawFrame({ type: 4, version: 49 })],
    ['checksum off by one', rawFrame({ type: 4, checksumDelta: 1 })],
    ['checksum off by 0x8000', rawFrame({ type: 4, checksumDelta: 0x8000 })],
    ['negative data length', rawFrame({ type: 4, dataLength: -5 })],
    ['annotations overrunning their block', rawFrame({ type: 4, annotations: [['CORR', Buffer.alloc(16)]], annotationsLength: 10, payload: Buffer.alloc(20) })],
  ];
  for (const [label, bytes] of broken) {
    test(`${label}: ProtocolError, and the decoder stays failed`, () => {
      const decoder = new MessageDecoder({ maxMessageSize: 1 << 20 });
      assert.throws(() => decoder.push(bytes), ProtocolError);
      assert.throws(() => decoder.push(encodeMessage({ type: 4, seq: 0, payload: Buffer.alloc(0) })), ProtocolError);
    });
  }

  test('the size limit is checked from the header alone, before any payload arrives', () => {
    for (const [dataLength, annotationsLength] of [
      [0x7fffffff, 0],
      [1001, 0],
      [900, 200],
    ] as const) {
      const decoder = new MessageDecoder({ maxMessageSize: 1000 });
      const header = rawFrame({ type: 4, dataLength, annotationsLength }).subarray(0, HEADER_SIZE);
      assert.throws(() => decoder.push(header), MessageTooLargeError, `${dataLength}+${annotationsLength}`);
    }
    const ok = new MessageDecoder({ maxMessageSize: 1000 });
    assert.equal(ok.push(encodeMessage({ type: 4, seq: 0, payload: Buffer.alloc(1000) })).length, 1);
  });

  test('annotations are returned by name, unknown ones passed through', () => {
    const corr = Buffer.from('0123456789abcdef');
    const frame = encodeMessage({ type: 4, seq: 1, payload: Buffer.from('x'), annotations: new Map([['CORR', corr], ['XTRA', Buffer.from([1, 2, 3])], ['EMPT', Buffer.alloc(0)]]) });
    const [m] = new MessageDecoder({ maxMessageSize: 1 << 20 }).push(frame);
    assert.ok(m);
    assert.deepEqual(m.annotations.get('CORR'), corr);
    assert.deepEqual(m.annotations.get('XTRA'), Buffer.from([1, 2, 3]));
    assert.deepEqual(m.annotations.get('EMPT'), Buffer.alloc(0));
  });

  test('checkHmac: right key, wrong key, tampered payload, key on one side only', () => {
    const key = Buffer.from('sesame');
    const decode = (b: Buffer): Message => {
      const [m] = new MessageDecoder({ maxMessageSize: 1 << 20 }).push(b);
      assert.ok(m);
      return m;
    };
    const signed = encodeMessage({ type: 4, seq: 1, payload: Buffer.from('data'), annotations: new Map([['CORR', Buffer.alloc(16, 2)]]), hmacKey: key });
    assert.equal(checkHmac(decode(signed), key), null);
    assert.match(String(checkHmac(decode(signed), Buffer.from('other'))?.message), /hmac mismatch/);
    const tampered = Buffer.from(signed);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 1, tampered.length - 1);
    assert.match(String(checkHmac(decode(tampered), key)?.message), /hmac mismatch/);
    const unsigned = encodeMessage({ type: 4, seq: 1, payload: Buffer.from('data') });
    assert.match(String(checkHmac(decode(unsigned), key)?.message), /not symmetric/);
    assert.match(String(checkHmac(decode(signed), undefined)?.message), /not symmetric/);
    assert.equal(checkHmac(decode(unsigned), undefined), null);
  });

  test('COMPRESSED payloads: decompressed on request, bounded, corrupt data is a ProtocolError', () => {
    const text = Buffer.from('serpent '.repeat(1000));
    const frame = rawFrame({ type: 4, flags: Flags.COMPRESSED, payload: deflateSync(text) });
    const [m] = new MessageDecoder({ maxMessageSize: 1 << 20 }).push(frame);
    assert.ok(m);
    assert.deepEqual(decompressedPayload(m, 1 << 20), text);
    assert.throws(() => decompressedPayload(m, 100), ProtocolError, 'inflating past the limit');
    const bad: Message = { ...m, payload: Buffer.from('not zlib at all') };
    assert.throws(() => decompressedPayload(bad, 1 << 20), ProtocolError);
    const uncompressed: Message = { ...m, flags: 0, payload: Buffer.from('as is') };
    assert.deepEqual(decompressedPayload(uncompressed, 1 << 20), Buffer.from('as is'));
  });
});
