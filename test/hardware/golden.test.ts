import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AtlasFocuser,
  AtlasStatusBits,
  BadReplyError,
  UnsupportedDeviceError,
  legacyChunks,
} from '../../src/hardware/index.js';
import { ScriptedTransport, modelReply, openSequence } from './scripted-transport.js';

// Golden vectors (docs/protocol.md, as libfli-filter-focuser.c has them): the driver must write
// exactly these bytes and read these replies the way libfli does.

const ATLAS_OPEN = openSequence({
  fw: 0x8043,
  hw: 0xff,
  extentWrite: '80 06 00 00',
  extentReply: '00 01 86 a0', // 100000 steps, u32
  sensors: '00 02',
  rate: '83 e8', // & 0x7fff = 1000 steps/s
  model: 'Atlas Focuser',
});

async function atlas(): Promise<{ t: ScriptedTransport; f: AtlasFocuser }> {
  const t = new ScriptedTransport(ATLAS_OPEN);
  const f = await AtlasFocuser.open(t);
  assert.equal(t.remaining, 0, 'the whole open sequence ran');
  return { t, f };
}

describe('golden vectors: newer board, firmware >= 0x43 (Atlas)', () => {
  test('open sequence: echo, firmware, hardware type, u32 extent, sensors, step rate (& 0x7fff), model', async () => {
    const { t, f } = await atlas();
    assert.equal(t.opened, 1);
    assert.deepEqual(f.info, {
      model: 'Atlas Focuser',
      serialNumber: 'GOLDEN-1',
      firmwareRevision: 0x8043,
      hardwareType: 0xff,
      extent: 100000,
      stepRate: 1000,
      temperatureSensors: 2,
    });
  });

  test('position: 60 00 00 00 -> u32', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '60 00 00 00', reply: '00 01 e2 40' });
    assert.equal(await f.position(), 123456);
  });

  test('steps remaining: 70 00 00 00 -> u32 & 0x0fffffff', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '70 00 00 00', reply: 'f0 00 01 2c' });
    assert.equal(await f.stepsRemaining(), 300);
  });

  test('status: b0 00 -> the second byte', async () => {
    const { t, f } = await atlas();
    t.expect({ write: 'b0 00', reply: 'b0 42' }, { write: 'b0 00', reply: '00 84' }, { write: 'b0 00', reply: 'b0 80' });
    assert.equal(await f.status(), AtlasStatusBits.MOVING_OUT | AtlasStatusBits.AT_LIMIT);
    assert.equal(await f.status(), AtlasStatusBits.HOMING | AtlasStatusBits.AT_HOME);
    assert.equal(await f.status(), AtlasStatusBits.AT_HOME);
  });

  test('relative move outward: 90 | n>>16, n & 0xffff, u32 0; echo 90', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '90 00 00 64 00 00 00 00', reply: '90 00' });
    await f.moveRelative(100);
    t.expect({ write: '90 01 11 70 00 00 00 00', reply: '90 00' });
    await f.moveRelative(70000);
  });

  test('relative move inward: a0 | n>>16; echo a0', async () => {
    const { t, f } = await atlas();
    t.expect({ write: 'a0 00 00 46 00 00 00 00', reply: 'a0 00' });
    await f.moveRelative(-70);
    t.expect({ write: 'a0 01 11 70 00 00 00 00', reply: 'a0 00' });
    await f.moveRelative(-70000);
  });

  test('halt is the move of 0 steps: 90 00 00 00 00 00 00 00 (moveRelative(0) too)', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '90 00 00 00 00 00 00 00', reply: '90 00' }, { write: '90 00 00 00 00 00 00 00', reply: '90 00' });
    await f.halt();
    await f.moveRelative(0);
  });

  test('home: f0 00, reply & 0xf000 == 0xf000', async () => {
    const { t, f } = await atlas();
    t.expect({ write: 'f0 00', reply: 'f0 04' });
    await f.home();
  });

  test('temperature (hardware type 0xff): 10 <channel> -> int8(byte0) + byte1/256', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '10 00', reply: '15 80' }, { write: '10 01', reply: 'fd c0' });
    assert.equal(await f.temperature(0), 21.5);
    assert.equal(await f.temperature(1), -2.25);
    await assert.rejects(f.temperature(2), RangeError, 'only channels below the sensor count');
    assert.equal(t.remaining, 0);
  });

  test('a wrong echo on move, halt or home is a BadReplyError naming the command', async () => {
    const { t, f } = await atlas();
    t.expect({ write: '90 00 00 0a 00 00 00 00', reply: 'd0 00' });
    await assert.rejects(f.moveRelative(10), (e: unknown) => e instanceof BadReplyError && e.command === 'move' && /90 00 00 0a/.test(e.message));
    t.expect({ write: '90 00 00 00 00 00 00 00', reply: 'a0 00' });
    await assert.rejects(f.halt(), (e: unknown) => e instanceof BadReplyError && e.command === 'halt');
    t.expect({ write: 'f0 00', reply: 'b0 00' });
    await assert.rejects(f.home(), (e: unknown) => e instanceof BadReplyError && e.command === 'home');
  });

  test('a reply of the wrong length is a BadReplyError naming the command', async () => {
    const t = new ScriptedTransport(ATLAS_OPEN);
    const f = await AtlasFocuser.open(t);
    // The scripted device answers 3 bytes where 4 are due.
    const short = { exchange: t.exchange.bind(t) };
    t.exchange = async (write, readLength, timeoutMs) => (await short.exchange(write, readLength, timeoutMs)).subarray(0, readLength - 1);
    t.expect({ write: '60 00 00 00', reply: '00 00 10 00' });
    await assert.rejects(f.position(), (e: unknown) => e instanceof BadReplyError && e.command === 'position' && /expected 4 bytes/.test(e.message));
  });
});

