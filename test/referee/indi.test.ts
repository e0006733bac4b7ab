// INDI as a referee: indiserver runs Debian's indi_fli_focus (INDI's FLI focuser driver, on libfli2)
// over the libusb stand-in, and indi_getprop/indi_setprop drive it as an observatory would. Then our
// focusd, on the same simulator, reports the position INDI left the focuser at.
//
// indiserver listens on every address of its network namespace; it runs in a namespace of its own
// (unshare --net) that has only a loopback interface, and the INDI clients join it with nsenter.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { eventually, startSimulated } from '../cli/harness.js';
import { start, type Running } from '../helpers/process.js';
import { requireNativeBuild, scratchDir, shimEnv, startAtlasSim, type AtlasSim } from './harness.js';

const DEVICE = 'FLI PDF';
const PORT = '7624';

interface Indi {
  server: Running;
  get(...specs: string[]): Map<string, string>;
  set(spec: string): void;
  stop(): Promise<unknown>;
}

/** `unshare --net` as root; as another user, in a user namespace of its own. */
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function startIndi(socket: string): Promise<Indi> {
  const unshare = asRoot ? ['--net'] : ['--map-root-user', '--net'];
  // INDI drivers save their configuration under $HOME/.indi: keep that in a scratch directory.
  const server = start('unshare', [...unshare, '--', 'sh', '-c', `PATH="$PATH:/usr/sbin:/sbin"; ip link set lo up && exec indiserver -v -p ${PORT} indi_fli_focus`], {
    env: shimEnv(socket, { HOME: scratchDir('indi-home') }),
    lifetimeMs: 120_000,
  });
  const inside = (command: string, args: string[]): { code: number | null; out: string; err: string } => {
    const enter = asRoot ? ['-t', String(server.pid), '-n'] : ['-t', String(server.pid), '-U', '-n', '--preserve-credentials'];
    const r = spawnSync('nsenter', [...enter, '--', command, ...args], { encoding: 'utf8', timeout: 15_000 });
    if (r.error) throw r.error;
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const get = (...specs: string[]): Map<string, string> => {
    const r = inside('indi_getprop', ['-p', PORT, '-t', '2', ...specs]);
    // indi_getprop exits 1 when a property it was asked for does not exist (that answer is data);
    // anything else, or no server to ask, is a broken rig.
    if (r.code !== 0 && r.code !== 1) throw new Error(`indi_getprop ${specs.join(' ')} exited ${r.code}: ${r.err}`);
    if (/connect|refused/i.test(r.err)) throw new Error(`indi_getprop could not reach indiserver: ${r.err}`);
    const found = new Map<string, string>();
    for (const line of r.out.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) found.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return found;
  };
  const set = (spec: string): void => {
    const r = inside('indi_setprop', ['-p', PORT, '-t', '5', spec]);
    assert.equal(r.code, 0, `indi_setprop ${spec}: ${r.err}`);
  };
  await server.waitFor(/listening to port/, 15_000).catch((e: unknown) => {
    throw new Error(`indiserver did not start in its own network namespace (needs root, or unprivileged user namespaces): ${String(e)}`);
  });
  await eventually(() => get(`${DEVICE}.CONNECTION.CONNECT`).size === 1, 15_000, 'the FLI PDF driver to define its properties');
  return { server, get, set, stop: () => server.stop() };
}

describe('INDI (indiserver + indi_fli_focus on libfli2) drives the simulated Atlas', { timeout: 150_000 }, () => {
  let sim: AtlasSim;
  let indi: Indi;
  before(async () => {
    requireNativeBuild();
    // 2000 steps/s: the 5000-step move lasts 2.5 s, long enough to see it Busy between two polls.
    sim = await startAtlasSim(['--serial', 'INDI-0001', '--step-rate', '2000', '--position', '1000']);
    indi = await startIndi(sim.socket);
  });
  after(async () => {
    await indi?.stop();
    await sim?.stop();
  });

  const absolute = `${DEVICE}.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION`;
  let finalPosition = -1;
  const absoluteState = `${DEVICE}.ABS_FOCUS_POSITION._STATE`;

  test('connect: the driver reads model, firmware, extent and position from the simulator', async () => {
    indi.set(`${DEVICE}.CONNECTION.CONNECT=On`);
    await eventually(() => indi.get(`${DEVICE}.Model.Model`).size === 1, 15_000, 'the driver to connect');
    assert.equal(indi.get(`${DEVICE}.Model.Model`).get(`${DEVICE}.Model.Model`), 'Atlas Focuser');
    assert.equal(indi.get(`${DEVICE}.Model.FW Rev`).get(`${DEVICE}.Model.FW Rev`), String(0x8043));
    assert.equal(indi.get(`${DEVICE}.FOCUS_MAX.FOCUS_MAX_VALUE`).get(`${DEVICE}.FOCUS_MAX.FOCUS_MAX_VALUE`), '100000');
    assert.equal(indi.get(absolute).get(absolute), '1000');
  });

  test('ABS_FOCUS_POSITION set is reached: the property goes Busy, then Ok at the target, where the simulator is', async () => {
    indi.set(`${absolute}=6000`);
    // indi_setprop returns once the request is sent; the driver starts the move a moment later.
    await eventually(async () => (await sim.state()).moving === true, 5_000, 'the move to start');
    assert.equal(indi.get(absoluteState).get(absoluteState), 'Busy');
    // While moving, this driver shows steps remaining in the position, so wait for both.
    let seen = '';
    await eventually(() => {
      const now = indi.get(absolute, absoluteState);
      seen += `${now.get(absoluteState)}:${now.get(absolute)} `;
      return now.get(absoluteState) === 'Ok' && now.get(absolute) === '6000';
    }, 20_000, 'ABS_FOCUS_POSITION to be Ok at 6000').catch((e: Error) => {
      throw new Error(`${e.message}; seen ${seen}`);
    });
    assert.equal((await sim.state()).position, 6000);
  });

  // This driver counts FOCUS_INWARD as adding steps; the test holds it to the distance, not the sign.
  test('a relative move of 2500 steps: INDI and the simulator agree on where it ended', async () => {
    const relativeState = `${DEVICE}.REL_FOCUS_POSITION._STATE`;
    indi.set(`${DEVICE}.REL_FOCUS_POSITION.FOCUS_RELATIVE_POSITION=2500`);
    await eventually(async () => (await sim.state()).moving === false && indi.get(relativeState).get(relativeState) === 'Ok', 20_000, 'the relative move');
    const at = (await sim.state()).position as number;
    assert.equal(Math.abs(at - 6000), 2500);
    await eventually(() => indi.get(absolute).get(absolute) === String(at), 5_000, `INDI to report ${at}`);
    finalPosition = at;
  });

  test('this driver offers no abort and no temperature (those are refereed through libfli directly)', () => {
    // Debian's indi_fli_focus (indi-fli 1.5) declares neither FOCUS_ABORT_MOTION nor
    // FOCUS_TEMPERATURE, and never calls FLIReadTemperature; libfli.test.ts covers the halt and
    // the temperatures. Should a newer driver offer them, this test says so and they join here.
    const props = indi.get(`${DEVICE}.*.*`);
    assert.ok(props.has(`${DEVICE}.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION`), 'the driver answers (the listing is real)');
    assert.ok(![...props.keys()].some((k) => k.includes('.FOCUS_ABORT_MOTION.') || k.includes('.FOCUS_TEMPERATURE.')), [...props.keys()].join(' '));
  });

  test('after INDI lets go, our focusd on the same simulator reports the position INDI left', async () => {
    indi.set(`${DEVICE}.CONNECTION.DISCONNECT=On`);
    await eventually(() => indi.get(`${DEVICE}.CONNECTION.CONNECT`).get(`${DEVICE}.CONNECTION.CONNECT`) === 'Off', 10_000, 'INDI to disconnect');
    const focusd = await startSimulated({ args: ['--simulator-socket', sim.socket] });
    try {
      const r = focusd.py(`
R['init'] = proxy().initialize()
R['status'] = proxy().report_status()
`);
      assert.equal(r.init, 0);
      const status = r.status as Record<string, unknown>;
      assert.ok(finalPosition >= 0, 'the INDI moves ran');
      assert.equal(status.current_steps, finalPosition);
      assert.equal(status.serial_number, 'INDI-0001');
      assert.equal((await sim.state()).position, finalPosition);
    } finally {
      await focusd.proc.stop();
    }
  });
});
