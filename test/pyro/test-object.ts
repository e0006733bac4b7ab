// The Pyro object the daemon tests serve: echo, keyword arguments, exceptions on demand, a slow
// call, oneway recording, the caller's address and correlation id, and values built in TS.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  PyComplex,
  PyDict,
  PyFloat,
  PySet,
  PyTuple,
  PythonError,
  pyObject,
  type CallContext,
  type ExposedObject,
  type PyValue,
} from '../../src/pyro/index.js';

export const OBJECT_ID = 'test.object';

export interface TestState {
  /** Values received by the oneway `record` method, in order. */
  records: PyValue[];
  /** Calls to `sleep` currently running. */
  sleeping: number;
  /** Every call context seen by `whoami`. */
  contexts: CallContext[];
  /** Number of `count` calls. */
  counted: number;
}

export function newState(): TestState {
  return { records: [], sleeping: 0, contexts: [], counted: 0 };
}

function listOf(v: PyValue): PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  throw new PythonError('builtins.TypeError', ['expected a list or tuple of exception args']);
}

function nested(depth: number): PyValue {
  let v: PyValue = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/**
 * Values built on the TS side, returned by `values()`; test/fixtures/pyro/common.py holds what a
 * Python caller must see for each name (EXPECTED_TS_VALUES).
 */
export function tsValues(): Record<string, PyValue> {
  return {
    'null': null,
    'true': true,
    'false': false,
    'int 42': 42,
    'int -7': -7,
    'int 2^53-1': Number.MAX_SAFE_INTEGER,
    'number -0': -0,
    'number 0.1': 0.1,
    'number 1e300': 1e300,
    'number 1.5e-10': 1.5e-10,
    'PyFloat 2': new PyFloat(2),
    'bigint 2^64': 2n ** 64n,
    'bigint -2^70': -(2n ** 70n),
    'bigint 5': 5n,
    'Infinity': Infinity,
    '-Infinity': -Infinity,
    'NaN': NaN,
    'complex': new PyComplex(1, -2.5),
    'string': 'héllo\n\'"\\ 😀 \u2028 \x00',
    'lone surrogate': '\ud800',
    'Uint8Array': new Uint8Array([0, 1, 255]),
    'Buffer': Buffer.from('abc'),
    'list': [1, 'a', null, [true]],
    'tuple': new PyTuple([1, 'a']),
    'tuple 1': new PyTuple([new PyTuple([])]),
    'tuple empty': new PyTuple([]),
    'PySet': new PySet([1, 2, 'x']),
    'PySet empty': new PySet([]),
    'Set': new Set<PyValue>(['y']),
    'object': pyObject([
      ['a', 1],
      ['b', [2, pyObject([['c', null]])]],
    ]),
    'object proto keys': pyObject([
      ['__proto__', 1],
      ['constructor', 2],
      ['toString', 3],
    ]),
    'PyDict': new PyDict([
      [1, 'one'],
      [new PyTuple([1, 'x']), 'tuple'],
      [2.5, 'float'],
      [false, 'false'],
    ]),
    'Map': new Map<PyValue, PyValue>([[2, 'two']]),
    'nested 100': nested(100),
  };
}

export function testObject(state: TestState): ExposedObject {
  return {
    methods: {
      echo: { params: [{ name: 'value' }], call: (a: Record<string, PyValue>) => a['value'] ?? null },
      echo_kwargs: {
        params: [{ name: 'a' }, { name: 'b', default: 2 }, { name: 'c', default: null }],
        call: (a: Record<string, PyValue>) =>
          pyObject([
            ['a', a['a'] ?? null],
            ['b', a['b'] ?? null],
            ['c', a['c'] ?? null],
          ]),
      },
      fail: {
        params: [{ name: 'cls' }, { name: 'args', default: [] }],
        call: (a: Record<string, PyValue>): PyValue => {
          throw new PythonError(String(a['cls']), listOf(a['args'] ?? []));
        },
      },
      js_error: {
        call: (): PyValue => {
          throw new Error('a bug in a handler');
        },
      },
      sleep: {
        params: [{ name: 'seconds' }],
        call: async (a: Record<string, PyValue>, ctx: CallContext) => {
          state.sleeping++;
          try {
            await sleep(Number(a['seconds']) * 1000, undefined, { signal: ctx.signal });
          } finally {
            state.sleeping--;
          }
          return a['seconds'] ?? null;
        },
      },
      sleeping: { call: () => state.sleeping },
      record: {
        params: [{ name: 'value' }],
        oneway: true,
        call: (a: Record<string, PyValue>) => {
          state.records.push(a['value'] ?? null);
          return null;
        },
      },
      slow_record: {
        params: [{ name: 'seconds' }, { name: 'value' }],
        oneway: true,
        call: async (a: Record<string, PyValue>) => {
          await sleep(Number(a['seconds']) * 1000);
          state.records.push(a['value'] ?? null);
          return null;
        },
      },
      records: { call: () => [...state.records] },
      count: {
        call: () => {
          state.counted++;
          return state.counted;
        },
      },
      whoami: {
        call: (_a: Record<string, PyValue>, ctx: CallContext) => {
          state.contexts.push(ctx);
          return pyObject([
            ['host', ctx.clientHost],
            ['port', ctx.clientPort],
            ['correlation', ctx.correlationId ?? null],
            ['connection', ctx.connectionId],
          ]);
        },
      },
      values: { call: () => pyObject(Object.entries(tsValues())) },
    },
  };
}
