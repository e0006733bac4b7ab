// Transcripts: the same operations driven by FLI's libfli2 and by our driver, over the same
// simulator, put the same bytes on the bus. atlas-sim records every bulk OUT; the two recordings
// are compared byte for byte. Our driver runs through NodeUsbTransport, the class that drives the
// real focuser, on a bus whose only device is the simulator (simSocketUsbBackend).
//
// Where libfli differs, a test below states the difference and why our side is what it is.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AtlasFocuser } from '../../src/hardware/index.js';
import { byConnection, openOurs, outBytes, requireNativeBuild, runFli, startAtlasSim, type FliResult, type Transfer } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Polls (at most 200 times) until the motor has no steps left and no motion bits set. */
const untilStopped = async (f: AtlasFocuser): Promise<void> => {
  for (let i = 0; i < 200 && ((await f.stepsRemaining()) !== 0 || ((await f.status()) & 0x07) !== 0); i++) await sleep(20);
};

/** One step of the script: what libfli is asked (fli-harness op) and the same thing asked of our driver. */
interface Step {
  fli: string;
  ours: (f: AtlasFocuser) => Promise<unknown>;
}

const step = (fli: string, ours: (f: AtlasFocuser) => Promise<unknown>): Step => ({ fli, ours });
const pause = (ms: number): Step => step(`sleep ${ms}`, () => sleep(ms));

/** The upstream daemon's operations: read, move out, poll, move in, halt, temperatures, home. */
function script(temperatureChannels: number[]): Step[] {
  return [
    step('position', (f) => f.position()),
    step('status', (f) => f.status()),
    step('move-async 500', (f) => f.moveRelative(500)),
    step('status', (f) => f.status()),
    step('remaining', (f) => f.stepsRemaining()),
    pause(250),
    step('position', (f) => f.position()),
    step('move-async -300', (f) => f.moveRelative(-300)),
    pause(20),
    step('move-async 0', (f) => f.halt()),
    ...temperatureChannels.map((c) => step(`temp ${c}`, (f) => f.temperature(c))),
    step('home-device', (f) => f.home()),
    pause(800),
    step('status', (f) => f.status()),
  ];
}

interface Recording {
  /** libfli's transfers per connection: the listing handles first, the handle that ran the script last. */
  fliConnections: Transfer[][];
  fliResults: FliResult[];
  ours: Transfer[];
  ourResults: unknown[];
}

/** Runs `steps` through libfli and through our driver, each on its own simulator started alike. */
async function record(simArgs: string[], steps: Step[]): Promise<Recording> {
  requireNativeBuild();
  const args = ['--step-rate', '5000', ...simArgs];
  const theirs = await startAtlasSim(args);
  const ourSim = await startAtlasSim(args).catch(async (e: unknown) => {
    await theirs.stop();
    throw e;
  });
  try {
    const fliResults = await runFli(theirs.socket, ['open', ...steps.map((s) => s.fli), 'close']);
    const failed = fliResults.filter((r) => !r.ok);
    assert.deepEqual(failed, [], 'libfli failed a step');
    const focuser = await openOurs(ourSim.socket);
    const ourResults: unknown[] = [];
    try {
      for (const s of steps) ourResults.push(await s.ours(focuser));
    } finally {
      await focuser.close();
    }
    return { fliConnections: byConnection(theirs.transfers()), fliResults, ours: ourSim.transfers(), ourResults };
  } finally {
    await theirs.stop();
    await ourSim.stop();
  }
}

const FORMS = [
  { label: 'Atlas board 0xff, firmware 0x8043: 8-byte moves, 32-bit position', args: ['--firmware', '0x8043'], channels: [0, 1] },
  { label: 'Atlas board 0xff, firmware 0x8042: 2-byte moves, a0 00 halt', args: ['--firmware', '0x8042'], channels: [0, 1] },
  { label: 'board 0xfe, firmware 0x803a: 16-bit extent, two-part position', args: ['--firmware', '0x803a', '--hardware-type', '0xfe', '--extent', '9000'], channels: [] },
  { label: 'older focuser 0x07, firmware 0x8030: status from steps remaining, int16 temperature', args: ['--firmware', '0x8030', '--hardware-type', '0x07'], channels: [0] },
  { label: 'older focuser 0x07, firmware 0x8020: extent 2100, no sensors', args: ['--firmware', '0x8020', '--hardware-type', '0x07'], channels: [] },
] as const;

