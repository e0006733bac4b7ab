// Faults on the simulated bus, as libusb programs and FLI's libfli see them, and as our driver sees
// them through the same simulator: the stand-in hands each program the libusb error a real bus gives
// (unplugged: LIBUSB_ERROR_NO_DEVICE; no reply in time: LIBUSB_ERROR_TIMEOUT; a short packet: a
// successful transfer of fewer bytes) and leaves errno as libusb's Linux backend does (ENODEV for a
// device that is gone, EAGAIN after any transfer that reached it). libfli reports a transfer that
// failed or came back short as -errno (libfli-usb-sys.c), so on a real bus as here: -ENODEV and
// -EAGAIN.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceDisconnectedError, BadReplyError, TransferTimeoutError } from '../../src/hardware/index.js';
import { USB_PROBE, fliSession, openOurs, requireNativeBuild, session, startAtlasSim, type AtlasSim, type Session } from './harness.js';

const ENODEV = -19;
const EIO = -5;
const EAGAIN = -11;

interface ProbeAnswer {
  status: string;
  transferred?: number;
  data?: string;
  devices?: unknown[];
}

/** usb-probe kept running, fed one op at a time. */
const probeSession = (socket: string): Session<ProbeAnswer> => session<ProbeAnswer>(USB_PROBE, socket);

