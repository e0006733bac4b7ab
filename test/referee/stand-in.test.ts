// The libusb stand-in (build/usb-shim) under a plain libusb program, and atlas-sim under bad input.
// Whatever the other end of the socket does, the program under test gets the libusb error a real
// bus would give and never crashes; whatever a client sends, atlas-sim keeps serving the others.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FrameDecoder, Op, encodeDeviceInfo, encodeFrame, type Frame } from '../../src/hardware/simulator/socket/protocol.js';
import { exchangeUntilClosed } from '../helpers/frame-socket.js';
import { start } from '../helpers/process.js';
import { ATLAS_SIM, USB_PROBE, requireNativeBuild, runFli, scratchDir, shimEnv, startAtlasSim, type AtlasSim } from './harness.js';

interface Probe {
  op: string;
  code: number | null;
  status: string;
  transferred?: number;
  data?: string;
  value?: string;
  devices?: Array<{ id: string; bcdDevice: number; bus: number; address: number; ports: number }>;
}

/** Runs usb-probe (a plain libusb-1.0 program) with the stand-in against `socket`. */
async function probe(socket: string, ops: string[], env: NodeJS.ProcessEnv = {}): Promise<{ results: Probe[]; stderr: string; code: number | null; signal: string | null }> {
  const run = start(USB_PROBE, ops, { env: shimEnv(socket, env), lifetimeMs: 30_000 });
  const { code, signal } = await run.exited;
  const results = run
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Probe);
  return { results, stderr: run.stderr(), code, signal };
}

const statusOf = (results: Probe[], op: string, nth = 0): Probe => {
  const found = results.filter((r) => r.op === op)[nth];
  assert.ok(found, `no result for ${op} #${nth}: ${JSON.stringify(results)}`);
  return found;
};

describe('the stand-in in front of atlas-sim, under a plain libusb program', { timeout: 60_000 }, () => {
  let sim: AtlasSim;
  before(async () => {
    requireNativeBuild();
    sim = await startAtlasSim(['--serial', 'PROBE-1', '--firmware', '0x8043']);
  });
  after(async () => {
    await sim?.stop();
  });

  test('lists one FLI focuser, 0f18:0006, with the simulator\'s bcdDevice, serial and strings', async () => {
    const { results, code } = await probe(sim.socket, ['list', 'open', 'string 1', 'string 2', 'string 3', 'string 4', 'kernel-active 0', 'detach 0', 'claim 0', 'release 0', 'close']);
    assert.equal(code, 0);
    assert.deepEqual(statusOf(results, 'list').devices, [{ id: '0f18:0006', bcdDevice: 0x8043, bus: 1, address: 2, ports: 1 }]);
    assert.equal(statusOf(results, 'open').code, 0);
    assert.equal(statusOf(results, 'string', 0).value, 'Finger Lakes Instrumentation');
    assert.equal(statusOf(results, 'string', 1).value, 'FLI USB Focuser');
    assert.equal(statusOf(results, 'string', 2).value, 'PROBE-1');
    assert.equal(statusOf(results, 'string', 3).status, 'LIBUSB_ERROR_PIPE', 'a string the device does not have is stalled');
    assert.equal(statusOf(results, 'kernel-active').code, 0, 'no kernel driver is bound');
    assert.equal(statusOf(results, 'detach').status, 'LIBUSB_ERROR_NOT_FOUND');
    assert.equal(statusOf(results, 'claim').code, 0);
    assert.equal(statusOf(results, 'release').code, 0);
  });

  test('a bulk OUT then IN is one exchange with the firmware; IN with nothing to say times out', async () => {
    const { results } = await probe(sim.socket, ['open', 'claim 0', 'out 8000', 'in 2', 'in 2 300', 'out 8001', 'in 1', 'in 64', 'close']);
    assert.deepEqual(statusOf(results, 'out', 0), { op: 'out', code: 0, status: 'LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED', transferred: 2 });
    assert.equal(statusOf(results, 'in', 0).data, '80 00');
    assert.equal(statusOf(results, 'in', 1).status, 'LIBUSB_ERROR_TIMEOUT', 'a second IN has no reply to read');
    assert.equal(statusOf(results, 'in', 2).status, 'LIBUSB_ERROR_OVERFLOW', 'a 2-byte reply into a 1-byte buffer');
    assert.equal(statusOf(results, 'in', 3).status, 'LIBUSB_ERROR_TIMEOUT', 'the overflowed reply is gone');
  });

  test('functions the stand-in does not offer answer LIBUSB_ERROR_NOT_SUPPORTED and say so', async () => {
    const { results, stderr } = await probe(sim.socket, ['open', 'control', 'control', 'close']);
    assert.equal(statusOf(results, 'control').status, 'LIBUSB_ERROR_NOT_SUPPORTED');
    const lines = stderr.split('\n').filter((l) => l.includes('libusb_control_transfer'));
    assert.deepEqual(lines, ['usb-shim: libusb_control_transfer is not supported by the simulated-focuser stand-in (LIBUSB_ERROR_NOT_SUPPORTED)'], 'said once');
  });

  test('while one handle has claimed the interface, another gets LIBUSB_ERROR_BUSY', async () => {
    const holder = start(USB_PROBE, [], { env: shimEnv(sim.socket), lifetimeMs: 30_000 });
    try {
      holder.child.stdin?.write('open\nclaim 0\n');
      await holder.waitFor(/"op":"claim","code":0/, 10_000);
      const { results } = await probe(sim.socket, ['open', 'claim 0', 'out 8000']);
      assert.equal(statusOf(results, 'claim').status, 'LIBUSB_ERROR_BUSY');
      assert.equal(statusOf(results, 'out').status, 'LIBUSB_ERROR_BUSY');
    } finally {
      holder.child.stdin?.end();
      await holder.stop();
    }
  });
});

