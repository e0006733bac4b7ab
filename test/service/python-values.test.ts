import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyComplex, PyDict, PyFloat, PySet, PyTuple, pyObject } from '../../src/pyro/serpent/index.js';
import { pyTruthy, pyTypeName } from '../../src/service/python-values.js';

test('offset is read with Python truthiness', () => {
  const falsy = [null, false, 0, 0n, '', [], new PyTuple([]), new PySet([]), new PyDict([]), pyObject(), new PyFloat(0), new PyComplex(0, 0)];
  const truthy = [true, 1, -1, 2n, 'no', [0], new PyTuple([null]), pyObject([['a', null]]), new PyFloat(0.5), new PyComplex(0, 1)];
  falsy.forEach((v, i) => assert.equal(pyTruthy(v), false, `falsy #${i}`));
  truthy.forEach((v, i) => assert.equal(pyTruthy(v), true, `truthy #${i}`));
});

test('type names are the ones a Python caller sees in the TypeError', () => {
  assert.deepEqual(
    [null, true, 1, 1.5, 'x', [1], new PyTuple([]), pyObject(), new Uint8Array(1)].map(pyTypeName),
    ['NoneType', 'bool', 'int', 'float', 'str', 'list', 'tuple', 'dict', 'bytes'],
  );
});
