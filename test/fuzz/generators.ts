// fast-check generators shared by the bounded fuzz tests (npm test) and the long run (npm run fuzz):
// serpent input (random bytes, token soup, mutated valid documents), Pyro4 frames (valid, then
// mutated either structurally with a correct header checksum so the mutation reaches the body, or
// as raw bytes), and chunkings of a byte stream.
import fc from 'fast-check';
import {
  Flags,
  PyDict,
  PyTuple,
  encodeMessage,
  pyObject,
  serialize,
  toHmacKey,
  type PyValue,
} from '../../src/pyro/index.js';
import { jsonDumps } from '../../src/pyro/json.js';
import { pyTree } from '../serpent/arbitraries.js';

/** Pieces of Python literal syntax, the awkward ones over-represented. */
const soupToken = fc.constantFrom(
  ...'()[]{},:+-_.jJeExXbBoOrRuUfF0123456789\'"\\#\n\r\t ;*aN'.split(''),
  'True', 'False', 'None', 'set()', 'frozenset', "'''", '"""', '\\x', '\\u', '\\U', '\\N{', '\\N{LATIN SMALL LETTER A}',
  '1e30000', '-1e30000', '0x', '0o', '0b', '1_000', '1__0', '.5', '5.', '1j', '-0.0', 'nan', 'inf', "b'", 'rb"', "f'",
  '\ud800', '\udfff', '😀', '\0', '\ufeff', '\u2028', '# serpent utf-8 python3.2\n', '__class__', '__proto__',
  "{'__class__':", "{'__proto__':", 'constructor', 'lambda', '__import__', '(1,)', '()', '{}', '[]', '{1}',
  '9'.repeat(5000), '['.repeat(40), ']'.repeat(40), '('.repeat(40), '{'.repeat(40), '-'.repeat(40),
);

export const tokenSoup: fc.Arbitrary<string> = fc.string({ unit: soupToken, maxLength: 80 });

/** One edit of a byte string. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x27, 0x22, 0x5c, 0x5b, 0x7b, 0x28)),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Applies mutations in order; positions wrap around the current length. */
export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + (m.kind === 'insert' ? 1 : 0));
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length > 0) b[at] = m.value;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at, at + m.length), b.subarray(at + m.length)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/** Serpent text for the parser: random bytes, soup, and valid documents with a few edits. */
export const serpentInput: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  tokenSoup,
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.tuple(pyTree, mutations).map(([v, ms]) => mutate(serialize(v), ms)),
  fc.tuple(pyTree, mutations).map(([v, ms]) => mutate(serialize(v), ms).toString('latin1')),
);

/** Python-ish argument values for calls: trees plus the hostile dicts. */
const argValue: fc.Arbitrary<PyValue> = fc.oneof(
  { weight: 5, arbitrary: pyTree },
  {
    weight: 1,
    arbitrary: fc.constantFrom<PyValue>(
      pyObject([['__class__', 'Pyro4.core.URI'], ['state', new PyTuple(['PYRO', 'x', null, 'h', 1])]]),
      pyObject([['__proto__', pyObject([['polluted', 1]])]]),
      pyObject([['constructor', pyObject([['prototype', pyObject([['polluted', 1]])]])]]),
      new PyDict([['__proto__', 1], [1, 2]]),
    ),
  },
);

const methodName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('echo', 'add', 'fail', 'slow', 'count') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'constructor', '__proto__', 'toString', 'hasOwnProperty', '__getattr__', '__setattr__', '_private', 'ECHO', 'echo_', '',
      'valueOf', '__defineGetter__', 'get_metadata', 'ping',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

const objectName = fc.oneof(
  { weight: 8, arbitrary: fc.constant('fuzz.object') },
  { weight: 1, arbitrary: fc.constantFrom('Pyro.Daemon', 'nope', '__proto__', 'constructor', '') },
);

export const FUZZ_OBJECT = 'fuzz.object';

