import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pyFloatRepr, pyJsonDumps } from '../../src/cli/focus/python-json.js';
import { runPython } from '../helpers/python.js';

/** Python's json.dumps of each float (sent as JS shortest round-trip text, which float() reads back exactly). */
function pythonDumps(floats: number[]): string[] {
  const hex = floats.map((f) => (Number.isNaN(f) ? 'nan' : f === Infinity ? 'inf' : f === -Infinity ? '-inf' : Object.is(f, -0) ? '-0.0' : f.toString()));
  return runPython(
    'import json, sys\n' +
      `for t in ${JSON.stringify(hex)}: print(json.dumps(float(t)))`,
  )
    .trim()
    .split('\n');
}

describe("Python's json.dumps", () => {
  test('floats are written as repr() writes them', () => {
    const fixed = [0.5, -0.0, 0.0, 1e-5, 1.5e-5, 0.0001, 123.456, 1e16, 1.2345e16, 9999999999999998, 1e21, 1e22, -2.5e-300, 5e-324,
      1.7976931348623157e308, NaN, Infinity, -Infinity, 21.25, 0.1 + 0.2];
    const generated = fc.sample(fc.double({ noNaN: true }), { numRuns: 400, seed: 7 });
    const all = [...fixed, ...generated];
    const py = pythonDumps(all);
    all.forEach((f, i) => assert.equal(pyFloatRepr(f), py[i], `float ${f}`));
  });

  test('a status dict prints as the same line Python prints', () => {
    const status = {
      date: '2026-11-24T12:00:00Z',
      status: 1,
      current_steps: 5000,
      target_steps: 5000,
      model: 'Atlas “focuser” é\u0001\t"\\',
      temperatures: [21.25, null, 1e-7],
      homed: true,
      at_limit: false,
      big: 2n ** 70n,
    };
    const py = runPython(
      'import json\n' +
        'd = {"date": "2026-11-24T12:00:00Z", "status": 1, "current_steps": 5000, "target_steps": 5000, ' +
        '"model": "Atlas \\u201cfocuser\\u201d \\u00e9\\u0001\\t\\"\\\\", "temperatures": [21.25, None, 1e-7], ' +
        '"homed": True, "at_limit": False, "big": 2**70}\n' +
        'print(json.dumps(d))',
    ).trim();
    assert.equal(pyJsonDumps(status), py);
  });

  test('astral characters are escaped as surrogate pairs, as ensure_ascii does', () => {
    const py = runPython('import json\nprint(json.dumps("\\U0001F52D x"))').trim();
    assert.equal(pyJsonDumps('\u{1F52D} x'), py);
  });
});
