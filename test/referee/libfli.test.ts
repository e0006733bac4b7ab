// FLI's own SDK (libfli2, Debian's libfli 2.0) as the referee of the simulated Atlas: it lists,
// opens and drives the simulator through the libusb stand-in, and every value it reads agrees with
// the simulator's own state. If the simulator spoke the protocol differently from the device libfli
// was written for, libfli would fail to open it or read different values.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../cli/harness.js';
import { fliSession, requireNativeBuild, runFli, startAtlasSim, type AtlasSim, type FliResult, type FliSession } from './harness.js';

const MOVING_IN = 0x01;
const MOVING_OUT = 0x02;
const HOMING = 0x04;
const AT_HOME = 0x80;

const value = (r: FliResult): unknown => {
  assert.ok(r.ok, `${r.op}: ${r.message ?? ''} (${r.error ?? ''})`);
  return r.value;
};

const waitUntilStopped = (sim: AtlasSim, limitMs = 20_000): Promise<void> =>
  eventually(async () => (await sim.state()).moving !== true, limitMs, 'the simulated motor stopping');

const FORMS = [
  { label: 'Atlas board 0xff, firmware 0x8043 (8-byte moves)', args: ['--firmware', '0x8043'], fw: 0x8043, extent: 100000, sensors: 2 },
  { label: 'Atlas board 0xff, firmware 0x8042 (2/4-byte moves, a0 00 halt)', args: ['--firmware', '0x8042'], fw: 0x8042, extent: 100000, sensors: 2 },
  { label: 'board 0xfe, pre-Atlas firmware 0x803a (16-bit extent, two-part position)', args: ['--firmware', '0x803a', '--hardware-type', '0xfe', '--extent', '9000'], fw: 0x803a, extent: 9000, sensors: 0 },
  { label: 'older focuser 0x07, firmware 0x8030 (extent 7000 from the firmware)', args: ['--firmware', '0x8030', '--hardware-type', '0x07'], fw: 0x8030, extent: 7000, sensors: 1 },
] as const;

