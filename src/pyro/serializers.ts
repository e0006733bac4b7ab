import { ProtocolError, SerializeError } from './errors.js';
import { jsonDumps, jsonLoads } from './json.js';
import { SerializerId, serializerName } from './message/index.js';
import { checkedCall, sequenceItems } from './python.js';
import {
  PyTuple,
  SerpentParseError,
  SerpentSerializeError,
  isPlainObject,
  parse,
  pyObject,
  serialize,
  type PyObject,
  type PyValue,
} from './serpent/index.js';

export interface DecodeLimits {
  maxDepth: number;
  /** Integral floats come back as `PyFloat`, so they go back out as floats. */
  preserveFloats: boolean;
}

export interface Call {
  objectId: string;
  method: string;
  vargs: PyValue[];
  kwargs: PyObject;
}

/** One of Pyro4's serializers, as far as a peer that refuses to run code can support it. */
export interface Serializer {
  readonly id: number;
  readonly name: string;
  dumps(value: PyValue): Buffer;
  loads(data: Uint8Array, limits: DecodeLimits): PyValue;
  dumpsCall(call: Call): Buffer;
  loadsCall(data: Uint8Array, limits: DecodeLimits): Call;
}

/** Frozen, and so is every object and array inside it: nothing in it can change. */
function deeplyFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(deeplyFrozen);
}

/**
 * Serializes each frozen value once: a value a handler returns frozen all the way down cannot
 * change, and its bytes are reused while it lives. A daemon answering the same status to many calls
 * (focusd's report_status within one second and one state) encodes it once. A value frozen only on
 * top is encoded every time, as any other.
 */
function reusingFrozen(dumps: (value: PyValue) => Buffer): (value: PyValue) => Buffer {
  const done = new WeakMap<object, Buffer>();
  return (value) => {
    if (value === null || typeof value !== 'object' || !Object.isFrozen(value)) return dumps(value);
    let bytes = done.get(value);
    if (bytes === undefined) {
      bytes = dumps(value);
      if (deeplyFrozen(value)) done.set(value, bytes);
    }
    return bytes;
  };
}

const serpent: Serializer = {
  id: SerializerId.serpent,
  name: 'serpent',
  dumps: reusingFrozen((value) => wrap(() => serialize(value))),
  loads: (data, limits) =>
    wrap(() => parse(data, { maxDepth: limits.maxDepth, maxLength: Number.MAX_SAFE_INTEGER, preserveFloats: limits.preserveFloats })),
  dumpsCall: (call) => wrap(() => serialize(new PyTuple([call.objectId, call.method, new PyTuple(call.vargs), call.kwargs]))),
  loadsCall(data, limits) {
    const value = serpent.loads(data, limits);
    const items = sequenceItems(value);
    if (!items || items.length !== 4) throw new ProtocolError('invalid call: expected (object id, method, vargs, kwargs)');
    return call(items[0], items[1], items[2], items[3]);
  },
};

const json: Serializer = {
  id: SerializerId.json,
  name: 'json',
  dumps: reusingFrozen((value) => jsonDumps(value)),
  loads: (data, limits) => jsonLoads(data, limits),
  dumpsCall: (call) =>
    jsonDumps(pyObject([
      ['object', call.objectId],
      ['method', call.method],
      ['params', call.vargs],
      ['kwargs', call.kwargs],
    ])),
  loadsCall(data, limits) {
    const value = jsonLoads(data, limits);
    if (!isPlainObject(value)) throw new ProtocolError('invalid call: expected a json object');
    return call(value.object, value.method, value.params, value.kwargs);
  },
};

function call(objectId: PyValue | undefined, method: PyValue | undefined, vargs: PyValue | undefined, kwargs: PyValue | undefined): Call {
  if (typeof objectId !== 'string') throw new ProtocolError('invalid call: object id is not a str');
  return { objectId, ...checkedCall('call', method, vargs, kwargs) };
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SerpentParseError || e instanceof SerpentSerializeError) throw new SerializeError(e.message);
    throw e;
  }
}

const accepted = new Map<number, Serializer>([
  [serpent.id, serpent],
  [json.id, json],
]);

/**
 * The serializer for an id. marshal, pickle, dill, cloudpickle and msgpack are refused: the first
 * four can run code on unpickling, and none of them is needed by a rockit client.
 */
export function serializerFor(id: number): Serializer {
  const found = accepted.get(id);
  if (found) return found;
  throw new SerializeError(
    `message used serializer that is not accepted: ${id} (${serializerName(id)}); this daemon accepts serpent and json`,
  );
}

export function isAcceptedSerializer(id: number): boolean {
  return accepted.has(id);
}

/** The serializer to answer a request in: its own when accepted, else serpent (always readable by Pyro4). */
export function replySerializerFor(id: number): Serializer {
  return accepted.get(id) ?? serpent;
}

export const serpentSerializer = serpent;
export const jsonSerializer = json;
