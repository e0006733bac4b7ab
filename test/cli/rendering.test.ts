import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codeMessage, exitStatus, codeHasMessage } from '../../src/cli/focus/codes.js';
import { formatStatus, pad6, statusLine } from '../../src/cli/focus/status-format.js';
import { makeStyle, stripStyle } from '../../src/cli/focus/style.js';
import { formatTimeLeft, RateEstimator, renderProgress } from '../../src/cli/focus/progress.js';
import { parseStepArgument } from '../../src/cli/focus/arguments.js';
import { runPython } from '../helpers/python.js';

const plain = makeStyle({ tty: false, noColor: false });
const tty = makeStyle({ tty: true, noColor: false });
const ttyNoColor = makeStyle({ tty: true, noColor: true });

describe('status line', () => {
  test('reads as the Python tool prints it, zero-padded to six', () => {
    assert.equal(statusLine({ status: 0 }, plain), 'Focuser is OFFLINE');
    assert.equal(statusLine({ status: 1, current_steps: 5000 }, plain), 'Focuser is IDLE (005000 steps)');
    assert.equal(
      statusLine({ status: 2, current_steps: 4120, target_steps: 6000 }, plain),
      'Focuser is MOVING (004120 / 006000 steps)',
    );
    assert.equal(statusLine({ status: 9 }, plain), 'Focuser is UNKNOWN');
  });

  test("pads as Python's :06d does, sign included in the width", () => {
    assert.equal(pad6(0), '000000');
    assert.equal(pad6(-5), '-00005');
    assert.equal(pad6(1234567), '1234567');
    assert.equal(pad6(12345678901234567890n), '12345678901234567890');
    const py = runPython('import sys\nfor n in [0, 7, -7, 99999, 100000, -123456, 2**70]: print(f"{n:06d}")').trim().split('\n');
    assert.deepEqual([0, 7, -7, 99999, 100000, -123456, 2n ** 70n].map(pad6), py);
  });

  test('on a terminal: state bold + bright red / default / bright yellow, numbers bold (rich\'s codes)', () => {
    assert.equal(statusLine({ status: 0 }, tty), 'Focuser is \x1b[1;91mOFFLINE\x1b[0m');
    assert.equal(statusLine({ status: 1, current_steps: 5 }, tty), 'Focuser is \x1b[1;39mIDLE\x1b[0m (\x1b[1m000005\x1b[0m steps)');
    assert.equal(
      statusLine({ status: 2, current_steps: 1, target_steps: 2 }, tty),
      'Focuser is \x1b[1;93mMOVING\x1b[0m (\x1b[1m000001\x1b[0m / \x1b[1m000002\x1b[0m steps)',
    );
    assert.equal(statusLine({ status: 7 }, tty), 'Focuser is \x1b[1;91mUNKNOWN\x1b[0m');
  });

  test('NO_COLOR keeps bold and drops every colour', () => {
    const line = statusLine({ status: 2, current_steps: 1, target_steps: 2 }, ttyNoColor);
    assert.equal(line, 'Focuser is \x1b[1mMOVING\x1b[0m (\x1b[1m000001\x1b[0m / \x1b[1m000002\x1b[0m steps)');
    assert.doesNotMatch(line, /\x1b\[[0-9;]*(3|9)\dm/);
  });

  test('extra keys are shown on further lines, without styling when piped', () => {
    const text = formatStatus(
      {
        status: 1,
        current_steps: 5000,
        target_steps: 5000,
        max_steps: 100000,
        model: 'Atlas',
        serial_number: 'ATL-1',
        firmware_revision: 0x8043,
        temperatures: [21.25, null],
        homed: true,
        last_error: 'Focuser fault during move: gone',
      },
      plain,
    );
    assert.deepEqual(text.split('\n'), [
      'Focuser is IDLE (005000 steps)',
      '   Device: Atlas, serial ATL-1, firmware 0x8043, range 0 - 100000 steps',
      '   Temperature: 21.3 °C internal',
      '   Flags: homed',
      '   Last error: Focuser fault during move: gone',
    ]);
    assert.equal(formatStatus({ status: 0 }, plain), 'Focuser is OFFLINE');
  });
});

describe('codes', () => {
  test('every known code has upstream\'s message; others are "Unknown error code N"', () => {
    const expected: Record<number, string> = {
      1: 'error: command failed',
      2: 'error: another command is already running',
      3: 'error: command not accepted from this IP',
      4: 'error: device not found',
      6: 'error: requested position outside range',
      7: 'error: focuser is not connected',
      8: 'error: focuser is already connected',
      [-100]: 'error: terminated by user',
      [-101]: 'error: unable to communicate with focus daemon',
    };
    for (const [code, message] of Object.entries(expected)) assert.equal(codeMessage(Number(code)), message);
    assert.equal(codeMessage(5), 'error: Unknown error code 5');
    assert.equal(codeMessage(-3), 'error: Unknown error code -3');
    assert.equal(codeHasMessage(0), false);
    assert.equal(codeHasMessage(-1), false);
    assert.equal(codeHasMessage(-101), true);
  });

  test("exit statuses are what the shell sees for Python's sys.exit(code)", () => {
    const codes = [0, 1, 2, 3, 4, 6, 7, 8, -1, -100, -101, 255, 256, 300, -300];
    const py = runPython(
      'import subprocess, sys\n' +
        `for c in ${JSON.stringify(codes)}: print(subprocess.run([sys.executable, "-c", f"import sys; sys.exit({c})"]).returncode)`,
    )
      .trim()
      .split('\n')
      .map(Number);
    assert.deepEqual(codes.map(exitStatus), py);
    assert.equal(exitStatus(-101), 155);
    assert.equal(exitStatus(-100), 156);
    assert.equal(exitStatus(-1), 255);
  });
});

describe('step arguments', () => {
  test("accept what Python's int() accepts", () => {
    assert.equal(parseStepArgument('2000'), 2000);
    assert.equal(parseStepArgument('-150'), -150);
    assert.equal(parseStepArgument('+7'), 7);
    assert.equal(parseStepArgument(' 12 '), 12);
    assert.equal(parseStepArgument('1_000'), 1000);
    assert.equal(parseStepArgument('123456789012345678901234567890'), 123456789012345678901234567890n);
  });

  test("reject what Python's int() rejects", () => {
    for (const bad of ['', 'abc', '1.5', '1e3', '0x10', '1__0', '_1', '1_', '--1', '12a']) {
      assert.throws(() => parseStepArgument(bad), /Not an integer/, bad);
    }
  });

  test('agree with Python int() on generated strings', () => {
    const samples = fc.sample(fc.stringMatching(/^[ +\-_0-9a.]{0,6}$/), { numRuns: 300, seed: 42 });
    const py = JSON.parse(
      runPython(
        'import json, sys\nout = []\n' +
          `for s in json.loads(${JSON.stringify(JSON.stringify(samples))}):\n` +
          '    try: out.append(str(int(s)))\n    except ValueError: out.append(None)\n' +
          'print(json.dumps(out))',
      ),
    ) as Array<string | null>;
    samples.forEach((s, i) => {
      let ours: string | null;
      try {
        ours = String(parseStepArgument(s));
      } catch {
        ours = null;
      }
      assert.equal(ours, py[i], JSON.stringify(s));
    });
  });
});

describe('progress line', () => {
  test('shows bar, position / target, rate and time left', () => {
    const line = renderProgress({ start: 0, current: 500, target: 1000, rate: 250 }, 100, plain);
    assert.equal(line, `[${'█'.repeat(20)}${'░'.repeat(20)}] 000500 / 001000 steps  250 steps/s  2.0 s left`);
  });

  test('moving inwards fills the bar the same way', () => {
    const line = renderProgress({ start: 1000, current: 750, target: 0, rate: null }, 100, plain);
    assert.match(line, /^\[█{10}░{30}\] 000750 \/ 000000 steps  -- steps\/s  -- s left$/);
  });

  test('fits a narrow terminal: the bar goes first, then the timing', () => {
    const frame = { start: 0, current: 1, target: 10, rate: 3 };
    for (const columns of [200, 80, 60, 50, 40, 30, 10]) {
      const line = stripStyle(renderProgress(frame, columns, tty));
      assert.ok(line.length <= Math.max(columns - 1, 24), `${columns}: ${line}`);
      assert.match(line, /000001 \/ 000010 steps/);
    }
    assert.equal(renderProgress(frame, 20, plain), '000001 / 000010 steps');
  });

  test('time left in seconds, then minutes', () => {
    assert.equal(formatTimeLeft(0, null), '0.0 s');
    assert.equal(formatTimeLeft(100, 40), '2.5 s');
    assert.equal(formatTimeLeft(6500, 100), '1:05 min');
    assert.equal(formatTimeLeft(5, 0), '-- s');
  });

  test('the rate is estimated from successive positions and smoothed', () => {
    const r = new RateEstimator(0.5);
    assert.equal(r.rate, null);
    r.sample(0, 0);
    assert.equal(r.rate, null);
    r.sample(100, 1000);
    assert.equal(r.rate, 100);
    r.sample(400, 2000);
    assert.equal(r.rate, 200);
    r.sample(400, 2000);
    assert.equal(r.rate, 200, 'a sample at the same instant is ignored');
  });
});