for (const form of FORMS) {
  describe(`libfli2 drives the simulated focuser: ${form.label}`, { timeout: 120_000 }, () => {
    let sim: AtlasSim;
    let fli: FliSession;
    before(async () => {
      requireNativeBuild();
      sim = await startAtlasSim([...form.args, '--serial', 'REF-0042', '--model', 'Atlas Focuser', '--step-rate', '2000']);
      fli = fliSession(sim.socket);
    });
    after(async () => {
      await fli?.end();
      await sim?.stop();
    });

    test('FLIList finds one focuser and FLIOpen opens it', async () => {
      const listed = value(await fli.op('list')) as string[];
      assert.equal(listed.length, 1);
      assert.match(listed[0] as string, /^FLI-01;/, 'named after its USB port, as libfli names them');
      assert.equal(value(await fli.op('open')), 'FLI-01');
    });

    test('model, serial number, firmware and extent are what the simulator reports', async () => {
      // libfli asks a newer board for its model (80 03). A hardware type 0x07 focuser has no model
      // command: Debian's libfli 2.0 leaves its model unset (FLIGetModel gives '', FLIList shows
      // its placeholder), while the libfli rockit ships names it "FLI Focuser", as our driver does.
      assert.equal(value(await fli.op('model')), form.fw === 0x8030 ? '' : 'Atlas Focuser');
      assert.equal(value(await fli.op('serial')), 'REF-0042');
      assert.equal(value(await fli.op('fw')), form.fw);
      assert.equal(value(await fli.op('extent')), form.extent);
      assert.equal(value(await fli.op('position')), (await sim.state()).position);
    });

    test('an outward move: status says moving out while it runs, position and steps remaining agree at the end', async () => {
      const from = value(await fli.op('position')) as number;
      value(await fli.op('move-async 1500'));
      const moving = value(await fli.op('status')) as number;
      assert.ok(moving & MOVING_OUT, `status 0x${moving.toString(16)} while moving out`);
      assert.ok((value(await fli.op('remaining')) as number) > 0);
      await waitUntilStopped(sim);
      assert.equal(value(await fli.op('remaining')), 0);
      const at = value(await fli.op('position'));
      assert.equal(at, from + 1500);
      assert.equal(at, (await sim.state()).position);
    });

    test('an absolute move, as the upstream daemon makes one (by target minus position), arrives at the target', async () => {
      const target = Math.min(form.extent - 100, 2500);
      const from = value(await fli.op('position')) as number;
      value(await fli.op(`move-async ${target - from}`));
      await waitUntilStopped(sim);
      assert.equal(value(await fli.op('position')), target);
      assert.equal((await sim.state()).position, target);
    });

    test('an inward move with FLIStepMotor (blocking) ends where the simulator says', async () => {
      const from = value(await fli.op('position')) as number;
      value(await fli.op('move -700'));
      assert.equal((await sim.state()).moving, false, 'FLIStepMotor returned before the move ended');
      assert.equal(value(await fli.op('position')), from - 700);
      assert.equal((await sim.state()).position, from - 700);
    });

    test('a halt (FLIStepMotorAsync 0) stops a running move where the motor is', async () => {
      value(await fli.op('move-async 3000'));
      const moving = value(await fli.op('status')) as number;
      assert.ok(moving & MOVING_OUT);
      value(await fli.op('sleep 200'));
      const haltsBefore = (await sim.state()).halts as number;
      value(await fli.op('move-async 0'));
      const state = await sim.state();
      assert.equal(state.moving, false, 'still moving after the halt');
      assert.equal(state.halts, haltsBefore + 1);
      assert.equal(value(await fli.op('position')), state.position);
      assert.equal((value(await fli.op('status')) as number) & (MOVING_IN | MOVING_OUT | HOMING), 0);
    });

    test('FLIHomeDevice homes: status says homing, then at home at position 0', async () => {
      value(await fli.op('home-device'));
      if (form.fw !== 0x8030) {
        const homing = value(await fli.op('status')) as number;
        assert.ok(homing & HOMING, `status 0x${homing.toString(16)} while homing`);
      }
      await waitUntilStopped(sim);
      assert.equal(value(await fli.op('position')), 0);
      assert.equal((await sim.state()).position, 0);
      if (form.fw !== 0x8030) assert.ok((value(await fli.op('status')) as number) & AT_HOME);
    });

    if (form.sensors > 0) {
      test('temperatures read as the simulator sets them, below zero too', async () => {
        await sim.command('temperature 0 -3.75');
        assert.equal(value(await fli.op('temp 0')), -3.75);
        if (form.sensors > 1) {
          await sim.command('temperature 1 12.5');
          assert.equal(value(await fli.op('temp 1')), 12.5);
        }
      });
    }

    test('FLIClose releases the device: another program can open it', async () => {
      value(await fli.op('close'));
      const other = await runFli(sim.socket, ['open', 'position', 'close']);
      assert.deepEqual(
        other.map((r) => r.ok),
        [true, true, true],
        JSON.stringify(other),
      );
    });
  });
}

describe('libfli2 and the simulator: one program at a time, as on a real bus', { timeout: 60_000 }, () => {
  test('while one program holds the focuser, a second one cannot use it; once it closes, it can', async () => {
    requireNativeBuild();
    const sim = await startAtlasSim();
    const first = fliSession(sim.socket);
    try {
      assert.equal((await first.op('open')).ok, true);
      const second = await runFli(sim.socket, ['open', 'position']);
      assert.equal(second[0]?.ok, false, `a second FLIOpen succeeded: ${JSON.stringify(second)}`);
      await first.op('close');
      const third = await runFli(sim.socket, ['open', 'position']);
      assert.equal(third[1]?.value, (await sim.state()).position);
    } finally {
      await first.end();
      await sim.stop();
    }
  });
});