describe('libfli2 and our driver put the same bytes on the bus', { timeout: 150_000 }, () => {
  for (const form of FORMS) {
    test(form.label, async () => {
      const rec = await record([...form.args], script([...form.channels]));
      const operating = rec.fliConnections.at(-1) as Transfer[];
      assert.deepEqual(outBytes(rec.ours), outBytes(operating), 'bulk OUT, libfli (expected) against ours (actual)');
      // And the device answered both alike: every IN our driver read is one libfli read too.
      assert.equal(rec.ours.filter((t) => t.direction === 'IN').length, operating.filter((t) => t.direction === 'IN').length);

      // libfli's FLIList opens each focuser to read its model: its open sequence on that extra
      // handle is our open sequence, nothing more.
      assert.equal(rec.fliConnections.length, 2, 'FLIList, then FLIOpen');
      const listing = outBytes(rec.fliConnections[0] as Transfer[]);
      assert.deepEqual(listing, outBytes(rec.ours).slice(0, listing.length));
    });
  }
});

describe('where libfli differs, and why', { timeout: 120_000 }, () => {
  test('a move beyond 4095 steps on a short-extent focuser: chunked as libfli\'s FLIStepMotor chunks it', async () => {
    // libfli splits moves of more than 4095 steps into 4095-step chunks when the extent is below
    // 10000, and FLIStepMotor waits (polling steps remaining, 70 00) for each chunk to finish
    // before sending the next. Our moveRelative() returns at once, like FLIStepMotorAsync, and
    // sends the later chunks the same way in the background. The number of polls depends on
    // timing, so repeated polls are counted once.
    const steps = [
      step('move 5000', async (f) => {
        await f.moveRelative(5000);
        await untilStopped(f);
      }),
      step('position', (f) => f.position()),
    ];
    const rec = await record(['--firmware', '0x8030', '--hardware-type', '0x07', '--position', '100'], steps);
    const squash = (list: string[]): string[] => list.filter((b, i) => !(b === '70 00' && list[i - 1] === '70 00'));
    const ours = squash(outBytes(rec.ours));
    assert.deepEqual(ours, squash(outBytes(rec.fliConnections.at(-1) as Transfer[])));
    assert.deepEqual(ours.slice(3), ['9f ff', '70 00', '93 89', '70 00', '60 00', '60 01'], 'chunks of 4095 and 905 steps, outward');
    assert.equal(rec.fliResults.find((r) => r.op === 'position')?.value, 5100);
    assert.equal(rec.ourResults[1], 5100);
  });

  test("libfli's FLIStepMotorAsync sends the chunks back to back; ours waits for each, and arrives", async () => {
    // libfli's asynchronous move writes every chunk at once. Whether the firmware queues a move
    // written while one runs is not documented; the simulator takes the newest move, as it does
    // for every move, and libfli's move then ends 4095 steps short. Waiting for each chunk is
    // right whichever the firmware does, so our driver keeps FLIStepMotor's order.
    const steps = [
      step('move-async 5000', (f) => f.moveRelative(5000)),
      // libfli's side waits long enough for its (shorter) move; ours until the device says it is done.
      step('sleep 1500', untilStopped),
      step('position', (f) => f.position()),
    ];
    const rec = await record(['--firmware', '0x8030', '--hardware-type', '0x07', '--position', '100'], steps);
    const fli = outBytes(rec.fliConnections.at(-1) as Transfer[]);
    assert.deepEqual(fli.slice(3, 5), ['9f ff', '93 89'], 'libfli: both chunks without a poll between');
    const ours = outBytes(rec.ours);
    assert.ok(ours.indexOf('70 00', 3) !== -1 && ours.indexOf('70 00', 3) < ours.indexOf('93 89'), 'ours: the second chunk only after steps remaining is read');
    assert.equal(rec.ourResults[2], 5100);
    const theirs = rec.fliResults.find((r) => r.op === 'position')?.value as number;
    assert.ok(theirs < 2000, `libfli's move ended at ${theirs}, thousands of steps short on the simulator`);
  });

  test('temperatures on a 0xfe board: libfli answers 0 C without asking the device; we say there is no sensor', async () => {
    // The 0xfe board has no temperature command (libfli reads temperatures on 0xff boards only),
    // yet FLIReadTemperature succeeds with 0. A made-up 0 C would reach report_status, so our
    // driver reports no sensors and refuses the read.
    const rec = await record(['--firmware', '0x803a', '--hardware-type', '0xfe', '--extent', '9000'], [
      step('temp 0', (f) => f.temperature(0).catch((e: Error) => e)),
    ]);
    assert.deepEqual(rec.fliResults.find((r) => r.op === 'temp'), { op: 'temp', ok: true, value: 0 });
    assert.ok(!outBytes(rec.fliConnections.at(-1) as Transfer[]).some((b) => b.startsWith('10 ')), 'libfli sent no temperature command');
    assert.ok(rec.ourResults[0] instanceof RangeError);
    assert.match(String(rec.ourResults[0]), /channel 0 does not exist \(this focuser has 0 sensors\)/);
    assert.ok(!outBytes(rec.ours).some((b) => b.startsWith('10 ')));
  });

  test('a sensor that is not fitted on a 0x07 focuser: libfli asks and rejects the reading; we do not ask', async () => {
    // Firmware 0x30 has one sensor. libfli sends 10 01 for the second and fails on the reading
    // (below -45 C: not plugged in); our driver knows the count from the same firmware rule and
    // refuses before the bus.
    const rec = await record(['--firmware', '0x8030', '--hardware-type', '0x07'], [step('sleep 0', (f) => f.temperature(1).catch((e: Error) => e))]);
    const sim2 = await startAtlasSim(['--firmware', '0x8030', '--hardware-type', '0x07']);
    try {
      const results = await runFli(sim2.socket, ['open', 'temp 1']);
      assert.equal(results[1]?.ok, false);
      assert.equal(outBytes(byConnection(sim2.transfers()).at(-1) as Transfer[]).at(-1), '10 01');
    } finally {
      await sim2.stop();
    }
    assert.ok(rec.ourResults[0] instanceof RangeError);
    assert.ok(!outBytes(rec.ours).some((b) => b.startsWith('10 ')));
  });

  test("libfli's blocking FLIStepMotor polls with writes its other calls do not use; we poll as FLIGetStepsRemaining does", async () => {
    // FLIGetStepsRemaining writes 70 00 00 00 on post-Atlas firmware and reads 4 bytes: that is
    // what our driver writes. FLIStepMotor's own wait loop writes (and reads) 12 bytes on firmware
    // >= 0x43 and the 2-byte pre-Atlas 70 00 on 0x40-0x42. The simulator answers each in the length
    // asked (an assumption: FLI does not document it, and only a device can tell); the upstream
    // daemon never calls FLIStepMotor, so these writes never reach a telescope through it.
    for (const [firmware, poll] of [
      ['0x8043', '70 00 00 00 00 00 00 00 00 00 00 00'],
      ['0x8042', '70 00'],
    ] as const) {
      const sim = await startAtlasSim(['--firmware', firmware, '--step-rate', '5000']);
      try {
        const results = await runFli(sim.socket, ['open', 'remaining', 'move 100', 'close']);
        assert.deepEqual(results.map((r) => r.ok), [true, true, true, true], JSON.stringify(results));
        const bytes = outBytes(byConnection(sim.transfers()).at(-1) as Transfer[]);
        assert.ok(bytes.includes('70 00 00 00'), `${firmware}: FLIGetStepsRemaining`);
        assert.ok(bytes.includes(poll), `${firmware}: FLIStepMotor's poll ${poll} in ${bytes.join(' | ')}`);
      } finally {
        await sim.stop();
      }
    }
  });
});
