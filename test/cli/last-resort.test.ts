// focusd's last resort for a bug nothing caught: logged at critical with the stack, the focuser
// stopped as on SIGTERM, and a non-zero exit (systemd restarts it). Driven with a stand-in process.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { INTERNAL_ERROR_EXIT, installLastResort } from '../../src/cli/last-resort.js';

function rig(stop: () => Promise<void>, graceMs = 5000) {
  const proc = new EventEmitter();
  const fatal: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const exits: number[] = [];
  let exited!: () => void;
  const firstExit = new Promise<void>((resolve) => (exited = resolve));
  installLastResort(proc, {
    log: { fatal: (fields, message) => fatal.push({ fields: fields as Record<string, unknown>, message }) },
    stop,
    exit: (code) => {
      exits.push(code);
      exited();
    },
    graceMs,
  });
  return { proc, fatal, exits, firstExit };
}

describe('focusd: an exception nothing caught', { timeout: 30_000 }, () => {
  test('an unhandled rejection is logged at critical with its stack, the focuser stopped, then exit 70', async () => {
    let stopped = false;
    const r = rig(async () => {
      stopped = true;
    });
    const error = new Error('INDI device FLI Atlas has no property FOCUS_ABORT_MOTION');
    r.proc.emit('unhandledRejection', error, Promise.resolve());
    await r.firstExit;
    assert.equal(stopped, true);
    assert.deepEqual(r.exits, [INTERNAL_ERROR_EXIT]);
    assert.equal(INTERNAL_ERROR_EXIT, 70);
    assert.equal(r.fatal.length, 1);
    assert.equal(
      r.fatal[0]?.message,
      'internal error (unhandled promise rejection): INDI device FLI Atlas has no property FOCUS_ABORT_MOTION; halting the focuser and exiting with status 70 (systemd restarts focusd)',
    );
    assert.equal(r.fatal[0]?.fields.err, error.stack);
  });

  test('an uncaught exception whose stop never ends still exits, after the grace time', async () => {
    const r = rig(() => new Promise<void>(() => undefined), 200);
    r.proc.emit('uncaughtException', new TypeError('x is not a function'));
    await r.firstExit;
    assert.deepEqual(r.exits, [INTERNAL_ERROR_EXIT]);
    assert.match(r.fatal[0]?.message ?? '', /^internal error \(uncaught exception\): x is not a function; /);
  });

  test('a second failure while stopping exits at once; a thrown non-Error is named', async () => {
    const r = rig(() => new Promise<void>(() => undefined), 200);
    r.proc.emit('uncaughtException', 'a string');
    r.proc.emit('unhandledRejection', undefined, Promise.resolve());
    await r.firstExit;
    assert.deepEqual(r.exits, [INTERNAL_ERROR_EXIT]);
    assert.deepEqual(
      r.fatal.map((f) => f.message),
      [
        'internal error (uncaught exception): a string; halting the focuser and exiting with status 70 (systemd restarts focusd)',
        'another internal error (unhandled promise rejection) while stopping: undefined; exiting now',
      ],
    );
  });
});
