// The simulator on a Unix socket (AtlasSimServer) and the USB bus that reaches it
// (simSocketUsbBackend), in process: the same rig the referee tests and focusd --simulator-socket
// use, without a C compiler, libfli or INDI.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AtlasFocuser,
  AtlasSimServer,
  DeviceAccessError,
  DeviceDisconnectedError,
  DeviceNotFoundError,
  SimulatedAtlas,
  findUsbFocuser,
  simSocketUsbBackend,
  type TranscriptEntry,
} from '../../src/hardware/index.js';
import { FrameDecoder, Op, ProtocolError, encodeFrame, u32, u8 } from '../../src/hardware/simulator/socket/protocol.js';
import { exchangeUntilClosed } from '../helpers/frame-socket.js';

const socketPath = (): string => join(mkdtempSync(join(tmpdir(), 'focusd-simsock-')), 'atlas.sock');
const open = async (path: string): Promise<AtlasFocuser> => AtlasFocuser.open(await findUsbFocuser({ backend: simSocketUsbBackend(path) }));

const hello = (): Buffer => encodeFrame(Op.HELLO, Buffer.from([0, 1]));

describe('the frame decoder of the simulator socket', () => {
  test('any split of a stream of frames gives the same frames', () => {
    const stream = Buffer.concat([hello(), encodeFrame(Op.CLAIM, u8(0)), encodeFrame(Op.OUT, Buffer.concat([u8(2), u32(5000), Buffer.from([0x80, 0x00])]))]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(stream.subarray(0, cut), false), ...d.push(stream.subarray(cut), false)];
      assert.deepEqual(
        frames.map((f) => [f.code, f.payload.toString('hex')]),
        [
          [Op.HELLO, '0001'],
          [Op.CLAIM, '00'],
          [Op.OUT, '02000013888000'],
        ],
        `cut at ${cut}`,
      );
    }
  });

  test('a length over the limit is refused as soon as the header is in, and nothing more is accepted', () => {
    const d = new FrameDecoder();
    assert.throws(() => d.push(Buffer.from([1, 0x00, 0x01, 0x00, 0x01]), false), ProtocolError);
    assert.throws(() => d.push(hello(), false), /no longer in step/);
  });
});

describe('AtlasSimServer and simSocketUsbBackend', () => {
  let sim: SimulatedAtlas;
  let server: AtlasSimServer;
  let path: string;
  const transfers: TranscriptEntry[] = [];
  const logged: string[] = [];
  before(async () => {
    sim = new SimulatedAtlas({ serialNumber: 'SOCK-1', stepRate: 10_000 });
    server = new AtlasSimServer({ sim, transcript: (e) => transfers.push(e), log: (l) => logged.push(l) });
    path = socketPath();
    await server.listen(path);
  });
  after(async () => {
    await server.close();
  });

  test('our driver, through NodeUsbTransport on this bus, opens the simulator and moves it', async () => {
    const focuser = await open(path);
    try {
      assert.equal(focuser.info.serialNumber, 'SOCK-1');
      assert.equal(await focuser.position(), sim.position);
      await focuser.moveRelative(300);
      assert.equal(sim.moving || sim.position === 1300, true);
      assert.deepEqual(
        transfers.filter((t) => t.direction === 'OUT').slice(0, 3).map((t) => t.bytes.toString('hex')),
        ['8000', '8001', '8002'],
        'the open sequence reached the device',
      );
    } finally {
      await focuser.close();
    }
  });

  test('one handle at a time holds the interface; the next opens once it is released', async () => {
    const first = await open(path);
    try {
      await assert.rejects(open(path), (e: unknown) => e instanceof DeviceAccessError && /in use by another program/.test(e.message));
    } finally {
      await first.close();
    }
    const second = await open(path);
    await second.close();
  });

  test('unplug fails an exchange already waiting at once, empties the bus until replug', async () => {
    const focuser = await open(path);
    sim.setReplyDelay(10_000);
    const waiting = focuser.position();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    sim.unplug();
    try {
      await assert.rejects(waiting, DeviceDisconnectedError);
      assert.ok(Date.now() - started < 1000, 'not after the reply delay or the time-out');
      await assert.rejects(open(path), DeviceNotFoundError);
    } finally {
      sim.setReplyDelay(0);
      sim.replug();
      await focuser.close();
    }
    const again = await open(path);
    assert.equal(await again.position(), sim.position);
    await again.close();
  });

  test('after a protocol error nothing more the client sent is acted on', async () => {
    const move = encodeFrame(Op.OUT, Buffer.concat([u8(2), u32(5000), Buffer.from([0x90, 0x00, 0x03, 0xe8, 0, 0, 0, 0])]));
    const haltsBefore = sim.haltCount;
    const positionBefore = sim.position;
    const commandsBefore = sim.commands.length;
    await exchangeUntilClosed(path, Buffer.concat([hello(), hello(), move]), 1000);
    assert.match(logged.at(-1) ?? '', /HELLO twice; disconnected/);
    assert.equal(sim.commands.length, commandsBefore, 'the move after the second HELLO never reached the device');
    assert.equal(sim.haltCount, haltsBefore);
    assert.equal(sim.position, positionBefore);
  });

  test('close() ends even with a client that never said HELLO', async () => {
    const otherSim = new SimulatedAtlas();
    const other = new AtlasSimServer({ sim: otherSim });
    const otherPath = socketPath();
    await other.listen(otherPath);
    const silent = createConnection(otherPath);
    silent.on('error', () => undefined);
    await new Promise<void>((r) => silent.once('connect', () => r()));
    const closing = other.close();
    const bounded = new Promise<string>((r) => setTimeout(() => r('still open'), 2000).unref());
    assert.equal(await Promise.race([closing.then(() => 'closed'), bounded]), 'closed');
  });
});