describe('golden vectors: the open sequence refuses what is not a focuser', () => {
  test('echo other than 80 00', async () => {
    const t = new ScriptedTransport([{ write: '80 00', reply: '00 00' }]);
    await assert.rejects(AtlasFocuser.open(t), (e: unknown) => e instanceof BadReplyError && e.command === 'echo');
    assert.equal(t.closed, 1, 'the transport is closed again');
  });
  test('firmware revision without 0x8000', async () => {
    const t = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '40 43' },
    ]);
    await assert.rejects(AtlasFocuser.open(t), (e: unknown) => e instanceof BadReplyError && e.command === 'firmware revision');
  });
  test('firmware 0x8001 is an old filter wheel', async () => {
    const t = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 01' },
    ]);
    await assert.rejects(AtlasFocuser.open(t), UnsupportedDeviceError);
  });
  test('hardware type high byte must be 0x80; a filter-wheel type is not a focuser', async () => {
    const bad = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 43' },
      { write: '80 02', reply: '00 ff' },
    ]);
    await assert.rejects(AtlasFocuser.open(bad), (e: unknown) => e instanceof BadReplyError && e.command === 'hardware type');
    const wheel = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 43' },
      { write: '80 02', reply: '80 05' },
    ]);
    await assert.rejects(AtlasFocuser.open(wheel), UnsupportedDeviceError);
  });
});