describe('the stand-in with no simulator, or a broken one', { timeout: 90_000 }, () => {
  const dir = scratchDir('shim-bad');

  test('no ATLAS_SIM_SOCKET, no socket file, nobody listening: an empty bus, and libfli finds no focuser', async () => {
    const unset = await probe('', ['list']);
    assert.deepEqual(statusOf(unset.results, 'list').devices, []);
    assert.match(unset.stderr, /usb-shim: ATLAS_SIM_SOCKET is not set: no USB device on this bus/);
    const missing = await probe(join(dir, 'nothing-here.sock'), ['list', 'open']);
    assert.deepEqual(statusOf(missing.results, 'list').devices, []);
    assert.equal(statusOf(missing.results, 'open').status, 'LIBUSB_ERROR_NOT_FOUND', 'usb-probe found nothing to open');
    const stale = join(dir, 'stale.sock');
    writeFileSync(stale, 'not a socket');
    assert.deepEqual(statusOf((await probe(stale, ['list'])).results, 'list').devices, []);
    const fli = await runFli(join(dir, 'nothing-here.sock'), ['list', 'open']);
    assert.deepEqual(fli[0], { op: 'list', ok: true, value: [] });
    assert.equal(fli[1]?.ok, false);
  });

  /** A fake simulator: answers HELLO properly, then does `misbehave` with each later request frame. */
  async function fakeSimulator(name: string, misbehave: (socket: Socket, request: Frame) => void): Promise<{ path: string; server: Server }> {
    const path = join(dir, `${name}.sock`);
    const server = createServer((socket) => {
      const decoder = new FrameDecoder();
      let helloDone = false;
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        for (const frame of decoder.push(chunk, false)) {
          if (!helloDone && frame.code === Op.HELLO) {
            helloDone = true;
            socket.write(
              encodeFrame(0, encodeDeviceInfo({ vendorId: 0x0f18, productId: 0x0006, bcdDevice: 0x8043, manufacturer: 'FLI', product: 'Atlas', serialNumber: 'FAKE' })),
            );
          } else {
            misbehave(socket, frame);
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { path, server };
  }

  const cases: Array<{ name: string; misbehave: (s: Socket, req: Frame) => void; expect: string; then?: string }> = [
    { name: 'closes the socket mid-transfer (unplugged)', misbehave: (s) => s.destroy(), expect: 'LIBUSB_ERROR_NO_DEVICE' },
    { name: 'answers garbage', misbehave: (s) => s.write(Buffer.from('GARBAGE!GARBAGE!')), expect: 'LIBUSB_ERROR_IO', then: 'LIBUSB_ERROR_NO_DEVICE' },
    {
      name: 'announces a 4 GB reply',
      misbehave: (s) => s.write(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02])),
      expect: 'LIBUSB_ERROR_IO',
      then: 'LIBUSB_ERROR_NO_DEVICE',
    },
    { name: 'never answers', misbehave: () => undefined, expect: 'LIBUSB_ERROR_TIMEOUT', then: 'LIBUSB_ERROR_NO_DEVICE' },
    {
      name: 'sends more than the 2 bytes asked for',
      misbehave: (s, req) => s.write(req.code === Op.OUT ? encodeFrame(0, Buffer.from([0, 0, 0, 2])) : encodeFrame(0, Buffer.alloc(64, 0xaa))),
      expect: 'LIBUSB_ERROR_OVERFLOW',
    },
  ];

  for (const c of cases) {
    test(`a simulator that ${c.name}: the program gets ${c.expect}${c.then ? `, then ${c.then}` : ''}, and does not crash`, async () => {
      const fake = await fakeSimulator(c.name.replace(/\W+/g, '-'), c.misbehave);
      try {
        // `in` is asked with a 100 ms time-out; the stand-in waits that plus its 2 s grace for a reply.
        const ops = c.name.startsWith('sends more') ? ['open', 'out 8000', 'in 2 100'] : ['open', 'in 2 100', 'in 2 100'];
        const { results, code, signal } = await probe(fake.path, ops);
        assert.equal(signal, null, 'usb-probe was killed by a signal');
        assert.equal(code, 0);
        assert.equal(statusOf(results, 'open').code, 0);
        if (c.name.startsWith('sends more')) assert.equal(statusOf(results, 'out').transferred, 2, 'the OUT was acknowledged');
        assert.equal(statusOf(results, 'in', 0).status, c.expect, JSON.stringify(results));
        if (c.then) assert.equal(statusOf(results, 'in', 1).status, c.then, 'the handle is dead afterwards');
      } finally {
        await new Promise<void>((r) => fake.server.close(() => r()));
      }
    });
  }
});

describe('atlas-sim under bad input keeps serving everyone else', { timeout: 60_000 }, () => {
  let sim: AtlasSim;
  before(async () => {
    requireNativeBuild();
    sim = await startAtlasSim();
  });
  after(async () => {
    await sim?.stop();
  });

  for (const [label, bytes, reason] of [
    ['garbage', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /a frame of 1163141167 bytes is over the 65536-byte limit/],
    ['a transfer before HELLO', Buffer.from([0x04, 0, 0, 0, 7, 0x02, 0, 0, 0x13, 0x88, 0x80, 0x00]), /first request was op 4, not HELLO/],
    ['a 4 GB frame', Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff]), /a frame of 4294967295 bytes is over the 65536-byte limit/],
    ['HELLO for another protocol version', Buffer.from([0x01, 0, 0, 0, 2, 0, 9]), /HELLO for protocol 9, this is 1/],
    ['an unknown op after HELLO', Buffer.from([0x01, 0, 0, 0, 2, 0, 1, 0x7f, 0, 0, 0, 0]), /unknown op 0x7f/],
  ] as const) {
    test(`${label}: that connection is closed, the simulator logs why, and libfli still works`, async () => {
      const before = sim.run.stderr().length;
      await exchangeUntilClosed(sim.socket, bytes, 3000);
      assert.match(sim.run.stderr().slice(before), new RegExp(`atlas-sim: connection \\d+: ${reason.source}; disconnected`));
      const fli = await runFli(sim.socket, ['open', 'position', 'close']);
      assert.equal(fli[1]?.value, (await sim.state()).position);
    });
  }

  test('a client that claims the interface and disconnects releases it', async () => {
    const claim = Buffer.from([0x01, 0, 0, 0, 2, 0, 1, 0x02, 0, 0, 0, 1, 0x00]);
    await new Promise<void>((resolve) => {
      const socket = createConnection(sim.socket, () => socket.write(claim));
      const decoder = new FrameDecoder();
      let replies = 0;
      socket.on('data', (d) => {
        replies += decoder.push(d, true).length;
        if (replies === 2) socket.end(); // HELLO and CLAIM answered: the interface is this client's
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      setTimeout(() => socket.destroy(), 5000).unref();
    });
    const fli = await runFli(sim.socket, ['open', 'position']);
    assert.equal(fli[1]?.ok, true);
  });
});

describe('bin/atlas-sim as a program', { timeout: 60_000 }, () => {
  test('--help names the socket, the flags and the stdin commands', async () => {
    const run = start(process.execPath, [ATLAS_SIM, '--help'], { lifetimeMs: 15_000 });
    const { code } = await run.exited;
    assert.equal(code, 0);
    for (const word of ['--firmware', '--serial', '--short-reply', '--unplug-after', 'LD_LIBRARY_PATH=', 'unplug | replug', 'SIGTERM']) {
      assert.ok(run.stdout().includes(word), word);
    }
  });

  test('a socket path another atlas-sim serves is refused with a clear error; a stale one is taken over', async () => {
    const sim = await startAtlasSim();
    try {
      const second = start(process.execPath, [ATLAS_SIM, sim.socket], { lifetimeMs: 15_000 });
      const { code } = await second.exited;
      assert.equal(code, 1);
      assert.equal(second.stderr(), `atlas-sim: ${sim.socket} is taken: another program is serving it\n`);
    } finally {
      await sim.stop();
    }
    const dir = scratchDir('atlas-sim-stale');
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'x');
    const refused = start(process.execPath, [ATLAS_SIM, path], { lifetimeMs: 15_000 });
    assert.equal((await refused.exited).code, 1);
    assert.match(refused.stderr(), /exists and is not a socket/);
  });

  test('SIGINT and SIGTERM stop it cleanly and remove the socket; a killed one leaves a socket the next one replaces', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const sim = await startAtlasSim();
      sim.run.child.kill(signal);
      const { code } = await sim.run.exited;
      assert.equal(code, 0, signal);
      assert.match(sim.run.stdout(), /atlas-sim: stopped\n$/);
      assert.equal(existsSync(sim.socket), false, `${signal}: the socket is still there`);
    }
    const killed = await startAtlasSim();
    killed.run.child.kill('SIGKILL');
    await killed.run.exited;
    assert.equal(existsSync(killed.socket), true);
    const next = start(process.execPath, [ATLAS_SIM, killed.socket], { lifetimeMs: 15_000 });
    try {
      await next.waitFor(/atlas-sim: serving /, 10_000);
    } finally {
      await next.stop();
    }
  });

  test('stdin commands answer ok, or an error naming the problem', async () => {
    const sim = await startAtlasSim();
    try {
      assert.equal(await sim.command('stall on'), 'ok');
      assert.equal((await sim.state()).stalled, true);
      await assert.rejects(sim.command('stall sideways'), /expected on or off/);
      await assert.rejects(sim.command('levitate'), /unknown command "levitate"/);
      assert.match(await sim.command('help'), /^commands: status, unplug, replug, unplug-after <ms>,/);
      assert.equal(await sim.command('stall off'), 'ok', 'the answer after help is its own');
    } finally {
      await sim.stop();
    }
  });
});