/** The payload of a request: a call tuple (or json object), a handshake dict, or anything. */
const payloadFor = (serializerId: number): fc.Arbitrary<Buffer> => {
  const call = fc.record({
    obj: objectName,
    method: methodName,
    vargs: fc.array(argValue, { maxLength: 3 }),
    kwargs: fc.uniqueArray(fc.tuple(fc.constantFrom('value', 'a', 'b', 'ms', '__proto__', 'x'), argValue), { maxLength: 2, selector: ([k]) => k }),
  });
  const asSerpent = call.map(({ obj, method, vargs, kwargs }) =>
    serialize(new PyTuple([obj, method, new PyTuple(vargs), pyObject(kwargs)])),
  );
  const asJson = call.map(({ obj, method, vargs, kwargs }) => {
    try {
      return jsonDumps(pyObject([['object', obj], ['method', method], ['params', vargs], ['kwargs', pyObject(kwargs)]]));
    } catch {
      return Buffer.from('{"object": "fuzz.object", "method": "echo", "params": [1], "kwargs": {}}');
    }
  });
  const batch = fc.array(fc.tuple(methodName, fc.array(argValue, { maxLength: 2 })), { maxLength: 4 }).map((items) =>
    serialize(new PyTuple([FUZZ_OBJECT, '<batch>', new PyTuple(items.map(([m, a]) => new PyTuple([m, new PyTuple(a), pyObject()]))), pyObject()])),
  );
  const handshake = objectName.map((o) => serialize(pyObject([['handshake', 'hello'], ['object', o]])));
  return fc.oneof(
    { weight: 5, arbitrary: serializerId === 2 ? asJson : asSerpent },
    { weight: 1, arbitrary: batch },
    { weight: 1, arbitrary: handshake },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  );
};

export interface FrameSpec {
  type: number;
  flags: number;
  seq: number;
  serializerId: number;
  annotations: [string, Uint8Array][];
  payload: Buffer;
  hmac: boolean;
}

/** A structurally valid frame (correct checksum and lengths) with fields drawn from every corner. */
export const frameSpec: fc.Arbitrary<FrameSpec> = fc
  .record({
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 4, 6) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    flags: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(0, Flags.ONEWAY, Flags.BATCH, Flags.META_ON_CONNECT, Flags.COMPRESSED) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    seq: fc.integer({ min: 0, max: 0xffff }),
    serializerId: fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }) }),
    annotations: fc.uniqueArray(
      fc.tuple(fc.constantFrom('CORR', 'HMAC', 'BLBL', 'XXXX', 'a\x7e !'), fc.uint8Array({ maxLength: 20 })),
      { maxLength: 3, selector: ([k]) => k },
    ),
    hmac: fc.boolean(),
  })
  .chain((r) => payloadFor(r.serializerId).map((payload) => ({ ...r, payload })));

export function encodeSpec(spec: FrameSpec, hmacKey?: string): Buffer {
  return encodeMessage({
    type: spec.type,
    flags: spec.flags,
    seq: spec.seq,
    serializerId: spec.serializerId,
    annotations: new Map(spec.annotations.filter(([k]) => k !== 'HMAC')),
    payload: spec.payload,
    hmacKey: spec.hmac && hmacKey ? toHmacKey(hmacKey) : undefined,
  });
}

/** Rewrites the header checksum of the frame at `offset` so a header edit gets past it. */
export function fixChecksum(frame: Buffer, offset = 0): void {
  if (frame.length < offset + 24) return;
  const h = frame.subarray(offset, offset + 24);
  const sum =
    (h.readUInt16BE(6) + h.readUInt16BE(4) + h.readInt32BE(12) + h.readUInt16BE(18) + h.readUInt16BE(16) + h.readUInt16BE(8) + h.readUInt16BE(10) + 0x34e9) &
    0xffff;
  h.writeUInt16BE(sum, 22);
}

/** Header fields a mutation may overwrite (then the checksum is fixed, so the edit is read). */
const headerEdit = fc.record({
  field: fc.constantFrom(6, 8, 10, 12, 16, 18),
  value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 0x7fff, 0xffff)),
});

/** A frame, then: left alone, mutated with its checksum fixed, or mutated raw. */
export const mutatedFrame: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: frameSpec.map((s) => encodeSpec(s)) },
  {
    weight: 3,
    arbitrary: fc.tuple(frameSpec, fc.array(headerEdit, { maxLength: 2 }), fc.array(mutation, { maxLength: 3 })).map(([s, edits, ms]) => {
      const frame = encodeSpec(s);
      const header = Buffer.from(frame.subarray(0, 24));
      for (const e of edits) {
        if (e.field === 12) header.writeInt32BE(e.value, 12);
        else header.writeUInt16BE(e.value, e.field);
      }
      const body = mutate(frame.subarray(24), ms);
      // Body edits change its length: keep the header's data length honest unless it was edited.
      if (!edits.some((e) => e.field === 12 || e.field === 18)) header.writeInt32BE(Math.max(0, body.length - header.readUInt16BE(18)), 12);
      const out = Buffer.concat([header, body]);
      fixChecksum(out);
      return out;
    }),
  },
  { weight: 2, arbitrary: fc.tuple(frameSpec, mutations).map(([s, ms]) => mutate(encodeSpec(s), ms)) },
);

/** Cut points (fractions of the length) splitting a stream into chunks. */
export const chunking = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

export function chunk(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(from, p)));
    from = p;
  }
  return out;
}