describe('golden vectors: older firmware forms', () => {
  const preAtlasOpen = openSequence({
    fw: 0x8032,
    hw: 0xff,
    extentWrite: '80 06',
    extentReply: '1b 58', // 7000, u16
    sensors: '00 01',
    rate: '00 64',
    model: 'Old Focuser',
  });

  test('pre-Atlas (fw & 0xff < 0x40): u16 extent, two-part signed position, u16 steps remaining & 0x0fff', async () => {
    const t = new ScriptedTransport(preAtlasOpen);
    const f = await AtlasFocuser.open(t);
    assert.equal(f.info.extent, 7000);
    assert.equal(f.info.stepRate, 100);
    assert.equal(f.info.temperatureSensors, 1);
    t.expect({ write: '60 00', reply: '60 34' }, { write: '60 01', reply: '60 12' });
    assert.equal(await f.position(), 0x1234);
    t.expect({ write: '60 00', reply: '60 fe' }, { write: '60 01', reply: '60 ff' });
    assert.equal(await f.position(), -2);
    t.expect({ write: '60 00', reply: '50 00' });
    await assert.rejects(f.position(), (e: unknown) => e instanceof BadReplyError && e.command === 'position');
    t.expect({ write: '70 00', reply: '70 64' });
    assert.equal(await f.stepsRemaining(), 100);
  });

  test('fw < 0x43: moves up to 4095 steps are u16 cmd | n; halt is a0 00', async () => {
    const t = new ScriptedTransport(preAtlasOpen);
    const f = await AtlasFocuser.open(t);
    t.expect({ write: '90 64', reply: '90 00' }, { write: 'af ff', reply: 'a0 00' }, { write: 'a0 00', reply: 'a0 00' });
    await f.moveRelative(100);
    await f.moveRelative(-4095);
    await f.halt();
    t.expect({ write: '90 01', reply: 'a0 00' });
    await assert.rejects(f.moveRelative(1), (e: unknown) => e instanceof BadReplyError && e.command === 'move');
    t.expect({ write: 'a0 00', reply: '90 00' });
    await assert.rejects(f.halt(), (e: unknown) => e instanceof BadReplyError && e.command === 'halt');
  });

  test('fw < 0x43 with an Atlas extent: a long move is 4 bytes (cmd | n>>16, n & 0xffff), not chunked', async () => {
    const t = new ScriptedTransport(
      openSequence({ fw: 0x8042, hw: 0xff, extentWrite: '80 06 00 00', extentReply: '00 01 86 a0', sensors: '00 02', rate: '03 e8', model: 'Atlas Focuser' }),
    );
    const f = await AtlasFocuser.open(t);
    t.expect({ write: '90 01 11 70', reply: '90 00' }, { write: 'a0 00 13 88', reply: 'a0 00' });
    await f.moveRelative(70000);
    await f.moveRelative(-5000);
    assert.equal(t.remaining, 0);
  });

  test('libfli chunks moves beyond 4095 steps only when the extent is below 10000', () => {
    assert.deepEqual(legacyChunks(5000, 7000), [4095, 905]);
    assert.deepEqual(legacyChunks(9000, 9999), [4095, 4095, 810]);
    assert.deepEqual(legacyChunks(4095, 7000), [4095]);
    assert.deepEqual(legacyChunks(70000, 100000), [70000]);
  });

  test('hardware type 0xfe: no temperature read exists, so no sensors are reported', async () => {
    const t = new ScriptedTransport(
      openSequence({ fw: 0x8043, hw: 0xfe, extentWrite: '80 06 00 00', extentReply: '00 00 27 10', sensors: '00 02', rate: '03 e8', model: 'CFW Focuser' }),
    );
    const f = await AtlasFocuser.open(t);
    assert.equal(f.info.temperatureSensors, 0);
    await assert.rejects(f.temperature(0), RangeError);
  });

  test('hardware type 0x07 (older focuser): facts from the firmware, status from steps remaining, home f0 00 exactly with 30 s', async () => {
    const t = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 31' },
      { write: '80 02', reply: '80 07' },
    ]);
    const f = await AtlasFocuser.open(t);
    assert.deepEqual(f.info, {
      model: 'FLI Focuser',
      serialNumber: 'GOLDEN-1',
      firmwareRevision: 0x8031,
      hardwareType: 0x07,
      extent: 7000,
      stepRate: 100,
      temperatureSensors: 2,
    });
    t.expect({ write: '70 00', reply: '70 0a' }, { write: '70 00', reply: '70 00' });
    assert.equal(await f.status(), AtlasStatusBits.LEGACY | AtlasStatusBits.MOVING_IN | AtlasStatusBits.MOVING_OUT);
    assert.equal(await f.status(), AtlasStatusBits.LEGACY);
    t.expect({ write: 'f0 00', reply: 'f0 00', timeoutMs: 30000 });
    await f.home();
    t.expect({ write: 'f0 00', reply: 'f0 01' });
    await assert.rejects(f.home(), (e: unknown) => e instanceof BadReplyError && e.command === 'home');
  });

  test('hardware type 0x07 temperatures: fw 0x30 int16/256; later a raw reading and 7 little-endian float coefficients', async () => {
    const t30 = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 30' },
      { write: '80 02', reply: '80 07' },
    ]);
    const f30 = await AtlasFocuser.open(t30);
    assert.equal(f30.info.temperatureSensors, 1);
    t30.expect({ write: '10 00', reply: '0c 40' });
    assert.equal(await f30.temperature(0), 12.25);

    const t31 = new ScriptedTransport([
      { write: '80 00', reply: '80 00' },
      { write: '80 01', reply: '80 31' },
      { write: '80 02', reply: '80 07' },
    ]);
    const f31 = await AtlasFocuser.open(t31);
    // raw 10; coefficients 1.5, 2.0, 0...: 1.5 + 2 * 10 = 21.5
    const poly = Buffer.alloc(30);
    poly.writeInt16BE(10, 0);
    poly.writeFloatLE(1.5, 2);
    poly.writeFloatLE(2.0, 6);
    t31.expect({ write: '10 01', reply: poly.toString('hex') });
    assert.equal(await f31.temperature(1), 21.5);
    // An unplugged external sensor reads below -45 C.
    const cold = Buffer.alloc(30);
    cold.writeInt16BE(1, 0);
    cold.writeFloatLE(-100, 2);
    t31.expect({ write: '10 01', reply: cold.toString('hex') });
    await assert.rejects(f31.temperature(1), /sensor not plugged in/);
  });

  test('model reply is NUL padded ASCII', () => {
    assert.equal(modelReply('Atlas').split(' ').length, 32);
  });
});
