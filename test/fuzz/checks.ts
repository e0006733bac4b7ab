// The properties the fuzzers check, as plain functions that throw on a violation. Shared by the
// bounded tests and test/fuzz/long-run.ts, so the long run checks exactly what npm test checks.
import assert from 'node:assert/strict';
import {
  MessageDecoder,
  ProtocolError,
  PyComplex,
  PyDict,
  PyFloat,
  PySet,
  PyTuple,
  SecurityError,
  SerpentParseError,
  checkHmac,
  decompressedPayload,
  isAcceptedSerializer,
  parse,
  serializerFor,
  toHmacKey,
  type Message,
  type PyValue,
} from '../../src/pyro/index.js';
import { chunk } from './generators.js';

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const ARRAY_PROTO_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join(',');

/** Object.prototype and Array.prototype still have exactly their built-in properties. */
export function assertNoPollution(): void {
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(','), PROTO_NAMES, 'Object.prototype was polluted');
  assert.equal(Object.getOwnPropertyNames(Array.prototype).sort().join(','), ARRAY_PROTO_NAMES, 'Array.prototype was polluted');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype.polluted is set');
}

/**
 * The value is plain data: primitives, bytes, arrays and the serpent value classes, dicts as
 * null-prototype objects with data properties only. No function, getter or foreign prototype.
 */
export function assertPlainData(value: PyValue, depth = 0): void {
  assert.ok(depth < 5000, 'value nested impossibly deep');
  if (value === null) return;
  const t = typeof value;
  if (t === 'boolean' || t === 'number' || t === 'bigint' || t === 'string') return;
  assert.equal(t, 'object', `value of type ${t} in parsed data`);
  if (Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    assert.equal(Object.getPrototypeOf(value), Array.prototype);
    for (const v of value) assertPlainData(v, depth + 1);
    return;
  }
  if (value instanceof PyTuple || value instanceof PySet) {
    for (const v of value.items) assertPlainData(v, depth + 1);
    return;
  }
  if (value instanceof PyDict) {
    for (const [k, v] of value.entries) {
      assertPlainData(k, depth + 1);
      assertPlainData(v, depth + 1);
    }
    return;
  }
  if (value instanceof PyComplex || value instanceof PyFloat) return;
  assert.equal(Object.getPrototypeOf(value), null, `parsed object with prototype ${String(Object.getPrototypeOf(value)?.constructor?.name)}`);
  for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
    assert.ok('value' in d && d.get === undefined && d.set === undefined, `accessor property ${key}`);
    assertPlainData(d.value as PyValue, depth + 1);
  }
}

/** parse() of the bytes (a text as UTF-8) returns plain data or throws SerpentParseError with a sane position; nothing else. */
export function checkSerpent(text: string | Uint8Array, maxDepth?: number): 'parsed' | 'refused' {
  const input = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let outcome: 'parsed' | 'refused';
  for (const preserveFloats of [false, true]) {
    try {
      const v = parse(input, { ...(maxDepth !== undefined ? { maxDepth } : {}), preserveFloats });
      assertPlainData(v);
      outcome = 'parsed';
    } catch (err) {
      if (!(err instanceof SerpentParseError)) throw err;
      assert.ok(err.position >= 0 && err.position <= input.length, `error position ${err.position} outside the input (${input.length})`);
      assert.ok(err.line >= 1 && err.column >= 1, 'error line/column');
      outcome = 'refused';
    }
  }
  assertNoPollution();
  return outcome!;
}

interface Decoded {
  messages: Message[];
  error: ProtocolError | null;
  pending: number;
}

function decodeChunks(chunks: readonly Uint8Array[], maxMessageSize: number): Decoded {
  const decoder = new MessageDecoder({ maxMessageSize });
  const messages: Message[] = [];
  for (const c of chunks) {
    try {
      messages.push(...decoder.push(c));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // A failed decoder stays failed.
      assert.throws(() => decoder.push(Buffer.from('PYRO')), ProtocolError);
      return { messages, error: err, pending: decoder.pending };
    }
  }
  return { messages, error: null, pending: decoder.pending };
}

const sameMessage = (a: Message, b: Message): boolean =>
  a.type === b.type &&
  a.flags === b.flags &&
  a.seq === b.seq &&
  a.serializerId === b.serializerId &&
  a.payload.equals(b.payload) &&
  a.annotations.size === b.annotations.size &&
  [...a.annotations].every(([k, v]) => b.annotations.get(k)?.equals(v) === true);

/**
 * Feeds `bytes` to a MessageDecoder byte by byte (the reference) and in the given chunks: both
 * give the same messages (chunked: a prefix, when an error ends it) and the same error class,
 * and every error is a ProtocolError. Then every message goes through what the daemon does
 * next (decompress, HMAC check, deserialize the call) and may only fail with typed errors.
 */
export function checkDecoder(bytes: Uint8Array, cuts: readonly number[], maxMessageSize = 4096): { messages: number; error: boolean } {
  const single = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const reference = decodeChunks(single, maxMessageSize);
  const chunked = decodeChunks(chunk(bytes, cuts), maxMessageSize);
  assert.equal(Boolean(chunked.error), Boolean(reference.error), `error ${String(chunked.error)} vs byte-wise ${String(reference.error)}`);
  if (reference.error) {
    assert.equal(chunked.error?.constructor, reference.error.constructor);
    assert.equal(chunked.error?.message, reference.error.message);
    assert.ok(chunked.messages.length <= reference.messages.length);
  } else {
    assert.equal(chunked.messages.length, reference.messages.length);
    assert.equal(chunked.pending, reference.pending);
  }
  chunked.messages.forEach((m, i) => assert.ok(sameMessage(m, reference.messages[i] as Message), `message ${i} differs between chunkings`));
  for (const m of reference.messages) checkAfterDecode(m, maxMessageSize);
  return { messages: reference.messages.length, error: reference.error !== null };
}

const KEY = toHmacKey('fuzz-key');

/** What the daemon does with a decoded message, each step allowed to fail only with its typed error. */
export function checkAfterDecode(message: Message, maxMessageSize: number): void {
  for (const key of [undefined, KEY]) {
    const problem = checkHmac(message, key);
    assert.ok(problem === null || problem instanceof SecurityError);
  }
  let payload: Buffer;
  try {
    payload = decompressedPayload(message, maxMessageSize);
    assert.ok(payload.length <= Math.max(maxMessageSize, message.payload.length));
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return;
  }
  if (!isAcceptedSerializer(message.serializerId)) {
    assert.throws(() => serializerFor(message.serializerId), ProtocolError);
    return;
  }
  const serializer = serializerFor(message.serializerId);
  try {
    const call = serializer.loadsCall(payload, { maxDepth: 100, preserveFloats: true });
    assert.equal(typeof call.objectId, 'string');
    assert.equal(typeof call.method, 'string');
    for (const a of call.vargs) assertPlainData(a);
    assertPlainData(call.kwargs);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
  try {
    assertPlainData(serializer.loads(payload, { maxDepth: 100, preserveFloats: false }));
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
  assertNoPollution();
}
