// What the INDI focuser's definitions weigh, measured on the simulated focuser: the per-client cap
// on unsent bytes (src/indi/limits.ts) is sized from it, and the worst case over every client
// stays within the figure docs/indi.md gives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedAtlas } from '../../src/hardware/index.js';
import { DEFAULT_INDI_LIMITS, defineXml, indiTimestamp } from '../../src/indi/index.js';
import { deviceOpener } from '../../src/service/atlas-device.js';
import { FocuserService } from '../../src/service/focuser-service.js';
import { IndiFocuser } from '../../src/service/indi-focuser.js';

/** Node's default high-water mark for a socket: past it the server stops reading a client's commands. */
const SOCKET_HIGH_WATER_MARK = 16 * 1024;

describe('INDI focuser: the size of its definitions against the unsent-bytes cap', { timeout: 30_000 }, () => {
  test('the full definition set, connected, is a few KiB; the cap holds the high-water mark plus it many times over; 1024 clients stay under 72 MiB', async () => {
    const quiet = { info: () => undefined, warning: () => undefined, error: () => undefined };
    const service = new FocuserService({ open: deviceOpener({ simulator: new SimulatedAtlas() }), log: quiet, isControl: () => true, moveTimeout: 180 });
    // A long device name and version, so the measure is not flattered by short ones.
    const name = 'Observatory Main Telescope Focuser';
    const focuser = new IndiFocuser({ service, deviceName: name, driverVersion: '10.20.30+git.0123456.dirty' });
    try {
      assert.equal(await service.initialize({ protocol: 'indi', address: '127.0.0.1' }), 0);
      const set = focuser.device.list().map((v) => defineXml(name, v, indiTimestamp())).join('');
      assert.ok(set.length > 2000 && set.length < 4096, `the definition set is ${set.length} bytes`);
      const cap = DEFAULT_INDI_LIMITS.maxUnsentBytes;
      assert.ok(cap >= SOCKET_HIGH_WATER_MARK + 8 * set.length, `a cap of ${cap} bytes`);
      // One text more than the cap can be queued (the check is made before each write).
      const worst = DEFAULT_INDI_LIMITS.maxConnections * (cap + set.length);
      assert.ok(worst < 72 * 1024 * 1024, `${(worst / 1024 / 1024).toFixed(1)} MiB for every client stalled`);
    } finally {
      focuser.close();
      await service.terminate(1000);
    }
  });
});