describe('faults on the simulated bus', { timeout: 120_000 }, () => {
  let sim: AtlasSim;
  before(async () => {
    requireNativeBuild();
    sim = await startAtlasSim(['--step-rate', '1000']);
  });
  after(async () => {
    await sim?.stop();
  });

  test('unplug mid-move: a libusb program gets LIBUSB_ERROR_NO_DEVICE and an empty bus; after replug it opens again', async () => {
    const usb = probeSession(sim.socket);
    try {
      assert.match((await usb.op('open')).status, /SUCCESS/);
      await usb.op('out 9000138800000000');
      assert.equal((await usb.op('in 2')).data, '90 00');
      await sim.command('unplug');
      assert.equal((await usb.op('out b000')).status, 'LIBUSB_ERROR_NO_DEVICE');
      assert.equal((await usb.op('in 2')).status, 'LIBUSB_ERROR_NO_DEVICE');
      assert.deepEqual((await usb.op('list')).devices, []);
      assert.equal((await usb.op('open')).status, 'LIBUSB_ERROR_NOT_FOUND', 'nothing to open');
      await sim.command('replug');
      assert.match((await usb.op('open')).status, /SUCCESS/);
      assert.equal((await usb.op('out 8000')).status.startsWith('LIBUSB_SUCCESS'), true);
    } finally {
      await usb.end();
    }
  });

  test('unplug mid-move under libfli: the next calls fail with ENODEV, FLIList finds nothing; after replug libfli reads the true position', async () => {
    const fli = fliSession(sim.socket);
    try {
      assert.equal((await fli.op('open')).ok, true);
      assert.equal((await fli.op('move-async 3000')).ok, true);
      await sim.command('unplug');
      assert.deepEqual(await fli.op('status'), { op: 'status', ok: false, error: ENODEV, message: 'No such device' });
      assert.equal((await fli.op('position')).error, ENODEV);
      assert.equal((await fli.op('close')).ok, true);
      assert.equal((await fli.op('list')).value?.toString(), '', 'FLIList finds nothing while unplugged');
      assert.equal((await fli.op('open')).ok, false);
      await sim.command('replug');
      assert.equal((await fli.op('open')).ok, true);
      assert.equal((await fli.op('move-async 0')).ok, true, 'halt the move that ran on while unplugged');
      assert.equal((await fli.op('position')).value, (await sim.state()).position);
    } finally {
      await fli.end();
    }
  });

  test('a stalled motor is no bus error: libfli keeps reading "moving" with the position frozen; a halt stops it', async () => {
    const fli = fliSession(sim.socket);
    try {
      await fli.op('open');
      await fli.op('move-async 2000');
      await fli.op('sleep 100');
      await sim.command('stall on');
      const frozen = (await fli.op('position')).value as number;
      await fli.op('sleep 300');
      assert.equal((await fli.op('position')).value, frozen);
      assert.ok(((await fli.op('status')).value as number) & 0x02, 'still says moving out');
      assert.ok(((await fli.op('remaining')).value as number) > 0);
      assert.equal((await fli.op('move-async 0')).ok, true);
      assert.equal(((await fli.op('status')).value as number) & 0x07, 0);
      await sim.command('stall off');
      assert.equal((await fli.op('position')).value, (await sim.state()).position);
    } finally {
      await fli.end();
    }
  });

  test('a short reply is a short transfer to libusb and EAGAIN from libfli; cleared, both read again', async () => {
    const usb = probeSession(sim.socket);
    try {
      await usb.op('open');
      await sim.command('short-reply on');
      await usb.op('out 60000000');
      const short = await usb.op('in 4');
      assert.match(short.status, /^LIBUSB_SUCCESS/);
      assert.equal(short.transferred, 3);
    } finally {
      await sim.command('short-reply off');
      await usb.end();
    }
    const fli = fliSession(sim.socket);
    try {
      await fli.op('open');
      await sim.command('short-reply on');
      assert.deepEqual(await fli.op('position'), { op: 'position', ok: false, error: EAGAIN, message: 'Resource temporarily unavailable' });
      await sim.command('short-reply off');
      assert.equal((await fli.op('position')).value, (await sim.state()).position);
    } finally {
      await sim.command('short-reply off');
      await fli.end();
    }
  });

  test('a reply later than the transfer time-out is LIBUSB_ERROR_TIMEOUT; libfli gives up after its 5 s with EAGAIN', async () => {
    const usb = probeSession(sim.socket);
    const fli = fliSession(sim.socket);
    try {
      await usb.op('open');
      await sim.command('reply-delay 1000');
      await usb.op('out 8000');
      assert.equal((await usb.op('in 2 200')).status, 'LIBUSB_ERROR_TIMEOUT');
      await sim.command('reply-delay 0');
      await usb.end();
      await fli.op('open');
      await sim.command('reply-delay 6000');
      const started = Date.now();
      assert.equal((await fli.op('position')).error, EAGAIN);
      const waited = Date.now() - started;
      assert.ok(waited >= 4900 && waited < 9000, `libfli waited ${waited} ms, not its 5 s transfer time-out`);
    } finally {
      await sim.command('reply-delay 0');
      await fli.end();
    }
  });

  test('a wrong echo byte is no bus error: libfli checks it and answers EIO', async () => {
    const fli = fliSession(sim.socket);
    try {
      await fli.op('open');
      await sim.command('wrong-echo on');
      assert.equal((await fli.op('move-async 10')).error, EIO);
    } finally {
      await sim.command('wrong-echo off');
      await fli.end();
    }
  });

  test('our driver on the same faults: unplug fails a waiting exchange at once; a short reply and a late one are typed errors', async () => {
    const focuser = await openOurs(sim.socket);
    try {
      await sim.command('short-reply on');
      await assert.rejects(focuser.position(), (e: unknown) => e instanceof BadReplyError && /expected 4 bytes \(got 3 bytes/.test(e.message));
      await sim.command('short-reply off');
      assert.equal(await focuser.position(), (await sim.state()).position);
      await sim.command('reply-delay 10000');
      const mark = sim.mark();
      const waiting = focuser.position();
      const started = Date.now();
      // Unplug once the request has reached the device and its reply is being held back.
      for (let i = 0; i < 500 && !sim.transfersSince(mark).some((t) => t.direction === 'OUT' && t.data === '60 00 00 00'); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await sim.command('unplug');
      await assert.rejects(waiting, DeviceDisconnectedError);
      assert.ok(Date.now() - started < 2000, 'the unplug ended the wait, not the time-out');
    } finally {
      await sim.command('reply-delay 0');
      await sim.command('replug');
      await focuser.close();
    }
    const again = await openOurs(sim.socket);
    try {
      await sim.command('reply-delay 6000');
      await assert.rejects(again.position(), (e: unknown) => e instanceof TransferTimeoutError && e.command === 'position');
    } finally {
      await sim.command('reply-delay 0');
      await again.close();
    }
  });
});
