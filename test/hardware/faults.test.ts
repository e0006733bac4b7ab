import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadReplyError,
  DeviceClosedError,
  DeviceDisconnectedError,
  DeviceNotFoundError,
  ManualClock,
  SimulatedAtlas,
  SimulatedUsbTransport,
  TransferTimeoutError,
  openAtlas,
  type AtlasFocuser,
} from '../../src/hardware/index.js';

const TIMEOUT = 5000;

async function rig(): Promise<{ sim: SimulatedAtlas; clock: ManualClock; f: AtlasFocuser }> {
  const clock = new ManualClock(0);
  const sim = new SimulatedAtlas({ clock, position: 1000, stepRate: 1000 });
  const f = await openAtlas({ simulator: sim, transferTimeoutMs: TIMEOUT });
  return { sim, clock, f };
}

/** Settles `promise` into a value or an error without letting it go unhandled. */
function watch<T>(promise: Promise<T>): { settled(): boolean; result: Promise<{ value?: T; error?: unknown }> } {
  let done = false;
  const result = promise.then(
    (value) => ((done = true), { value }),
    (error: unknown) => ((done = true), { error }),
  );
  return { settled: () => done, result };
}
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** After a fault: the driver closes cleanly and a new one opens and works once the fault is gone. */
async function closesAndReopens(f: AtlasFocuser, sim: SimulatedAtlas): Promise<void> {
  await f.close();
  await assert.rejects(f.position(), DeviceClosedError);
  const again = await openAtlas({ simulator: sim, transferTimeoutMs: TIMEOUT });
  assert.equal(typeof (await again.position()), 'number');
  await again.close();
}

