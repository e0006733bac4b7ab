import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkedCall, sequenceItems } from '../../src/pyro/python.js';
import {
  ProtocolError,
  PyComplex,
  PyDict,
  PyFloat,
  pyObject,
  PySet,
  PyTuple,
  pyTruthy,
  pyTypeName,
  serialize,
  type PyValue,
} from '../../src/pyro/index.js';
import { runPython } from '../helpers/python.js';

/** Python's bool(v) and type(v).__name__ of each value, as Pyro4 delivers it to Python (bytes and NaN decoded). */
function python(values: PyValue[]): [boolean, string][] {
  const docs = values.map((v) => serialize(v).toString('base64'));
  const code =
    'import base64, json, sys, serpent\n' +
    'out = []\n' +
    'for d in json.load(sys.stdin):\n' +
    '    v = serpent.loads(base64.b64decode(d))\n' +
    "    if isinstance(v, dict) and set(v) == {'data', 'encoding'}: v = serpent.tobytes(v)\n" +
    "    if isinstance(v, dict) and v.get('__class__') == 'float': v = float(v['value'])  # as Pyro4 reads NaN\n" +
    '    out.append([bool(v), type(v).__name__])\n' +
    'print(json.dumps(out))';
  return JSON.parse(runPython(code, JSON.stringify(docs))) as [boolean, string][];
}

describe('Python values as Python sees them', () => {
  const values: PyValue[] = [
    null, true, false, 0, -0, 1, -1, 0.5, 2 ** 60, NaN, -Infinity, 0n, 2n ** 70n, '', 'no', ' ', [], [0], [null], new PyTuple([]), new PyTuple([null]),
    new PySet([1]), new PyDict([]), new PyDict([[1, 2]]), pyObject(), pyObject([['a', null]]), new PyFloat(0), new PyFloat(2),
    new PyComplex(0, 0), new PyComplex(0, 1), new PyComplex(-1, 0), Buffer.alloc(0), Buffer.from('x'),
  ];

  test('pyTruthy is bool() and pyTypeName is type().__name__, judged by Python', () => {
    const py = python(values);
    values.forEach((v, i) => {
      assert.equal(pyTruthy(v), py[i]![0], `bool(${String(serialize(v))})`);
      assert.equal(pyTypeName(v), py[i]![1], `type(${String(serialize(v))})`);
    });
    assert.equal(pyTruthy(undefined), false, 'an absent value counts as None');
  });

  test('sequenceItems: the items of a list or tuple, of a set only when asked; null otherwise', () => {
    assert.deepEqual(sequenceItems([1, 2]), [1, 2]);
    assert.deepEqual(sequenceItems(new PyTuple(['a'])), ['a']);
    assert.equal(sequenceItems(new PySet(['a'])), null);
    assert.deepEqual(sequenceItems(new PySet(['a']), true), ['a']);
    for (const v of [null, undefined, 'ab', pyObject(), new PyDict([]), Buffer.from('ab')] as (PyValue | undefined)[]) assert.equal(sequenceItems(v, true), null);
  });

  test('checkedCall: the parts of a call, or a ProtocolError naming the part that is wrong', () => {
    assert.deepEqual(checkedCall('call', 'm', new PyTuple([1]), null), { method: 'm', vargs: [1], kwargs: pyObject() });
    assert.deepEqual(checkedCall('call', 'm', [], pyObject([['k', 2]])), { method: 'm', vargs: [], kwargs: pyObject([['k', 2]]) });
    const refusals: [PyValue | undefined, PyValue | undefined, PyValue | undefined, RegExp][] = [
      [1, [], null, /^invalid batch item: method name is not a str$/],
      ['m', pyObject(), null, /^invalid batch item: vargs is not a tuple or list$/],
      ['m', [], new PyDict([[1, 2]]), /^invalid batch item: kwargs is not a dict with str keys$/],
    ];
    for (const [method, vargs, kwargs, message] of refusals) {
      assert.throws(() => checkedCall('batch item', method, vargs, kwargs), (e: unknown) => e instanceof ProtocolError && message.test(e.message));
    }
  });
});
