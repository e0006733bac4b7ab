import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonDumps, jsonText, PyFloat, pyObject, PyTuple, type PyValue } from '../../src/pyro/index.js';
import { runPython } from '../helpers/python.js';

/** Python's json.dumps of each float (sent as JS shortest round-trip text, which float() reads back exactly). */
function pythonDumps(floats: number[]): string[] {
  const texts = floats.map((f) => (Number.isNaN(f) ? 'nan' : f === Infinity ? 'inf' : f === -Infinity ? '-inf' : Object.is(f, -0) ? '-0.0' : f.toString()));
  return runPython('import json, sys\n' + `for t in ${JSON.stringify(texts)}: print(json.dumps(float(t)))`)
    .trim()
    .split('\n');
}

/** A status dict with text json escapes differently with and without ensure_ascii, and Python's literal of it. */
const status = pyObject([
  ['date', '2026-11-24T12:00:00Z'],
  ['status', 1],
  ['current_steps', 5000],
  ['model', 'Atlas “focuser” é\u0001\t"\\\u007f\u{1F52D}'],
  ['temperatures', [new PyFloat(21.25), null, new PyFloat(1e-7), new PyFloat(3)]],
  ['range', new PyTuple([0, 10000])],
  ['homed', true],
  ['big', 2n ** 70n],
]);
const statusPython =
  'd = {"date": "2026-11-24T12:00:00Z", "status": 1, "current_steps": 5000, ' +
  '"model": "Atlas \\u201cfocuser\\u201d \\u00e9\\u0001\\t\\"\\\\\\x7f\\U0001F52D", "temperatures": [21.25, None, 1e-7, 3.0], ' +
  '"range": (0, 10000), "homed": True, "big": 2**70}';

describe("Python's json.dumps", () => {
  test('floats are written as repr() writes them', () => {
    const fixed = [0.5, -0.0, 0.0, 1e-5, 1.5e-5, 0.0001, 123.456, 1e16, 1.2345e16, 9999999999999998, 1e21, 1e22, -2.5e-300, 5e-324,
      1.7976931348623157e308, NaN, Infinity, -Infinity, 21.25, 0.1 + 0.2, 3];
    const generated = fc.sample(fc.double(), { numRuns: 400, seed: 7 });
    const all = [...fixed, ...generated];
    const py = pythonDumps(all);
    all.forEach((f, i) => assert.equal(jsonText(new PyFloat(f)), py[i], `float ${f}`));
  });

  test('with ensureAscii, a status dict prints as the line json.dumps(d) prints (focus json)', () => {
    const py = runPython(`import json\n${statusPython}\nprint(json.dumps(d))`).trim();
    assert.equal(jsonText(status, { ensureAscii: true }), py);
  });

  test("without it, the bytes are Pyro4's json serializer's: json.dumps(d, ensure_ascii=False) in UTF-8", () => {
    const py = runPython(`import json, sys\n${statusPython}\nsys.stdout.buffer.write(json.dumps(d, ensure_ascii=False).encode('utf-8'))`);
    assert.equal(jsonDumps(status).toString('utf8'), py);
  });

  test('astral characters are escaped as surrogate pairs with ensureAscii, as ensure_ascii does', () => {
    const py = runPython('import json\nprint(json.dumps("\\U0001F52D x"))').trim();
    assert.equal(jsonText('\u{1F52D} x' as PyValue, { ensureAscii: true }), py);
  });
});
