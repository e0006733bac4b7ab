// focusd --indi on the simulated focuser, judged by INDI's own clients (indi_getprop, indi_setprop,
// indi_eval) connecting directly on 127.0.0.1, by a raw INDI client that records every update, and
// by rockit's side: real Python Pyro4 clients and our `focus` command line, all child processes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { eventually, runFocus } from '../cli/harness.js';
import { focusdBin } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { scratchSetup } from '../e2e/harness.js';
import { indiTool, props, pythonChild, RawClient, startWithIndi, type Received } from './harness.js';

const DEV = 'FLI Atlas';
const ABS = `${DEV}.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION`;
const ABS_STATE = `${DEV}.ABS_FOCUS_POSITION._STATE`;

const isSet = (name: string) => (r: Received) => r.element.name.startsWith('set') && r.attr('name') === name;
const absPosition = (r: Received): number => Number(r.members.get('FOCUS_ABSOLUTE_POSITION'));

describe('focusd --indi: INDI clients on the simulated focuser, beside rockit on Pyro4', { timeout: 240_000 }, () => {
  let t: Awaited<ReturnType<typeof startWithIndi>>;
  let watch: RawClient;
  const get = (...specs: string[]) => props(indiTool('indi_getprop', ['-h', '127.0.0.1', '-p', String(t.indiPort), '-t', '3', ...specs]).out);
  const set = (spec: string): void => {
    const r = indiTool('indi_setprop', ['-h', '127.0.0.1', '-p', String(t.indiPort), '-t', '5', spec]);
    assert.equal(r.code, 0, `indi_setprop ${spec}: ${r.err}`);
  };
  const evalTrue = (expression: string, seconds = 20): void => {
    const r = indiTool('indi_eval', ['-h', '127.0.0.1', '-p', String(t.indiPort), '-t', String(seconds), '-w', expression], [], (seconds + 10) * 1000);
    assert.equal(r.code, 0, `indi_eval -w ${expression} (exit ${r.code}): ${r.err}`);
  };
  const py = (body: string) => pythonChild(t.uri, body);

  before(async () => {
    t = await startWithIndi({ moveTimeout: 60 });
    watch = await RawClient.open(t.indiPort);
    watch.send('<getProperties version="1.7"/>');
    await watch.waitFor((r) => r.attr('name') === 'DRIVER_INFO', 'DRIVER_INFO');
  });
  after(async () => {
    watch?.close();
    await t?.proc.stop();
  });

  test('before connecting: CONNECTION (Off) and DRIVER_INFO with interface 8, nothing else', () => {
    const all = get(`${DEV}.*.*`);
    assert.equal(all.get(`${DEV}.CONNECTION.CONNECT`), 'Off');
    assert.equal(all.get(`${DEV}.CONNECTION.DISCONNECT`), 'On');
    assert.equal(all.get(`${DEV}.DRIVER_INFO.DRIVER_INTERFACE`), '8');
    assert.equal(all.get(`${DEV}.DRIVER_INFO.DRIVER_EXEC`), 'focusd');
    assert.deepEqual([...new Set([...all.keys()].map((k) => k.split('.')[1]))], ['CONNECTION', 'DRIVER_INFO']);
  });

  test('CONNECT calls initialize: rockit sees the focuser connected, INDI sees the focuser properties', async () => {
    set(`${DEV}.CONNECTION.CONNECT=On`);
    evalTrue(`"${DEV}.CONNECTION._STATE"==1 && "${DEV}.CONNECTION.CONNECT"==1`);
    const status = (await py(`R['status'] = proxy().report_status()`).result).status as Record<string, unknown>;
    assert.equal(status.status, 1);
    const all = get(`${DEV}.*.*`);
    assert.equal(all.get(ABS), String(status.current_steps));
    assert.equal(all.get(`${DEV}.FOCUS_MAX.FOCUS_MAX_VALUE`), '100000');
    assert.equal(all.get(`${DEV}.FOCUS_MOTION.FOCUS_INWARD`), 'On');
    assert.equal(all.get(`${DEV}.FOCUS_ABORT_MOTION.ABORT`), 'Off');
    assert.equal(all.get(`${DEV}.FOCUS_TEMPERATURE.TEMPERATURE`), '21.5');
    assert.equal(all.get(`${DEV}.FOCUS_TEMPERATURE.TEMPERATURE_EXTERNAL`), '18.25');
    assert.equal(all.get(`${DEV}.FOCUSER_INFO.MODEL`), 'Atlas Focuser');
    assert.equal(all.get(`${DEV}.FOCUSER_INFO.FIRMWARE`), '0x8043');
    assert.equal(all.get(`${DEV}.FOCUSER_INFO.SERIAL_NUMBER`), status.serial_number);
    assert.equal(get(`${DEV}.FOCUS_MAX._PERM`).get(`${DEV}.FOCUS_MAX._PERM`), 'ro');
  });

  test('an absolute move: Busy with positions at least twice a second, then Ok at the target; focus status agrees', async () => {
    await py(`R['rate'] = sim().set_step_rate(2000)`).result;
    const from = watch.received.length;
    set(`${ABS}=7000`);
    const ok = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Ok', 'ABS Ok', 20_000, from);
    assert.equal(absPosition(ok), 7000);
    const busy = watch.received.slice(from).filter((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Busy');
    const positions = busy.map(absPosition);
    assert.equal(busy[0]?.attr('message'), 'Moving to 7000 steps');
    assert.ok(positions.length >= 5, `${positions.length} Busy updates for a 3 s move: ${positions.join(' ')}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'positions go one way');
    assert.equal(get(ABS_STATE).get(ABS_STATE), 'Ok');
    const status = await runFocus(['status'], t.env);
    assert.match(status.stdout, /^Focuser is IDLE \(007000 steps\)/);
  });

  test('position updates arrive at least twice a second all through a move', async () => {
    const from = watch.received.length;
    set(`${ABS}=3000`);
    const ok = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Ok', 'ABS Ok', 20_000, from);
    assert.equal(absPosition(ok), 3000);
    const times = watch.received.slice(from).filter((r) => isSet('ABS_FOCUS_POSITION')(r)).map((r) => r.at);
    const gaps = times.slice(1).map((x, i) => x - (times[i] as number));
    assert.ok(times.length >= 4, `only ${times.length} updates for a 2 s move`);
    assert.ok(Math.max(...gaps) < 500, `a gap of ${Math.max(...gaps)} ms between position updates`);
  });

  test("a relative move goes FOCUS_MOTION's way; REL and ABS end Ok", () => {
    set(`${DEV}.FOCUS_MOTION.FOCUS_OUTWARD=On`);
    set(`${DEV}.REL_FOCUS_POSITION.FOCUS_RELATIVE_POSITION=1500`);
    evalTrue(`"${DEV}.REL_FOCUS_POSITION._STATE"==1 && "${ABS}"==4500 && "${ABS_STATE}"==1`);
    set(`${DEV}.FOCUS_MOTION.FOCUS_INWARD=On`);
    set(`${DEV}.REL_FOCUS_POSITION.FOCUS_RELATIVE_POSITION=500`);
    evalTrue(`"${DEV}.REL_FOCUS_POSITION._STATE"==1 && "${ABS}"==4000`);
  });

  test('out of range: Alert with a message, and nothing moves', async () => {
    const from = watch.received.length;
    set(`${ABS}=100001`);
    const alert = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Alert', 'ABS Alert', 10_000, from);
    assert.equal(alert.attr('message'), 'ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION: 100001 is outside 0 to 100000');
    set(`${DEV}.REL_FOCUS_POSITION.FOCUS_RELATIVE_POSITION=4001`); // inward from 4000
    const rel = await watch.waitFor((r) => isSet('REL_FOCUS_POSITION')(r) && r.attr('state') === 'Alert', 'REL Alert', 10_000, from);
    assert.equal(rel.attr('message'), "Requested position -1 is outside the focuser's range 0 to 100000");
    const status = (await py(`R['s'] = proxy().report_status()`).result).s as Record<string, unknown>;
    assert.deepEqual([status.status, status.current_steps], [1, 4000]);
  });

  test('a rockit move shows Busy on INDI; an INDI move meanwhile is refused as set_focus answers Blocked; INDI abort halts it', async () => {
    const from = watch.received.length;
    const rockit = py(`
R['code'] = proxy(timeout=60).set_focus(90000)
R['status'] = proxy().report_status()
`);
    const busy = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Busy', 'ABS Busy from the rockit move', 10_000, from);
    assert.equal(busy.attr('message'), 'Moving to 90000 steps');
    evalTrue(`"${ABS_STATE}"==2 && "${ABS}">5000`);
    const blocked = (await py(`R['code'] = proxy().set_focus(100)`).result).code;
    assert.equal(blocked, 2, 'Pyro answers Blocked');
    const refusedFrom = watch.received.length;
    set(`${ABS}=100`);
    const refused = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Alert', 'the refused INDI move', 10_000, refusedFrom);
    assert.match(refused.attr('message') ?? '', /^Refused: the focuser is busy with another move or command \(Pyro set_focus answers Blocked now\)/);
    // The rockit move goes on, and is shown Busy again.
    await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Busy', 'Busy again', 5_000, refusedFrom);
    set(`${DEV}.FOCUS_ABORT_MOTION.ABORT=On`);
    const r = await rockit.result;
    assert.equal(r.code, 1, 'set_focus answers as for a stop');
    const stoppedAt = (r.status as Record<string, unknown>).current_steps as number;
    assert.ok(stoppedAt > 5000 && stoppedAt < 90000, String(stoppedAt));
    const idle = await watch.waitFor((x) => isSet('ABS_FOCUS_POSITION')(x) && x.attr('state') === 'Idle', 'ABS Idle', 10_000, refusedFrom);
    assert.equal(idle.attr('message'), `Move stopped by INDI abort from 127.0.0.1 at ${stoppedAt} steps (target 90000)`);
    assert.equal(absPosition(idle), stoppedAt);
    await watch.waitFor((x) => isSet('FOCUS_ABORT_MOTION')(x) && x.attr('state') === 'Ok' && x.members.get('ABORT') === 'Off', 'ABORT Ok', 10_000, refusedFrom);
    assert.equal(get(ABS).get(ABS), String(stoppedAt));
  });

  test("rockit's stop() halts an INDI move: ABS back to Idle at the stopped position", async () => {
    const from = watch.received.length;
    set(`${ABS}=1000`);
    await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Busy', 'ABS Busy', 10_000, from);
    const r = await py(`
time.sleep(0.5)
R['stop'] = proxy().stop()
R['status'] = proxy().report_status()
`).result;
    assert.equal(r.stop, 0);
    const at = (r.status as Record<string, unknown>).current_steps as number;
    const idle = await watch.waitFor((x) => isSet('ABS_FOCUS_POSITION')(x) && x.attr('state') === 'Idle', 'ABS Idle', 10_000, from);
    assert.equal(absPosition(idle), at);
    assert.equal(idle.attr('message'), `Move stopped by stop() from 127.0.0.1 at ${at} steps (target 1000)`);
    assert.ok(at > 1000, String(at));
    const status = await runFocus(['status'], t.env);
    assert.match(status.stdout, new RegExp(`^Focuser is IDLE \\(${String(at).padStart(6, '0')} steps\\)`));
  });

  test('a client that is not a control machine reads everything and gets Alert on writes', async () => {
    const other = await RawClient.open(t.indiPort, { localAddress: '127.0.0.2' });
    try {
      other.send('<getProperties version="1.7"/>');
      await other.waitFor((r) => r.element.name === 'defNumberVector' && r.attr('name') === 'ABS_FOCUS_POSITION', 'ABS defined');
      const before = get(ABS).get(ABS);
      other.send(`<newNumberVector device="${DEV}" name="ABS_FOCUS_POSITION"><oneNumber name="FOCUS_ABSOLUTE_POSITION">50000</oneNumber></newNumberVector>`);
      const alert = await other.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Alert', 'ABS Alert');
      assert.equal(alert.attr('message'), "Refused: 127.0.0.2 is not one of this focuser's control machines (control_machines in the config); it may only read");
      other.send(`<newSwitchVector device="${DEV}" name="CONNECTION"><oneSwitch name="DISCONNECT">On</oneSwitch></newSwitchVector>`);
      await other.waitFor((r) => isSet('CONNECTION')(r) && r.attr('state') === 'Alert', 'CONNECTION Alert');
      const status = (await py(`R['s'] = proxy().report_status()`).result).s as Record<string, unknown>;
      assert.deepEqual([status.status, String(status.current_steps)], [1, before]);
    } finally {
      other.close();
    }
  });

  test('DISCONNECT calls shutdown; a connection made by rockit shows on INDI', async () => {
    const from = watch.received.length;
    set(`${DEV}.CONNECTION.DISCONNECT=On`);
    await watch.waitFor((r) => r.element.name === 'delProperty' && r.attr('name') === 'ABS_FOCUS_POSITION', 'ABS deleted', 10_000, from);
    evalTrue(`"${DEV}.CONNECTION.DISCONNECT"==1 && "${DEV}.CONNECTION._STATE"==0`);
    const r = await py(`
R['status'] = proxy().report_status()['status']
R['init'] = proxy().initialize()
`).result;
    assert.deepEqual([r.status, r.init], [0, 0]);
    await watch.waitFor((x) => x.element.name === 'defNumberVector' && x.attr('name') === 'ABS_FOCUS_POSITION', 'ABS defined again', 10_000, from);
    evalTrue(`"${DEV}.CONNECTION.CONNECT"==1 && "${DEV}.CONNECTION._STATE"==1`);
  });

  test('Pyro keeps serving while INDI clients send garbage, huge documents and crowd in', async () => {
    const garbage = await Promise.all(Array.from({ length: 100 }, () => RawClient.open(t.indiPort)));
    garbage.forEach((c, i) => c.send(i % 2 === 0 ? Buffer.from([0xde, 0xad, 0xbe, 0xef]) : '<getProperties version="1.7"/><a><b></a>'));
    const huge = await RawClient.open(t.indiPort);
    huge.send('<newTextVector device="FLI Atlas" name="X"><oneText name="Y">');
    for (let i = 0; i < 200 && !huge.isClosed; i++) {
      huge.send('h'.repeat(4096));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const r = await py(`
R['status'] = proxy().report_status()['status']
R['move'] = proxy().set_focus(2500)
`).result;
    assert.deepEqual([r.status, r.move], [1, 0]);
    await Promise.all(garbage.map((c) => c.closed));
    await huge.closed;
    evalTrue(`"${ABS}"==2500`);
  });
  test("rockit's home() shows on INDI: Busy while homing, Ok at 0", async () => {
    const from = watch.received.length;
    const r = await py(`R['home'] = proxy(timeout=60).home()`).result;
    assert.equal(r.home, 0);
    const busy = await watch.waitFor((x) => isSet('ABS_FOCUS_POSITION')(x) && x.attr('state') === 'Busy', 'ABS Busy', 5_000, from);
    assert.equal(busy.attr('message'), 'Homing');
    const ok = await watch.waitFor((x) => isSet('ABS_FOCUS_POSITION')(x) && x.attr('state') === 'Ok', 'ABS Ok', 10_000, from);
    assert.deepEqual([absPosition(ok), ok.attr('message')], [0, 'Homed at 0 steps']);
  });
});

describe('focusd --indi: time-outs and faults', { timeout: 120_000 }, () => {
  let t: Awaited<ReturnType<typeof startWithIndi>>;
  let watch: RawClient;
  before(async () => {
    t = await startWithIndi({ moveTimeout: 1 });
    watch = await RawClient.open(t.indiPort);
    watch.send('<getProperties version="1.7"/>');
    watch.send(`<newSwitchVector device="${DEV}" name="CONNECTION"><oneSwitch name="CONNECT">On</oneSwitch></newSwitchVector>`);
    await watch.waitFor((r) => r.element.name === 'defNumberVector' && r.attr('name') === 'ABS_FOCUS_POSITION', 'connected');
  });
  after(async () => {
    watch?.close();
    await t?.proc.stop();
  });
  const move = (to: number) =>
    watch.send(`<newNumberVector device="${DEV}" name="ABS_FOCUS_POSITION"><oneNumber name="FOCUS_ABSOLUTE_POSITION">${to}</oneNumber></newNumberVector>`);

  test('a move that passes move_timeout ends in Alert saying so', async () => {
    const from = watch.received.length;
    move(90000); // 89 s at 1000 steps/s: move_timeout (1 s) halts it
    const alert = await watch.waitFor((r) => isSet('ABS_FOCUS_POSITION')(r) && r.attr('state') === 'Alert', 'ABS Alert', 10_000, from);
    assert.match(alert.attr('message') ?? '', /^Move timed out after 1 s at \d+ steps \(target 90000\); motor halted$/);
  });

  test('a fault during a move: CONNECTION Alert with the cause, the focuser properties go', async () => {
    await pythonChild(t.uri, `R['u'] = sim().unplug_after(300)`).result;
    const from = watch.received.length;
    move(500);
    const gone = await watch.waitFor((r) => r.element.name === 'delProperty' && r.attr('name') === 'ABS_FOCUS_POSITION', 'ABS deleted', 10_000, from);
    assert.match(gone.attr('message') ?? '', /^Focuser fault during move: /);
    const connection = await watch.waitFor((r) => isSet('CONNECTION')(r) && r.attr('state') === 'Alert', 'CONNECTION Alert', 10_000, from);
    assert.equal(connection.members.get('CONNECT'), 'Off');
    // Replugged, CONNECT works again.
    await pythonChild(t.uri, `R['r'] = sim().replug()`).result;
    watch.send(`<newSwitchVector device="${DEV}" name="CONNECTION"><oneSwitch name="CONNECT">On</oneSwitch></newSwitchVector>`);
    await watch.waitFor((r) => isSet('CONNECTION')(r) && r.attr('state') === 'Ok', 'CONNECTION Ok', 10_000, from);
  });
});

describe('focusd --indi: the option', { timeout: 60_000 }, () => {
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const { config, env: base } = scratchSetup();
    const p = start(process.execPath, [focusdBin, '--simulate', ...args, config], { env: { ...base, ...env }, lifetimeMs: 20_000 });
    return p;
  };

  test('a bad address, or --indi-device alone, is one line naming the problem; exit 1', async () => {
    for (const [args, expected] of [
      [['--indi', 'seven'], /^focusd: INDI address 'seven' is not \[HOST:\]PORT \(for example 7630 or 127\.0\.0\.1:7630\)\n$/],
      [['--indi', '127.0.0.1:99999'], /^focusd: INDI address '127\.0\.0\.1:99999' is not \[HOST:\]PORT/],
      [['--indi', 'example.org:7630'], /^focusd: INDI address 'example\.org:7630': the host must be an IP address of this machine/],
      [['--indi', '192.0.2.1:7630'], /^focusd: cannot listen on 192\.0\.2\.1:7630 for INDI \(--indi\): 192\.0\.2\.1 is not an address of this machine\n$/],
      [['--indi-device', 'X'], /^focusd: --indi-device names the INDI device: it needs --indi \[HOST:\]PORT\n$/],
    ] as Array<[string[], RegExp]>) {
      const p = await run(args);
      const { code } = await p.exited;
      assert.equal(code, 1, args.join(' '));
      assert.match(p.stderr(), expected);
    }
  });

  test('an INDI port in use is one line saying so; exit 1, and the Pyro port is let go', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = await run(['--indi', `127.0.0.1:${port}`]);
      const { code } = await p.exited;
      assert.equal(code, 1);
      assert.equal(p.stderr(), `focusd: cannot listen on 127.0.0.1:${port} for INDI (--indi): the port is already in use (is another focusd running?)\n`);
    } finally {
      blocker.close();
    }
  });

  test('FOCUSD_INDI and FOCUSD_INDI_DEVICE do what --indi and --indi-device do', async () => {
    const p = await run([], { FOCUSD_INDI: '0', FOCUSD_INDI_DEVICE: 'Dome Focuser' });
    try {
      const m = await p.waitFor(/Serving INDI device "Dome Focuser" on 127\.0\.0\.1:(\d+)/);
      const out = props(indiTool('indi_getprop', ['-h', '127.0.0.1', '-p', m[1] as string, '-t', '3', 'Dome Focuser.DRIVER_INFO.*']).out);
      assert.equal(out.get('Dome Focuser.DRIVER_INFO.DRIVER_NAME'), 'Dome Focuser');
    } finally {
      await p.stop();
    }
    await eventually(() => p.child.exitCode !== null || p.child.signalCode !== null, 5000, 'focusd to stop');
  });
});
