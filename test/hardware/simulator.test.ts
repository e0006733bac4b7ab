import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AtlasStatusBits as S,
  ManualClock,
  SimulatedAtlas,
  openAtlas,
  type AtlasFocuser,
  type SimulatedAtlasOptions,
} from '../../src/hardware/index.js';
import { hex } from './scripted-transport.js';

/** A driver on a simulator whose motor runs on a manual clock. */
async function rig(options: SimulatedAtlasOptions = {}): Promise<{ sim: SimulatedAtlas; clock: ManualClock; f: AtlasFocuser }> {
  const clock = new ManualClock(1_000_000);
  const sim = new SimulatedAtlas({ clock, ...options });
  const f = await openAtlas({ simulator: sim });
  return { sim, clock, f };
}

const written = (sim: SimulatedAtlas): string[] => sim.commands.map((c) => hex(c.bytes));

/** Waits (real time, briefly) until `check` holds; for the driver's background chunking. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('driver against the simulated Atlas, byte for byte (firmware 0x8043, hardware type 0xff)', () => {
  test('the open sequence and every command put the reference bytes on the wire', async () => {
    const { sim, f } = await rig({ extent: 100000, position: 5000, stepRate: 800, temperatures: [21.5, -2.25], serialNumber: 'ATL-42', model: 'Atlas Focuser' });
    assert.deepEqual(written(sim), ['80 00', '80 01', '80 02', '80 06 00 00', '80 0a', '80 09', '80 03']);
    assert.deepEqual(f.info, {
      model: 'Atlas Focuser',
      serialNumber: 'ATL-42',
      firmwareRevision: 0x8043,
      hardwareType: 0xff,
      extent: 100000,
      stepRate: 800,
      temperatureSensors: 2,
    });
    sim.clearCommands();
    assert.equal(await f.position(), 5000);
    assert.equal(await f.stepsRemaining(), 0);
    assert.equal(await f.status(), 0);
    await f.moveRelative(70000);
    await f.moveRelative(-100);
    await f.halt();
    await f.home();
    assert.equal(await f.temperature(0), 21.5);
    assert.equal(await f.temperature(1), -2.25);
    assert.deepEqual(written(sim), [
      '60 00 00 00',
      '70 00 00 00',
      'b0 00',
      '90 01 11 70 00 00 00 00',
      'a0 00 00 64 00 00 00 00',
      '90 00 00 00 00 00 00 00',
      'f0 00',
      '10 00',
      '10 01',
    ]);
    assert.equal(sim.haltCount, 1);
  });

  test('a move runs at the step rate, reports its direction and steps remaining, and arrives', async () => {
    const { clock, f } = await rig({ position: 1000, stepRate: 1000 });
    await f.moveRelative(500);
    assert.equal(await f.status(), S.MOVING_OUT);
    clock.advance(200);
    assert.equal(await f.position(), 1200);
    assert.equal(await f.stepsRemaining(), 300);
    clock.advance(300);
    assert.equal(await f.position(), 1500);
    assert.equal(await f.status(), 0);
    await f.moveRelative(-1500);
    assert.equal(await f.status(), S.MOVING_IN);
    clock.advance(1500);
    assert.equal(await f.position(), 0);
    assert.equal(await f.status(), S.AT_HOME, 'position 0 is the home switch');
  });

  test('a move beyond the extent (or below 0) is clamped; at the extent the limit bit is set', async () => {
    const { sim, clock, f } = await rig({ extent: 10000, position: 9900, stepRate: 1000 });
    await f.moveRelative(5000);
    clock.advance(1000);
    assert.equal(await f.position(), 10000);
    assert.equal(await f.status(), S.AT_LIMIT);
    await f.moveRelative(-20000);
    clock.advance(20000);
    assert.equal(await f.position(), 0);
    assert.equal(sim.position, 0);
  });

  test('halt freezes the motor where it is', async () => {
    const { sim, clock, f } = await rig({ position: 0, stepRate: 1000 });
    await f.moveRelative(1000);
    clock.advance(250);
    await f.halt();
    clock.advance(1000);
    assert.equal(await f.position(), 250);
    assert.equal(await f.status(), 0);
    assert.equal(sim.moving, false);
  });

  test('home drives to 0 with the homing bit, then reports at home', async () => {
    const { clock, f } = await rig({ position: 300, stepRate: 100 });
    await f.home();
    assert.equal(await f.status(), S.HOMING);
    clock.advance(1000);
    assert.equal(await f.position(), 200);
    clock.advance(2000);
    assert.equal(await f.position(), 0);
    assert.equal(await f.status(), S.AT_HOME);
  });

  test('setStepRate changes the speed of a move already running', async () => {
    const { sim, clock, f } = await rig({ position: 0, stepRate: 100 });
    await f.moveRelative(1000);
    clock.advance(1000);
    sim.setStepRate(1000);
    clock.advance(500);
    assert.equal(await f.position(), 600);
    assert.equal(sim.stepRate, 1000);
  });

  test('onCommand reports each command the moment it reaches the device, flagging halts', async () => {
    const { sim, clock, f } = await rig();
    const seen: { bytes: string; at: number; halt: boolean }[] = [];
    const off = sim.onCommand((bytes, at, halt) => seen.push({ bytes: hex(bytes), at, halt }));
    clock.advance(10);
    await f.halt();
    off();
    await f.halt();
    assert.deepEqual(seen, [{ bytes: '90 00 00 00 00 00 00 00', at: 1_000_010, halt: true }]);
    assert.equal(sim.haltCount, 2);
    assert.equal(sim.lastHaltAtMs, 1_000_010);
  });
});

describe('driver against the simulated Atlas, older firmware forms', () => {
  test('pre-Atlas firmware 0x8032: u16 extent, two-part position, 2-byte moves, a0 00 halt', async () => {
    const { sim, clock, f } = await rig({ firmwareRevision: 0x8032, extent: 7000, position: 300, stepRate: 100 });
    assert.deepEqual(written(sim), ['80 00', '80 01', '80 02', '80 06', '80 0a', '80 09', '80 03']);
    assert.equal(f.info.extent, 7000);
    sim.clearCommands();
    assert.equal(await f.position(), 300);
    await f.moveRelative(-50);
    clock.advance(200);
    assert.equal(await f.stepsRemaining(), 30);
    await f.halt();
    assert.equal(await f.position(), 280);
    assert.deepEqual(written(sim), ['60 00', '60 01', 'a0 32', '70 00', 'a0 00', '60 00', '60 01']);
  });

  test('firmware 0x8042 with an Atlas extent: one 4-byte move of more than 4095 steps', async () => {
    const { sim, clock, f } = await rig({ firmwareRevision: 0x8042, extent: 100000, position: 0, stepRate: 1000 });
    sim.clearCommands();
    await f.moveRelative(70000);
    assert.deepEqual(written(sim), ['90 01 11 70']);
    clock.advance(70000);
    assert.equal(await f.position(), 70000);
  });

  test('firmware 0x8041 (older Atlas): the driver waits 50 ms after a move before the next command', async () => {
    const { sim, f } = await rig({ firmwareRevision: 0x8041, extent: 100000, position: 0 });
    sim.clearCommands();
    const before = performance.now();
    await f.moveRelative(100);
    await f.status();
    assert.ok(performance.now() - before >= 45, 'status waited for the settle time');
    assert.deepEqual(written(sim), ['90 64', 'b0 00']);
  });

  test('hardware type 0x07, extent 7000: a 5000-step move goes as 4095 then 905 once the first chunk is done', async () => {
    const clock = new ManualClock(0);
    const sim = new SimulatedAtlas({ clock, firmwareRevision: 0x8031, hardwareType: 0x07, position: 0, stepRate: 100 });
    const { AtlasFocuser, SimulatedUsbTransport } = await import('../../src/hardware/index.js');
    const f = await AtlasFocuser.open(new SimulatedUsbTransport(sim), { chunkPollMs: 1 });
    assert.deepEqual(written(sim), ['80 00', '80 01', '80 02']);
    assert.equal(f.info.extent, 7000);
    sim.clearCommands();
    await f.moveRelative(5000);
    assert.deepEqual(written(sim), ['9f ff']);
    await until(() => written(sim).includes('70 00'), 'steps-remaining polls');
    assert.equal((await f.status()) & S.MOVING_MASK, S.MOVING_IN | S.MOVING_OUT);
    assert.ok(!written(sim).includes('93 89'), 'no second chunk while the first runs');
    clock.advance(40950);
    await until(() => written(sim).includes('93 89'), 'the second chunk');
    assert.equal(written(sim).filter((w) => w.startsWith('9')).length, 2);
    clock.advance(9050);
    await until(() => sim.position === 5000, 'arrival');
    assert.equal(await f.position(), 5000);
    await f.close();
  });

  test('hardware type 0x07: halt cancels the chunks still to come', async () => {
    const clock = new ManualClock(0);
    const sim = new SimulatedAtlas({ clock, firmwareRevision: 0x8031, hardwareType: 0x07, position: 6000, stepRate: 100 });
    const { AtlasFocuser, SimulatedUsbTransport } = await import('../../src/hardware/index.js');
    const f = await AtlasFocuser.open(new SimulatedUsbTransport(sim), { chunkPollMs: 1 });
    sim.clearCommands();
    await f.moveRelative(-5000);
    await f.halt();
    clock.advance(60000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(written(sim).filter((w) => !w.startsWith('70')), ['af ff', 'a0 00']);
    assert.equal(await f.position(), 6000);
    assert.equal((await f.status()) & S.MOVING_MASK, 0);
    await f.close();
  });

  test('hardware type 0x07 temperatures in both reply forms', async () => {
    const s30 = await rig({ firmwareRevision: 0x8030, hardwareType: 0x07, temperatures: [12.25, 5] });
    assert.equal(s30.f.info.temperatureSensors, 1);
    assert.equal(await s30.f.temperature(0), 12.25);
    const s31 = await rig({ firmwareRevision: 0x8031, hardwareType: 0x07, temperatures: [12.25, -7.5] });
    assert.equal(await s31.f.temperature(1), -7.5);
  });

  test('openAtlas picks the simulator by serial number (any case) and refuses another', async () => {
    const sim = new SimulatedAtlas({ serialNumber: 'ATL-7' });
    const f = await openAtlas({ simulator: sim, serialNumber: 'atl-7' });
    assert.equal(f.info.serialNumber, 'ATL-7');
    await f.close();
    const { DeviceNotFoundError } = await import('../../src/hardware/index.js');
    await assert.rejects(openAtlas({ simulator: sim, serialNumber: 'OTHER' }), (e: unknown) => e instanceof DeviceNotFoundError && /OTHER/.test(e.message));
  });
});