describe('fault injection: each fault gives its typed error, then close and reopen work', () => {
  test('unplug: every exchange fails with DeviceDisconnectedError, the transport reports it, reopening finds nothing until replug', async () => {
    const { sim, f } = await rig();
    assert.equal(await f.position(), 1000);
    sim.unplug();
    await assert.rejects(f.position(), DeviceDisconnectedError);
    await assert.rejects(f.halt(), DeviceDisconnectedError);
    await f.close();
    await assert.rejects(openAtlas({ simulator: sim }), (e: unknown) => e instanceof DeviceNotFoundError && /unplugged/.test(e.message));
    sim.replug();
    await closesAndReopens(await openAtlas({ simulator: sim }), sim);
  });

  test('unplug while an exchange waits for its reply fails it at once, not at the time-out', async () => {
    const { sim, clock, f } = await rig();
    sim.setReplyDelay(1000);
    const pending = watch(f.position());
    await flush();
    assert.equal(pending.settled(), false);
    sim.unplug();
    await flush();
    assert.equal(pending.settled(), true, 'failed without the clock moving');
    assert.ok((await pending.result).error instanceof DeviceDisconnectedError);
    assert.equal(clock.now(), 0);
    sim.replug();
    sim.setReplyDelay(0);
    await closesAndReopens(f, sim);
  });

  test('unplugAfter(ms) during a move: the move runs, then the next exchange fails', async () => {
    const { sim, clock, f } = await rig();
    await f.moveRelative(2000);
    sim.unplugAfter(500);
    clock.advance(400);
    assert.equal(await f.position(), 1400);
    clock.advance(100);
    assert.equal(sim.unplugged, true);
    await assert.rejects(f.status(), DeviceDisconnectedError);
    sim.replug();
    await closesAndReopens(f, sim);
  });

  test('replug cancels a pending unplugAfter', async () => {
    const { sim, clock, f } = await rig();
    sim.unplugAfter(100);
    sim.replug();
    clock.advance(200);
    assert.equal(sim.unplugged, false);
    assert.equal(await f.position(), 1000);
    await f.close();
  });

  test('stall: the status says moving while the position stays frozen', async () => {
    const { sim, clock, f } = await rig();
    await f.moveRelative(1000);
    clock.advance(300);
    sim.setStalled(true);
    clock.advance(5000);
    assert.equal(await f.position(), 1300);
    assert.equal((await f.status()) & 0x07, 0x02);
    assert.equal(await f.stepsRemaining(), 700);
    await f.halt();
    assert.equal((await f.status()) & 0x07, 0, 'a halt still stops a stalled motor');
    sim.setStalled(false);
    await closesAndReopens(f, sim);
  });

  test('wrong echo: the open sequence, moves, halt and home fail with BadReplyError naming the command', async () => {
    const { sim, f } = await rig();
    sim.setWrongEcho(true);
    await assert.rejects(f.moveRelative(10), (e: unknown) => e instanceof BadReplyError && e.command === 'move');
    await assert.rejects(f.halt(), (e: unknown) => e instanceof BadReplyError && e.command === 'halt');
    await assert.rejects(f.home(), (e: unknown) => e instanceof BadReplyError && e.command === 'home');
    await assert.rejects(openAtlas({ simulator: sim }), (e: unknown) => e instanceof BadReplyError && e.command === 'echo');
    sim.setWrongEcho(false);
    await closesAndReopens(f, sim);
  });

  test('short reply: every command fails with BadReplyError naming it', async () => {
    const { sim, f } = await rig();
    sim.setShortReply(true);
    await assert.rejects(f.position(), (e: unknown) => e instanceof BadReplyError && e.command === 'position' && /expected 4 bytes/.test(e.message));
    await assert.rejects(f.status(), (e: unknown) => e instanceof BadReplyError && e.command === 'status');
    await assert.rejects(f.temperature(0), (e: unknown) => e instanceof BadReplyError && e.command === 'temperature');
    await assert.rejects(f.moveRelative(5), (e: unknown) => e instanceof BadReplyError && e.command === 'move');
    await assert.rejects(openAtlas({ simulator: sim }), (e: unknown) => e instanceof BadReplyError && e.command === 'echo');
    sim.setShortReply(false);
    await closesAndReopens(f, sim);
  });

  test('slow reply within the time-out arrives; past it the exchange fails with TransferTimeoutError at the time-out', async () => {
    const { sim, clock, f } = await rig();
    sim.setReplyDelay(100);
    const quick = watch(f.position());
    await flush();
    assert.equal(quick.settled(), false);
    clock.advance(100);
    assert.equal((await quick.result).value, 1000);

    sim.setReplyDelay(TIMEOUT + 1000);
    const slow = watch(f.status());
    await flush();
    clock.advance(TIMEOUT - 1);
    await flush();
    assert.equal(slow.settled(), false, 'not before the time-out');
    clock.advance(1);
    const { error } = await slow.result;
    assert.ok(error instanceof TransferTimeoutError, String(error));
    assert.equal(error.command, 'status');
    assert.equal(error.timeoutMs, TIMEOUT);
    assert.match(error.message, /status: no reply from the focuser within 5000 ms/);
    assert.equal(clock.pending, 0, 'no timer left behind');
    sim.setReplyDelay(0);
    await closesAndReopens(f, sim);
  });

  test('a slow reply during the open sequence times out and leaves nothing open', async () => {
    const clock = new ManualClock(0);
    const sim = new SimulatedAtlas({ clock });
    sim.setReplyDelay(60_000);
    const opening = watch(openAtlas({ simulator: sim, transferTimeoutMs: 2000 }));
    await flush();
    clock.advance(2000);
    const { error } = await opening.result;
    assert.ok(error instanceof TransferTimeoutError && error.command === 'echo', String(error));
    sim.setReplyDelay(0);
    const f = await openAtlas({ simulator: sim });
    await f.close();
  });

  test('exchanges are serialized: a command waits for the slow one before it on the wire', async () => {
    const { sim, clock, f } = await rig();
    sim.setReplyDelay(50);
    sim.clearCommands();
    const first = watch(f.position());
    const second = watch(f.halt());
    await flush();
    assert.equal(sim.commands.length, 1, 'the halt is not on the wire while the position read waits');
    clock.advance(50);
    await first.result;
    await flush();
    assert.equal(sim.commands.length, 2);
    assert.equal(second.settled(), false);
    clock.advance(50);
    assert.equal((await second.result).error, undefined);
    sim.setReplyDelay(0);
    await f.close();
  });

  test('close while a reply is overdue does not hang: the waiting exchange fails with DeviceClosedError', async () => {
    const clock = new ManualClock(0);
    const sim = new SimulatedAtlas({ clock });
    const f = await openAtlas({ simulator: sim, transferTimeoutMs: 50 });
    sim.setReplyDelay(10_000);
    const pending = watch(f.position());
    await flush();
    await f.close(); // waits at most one transfer time-out (50 ms of real time here)
    assert.ok((await pending.result).error instanceof DeviceClosedError);
    sim.setReplyDelay(0);
    const again = await openAtlas({ simulator: sim });
    await again.close();
  });
});
