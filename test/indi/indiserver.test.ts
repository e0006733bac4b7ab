// Debian's indiserver chains focusd as a remote driver (`indiserver "FLI Atlas@127.0.0.1:7630"`)
// beside INDI's own focuser simulator (indi_simulator_focus) on the same server, and INDI's clients
// (indi_getprop, indi_setprop, indi_eval) judge. rockit's side (Python Pyro4, `focus`) shares the
// focuser meanwhile.
//
// indiserver listens on every address of its network namespace, so everything here runs in a
// namespace of its own (unshare --net, only a loopback interface): a holder process keeps it, and
// focusd, indiserver, the INDI clients, Python and focus join it with nsenter.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XmlStreamReader, type XmlElement } from '../../src/indi/index.js';
import { eventually } from '../cli/harness.js';
import { scratchSetup } from '../e2e/harness.js';
import { focusBin, focusdBin } from '../helpers/paths.js';
import { start, type Running } from '../helpers/process.js';
import { requirePythonPyro4 } from '../helpers/python.js';
import { indiTool, props, pythonChild } from './harness.js';

const DEV = 'FLI Atlas';
const SIM = 'Focuser Simulator';
const FOCUSD_INDI_PORT = 7630;
const ABS = `${DEV}.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION`;
const ABS_STATE = `${DEV}.ABS_FOCUS_POSITION._STATE`;

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

interface Namespace {
  holder: Running;
  /** The command prefix that runs a program inside the namespace. */
  prefix: string[];
}

async function namespace(): Promise<Namespace> {
  const unshare = asRoot ? ['--net'] : ['--map-root-user', '--net'];
  const holder = start('unshare', [...unshare, '--', 'sh', '-c', 'PATH="$PATH:/usr/sbin:/sbin"; ip link set lo up && echo namespace-ready && exec sleep 170'], {
    lifetimeMs: 175_000,
  });
  await holder.waitFor(/namespace-ready/, 10_000).catch((e: unknown) => {
    throw new Error(`could not make a network namespace (needs root, or unprivileged user namespaces): ${String(e)}`);
  });
  const enter = asRoot ? ['-t', String(holder.pid), '-n'] : ['-t', String(holder.pid), '-U', '-n', '--preserve-credentials'];
  return { holder, prefix: ['nsenter', ...enter, '--'] };
}

/** Every def*Vector a server sends for `getProperties`, read by a short program inside the namespace. */
function definitions(prefix: string[], port: number): XmlElement[] {
  const script = `
const s = require('node:net').connect(${port}, '127.0.0.1');
s.on('connect', () => s.write('<getProperties version="1.7"/>'));
s.pipe(process.stdout);
setTimeout(() => s.destroy(), 2000);`;
  const argv = [...prefix, process.execPath, '-e', script];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
  if (r.error) throw r.error;
  const { elements, error } = new XmlStreamReader({ maxElementBytes: 1 << 20 }).push(r.stdout);
  assert.equal(error, null, 'the server sent well-formed XML');
  return elements.filter((e) => e.name.startsWith('def'));
}

/**
 * A client of the server on `port` inside the namespace that keeps every element it is sent, for
 * states that last only a moment (a short program relays its socket to our pipe).
 */
function watcher(prefix: string[], port: number): { received: XmlElement[]; proc: Running } {
  const script = `
const s = require('node:net').connect(${port}, '127.0.0.1');
s.on('connect', () => s.write('<getProperties version="1.7"/>'));
s.pipe(process.stdout);
s.on('close', () => process.exit(0));`;
  const proc = start(prefix[0] as string, [...prefix.slice(1), process.execPath, '-e', script], { lifetimeMs: 170_000 });
  const received: XmlElement[] = [];
  const reader = new XmlStreamReader({ maxElementBytes: 1 << 20 });
  proc.child.stdout?.on('data', (chunk: string | Buffer) => {
    const { elements, error } = reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (error) throw new Error(`the server sent bad XML: ${error.message}`);
    received.push(...elements);
  });
  return { received, proc };
}

describe('indiserver chains focusd as a remote driver beside INDI\'s focuser simulator', { timeout: 180_000 }, () => {
  let ns: Namespace;
  let focusd: Running;
  let server: Running;
  let uri = '';
  let focusEnv: NodeJS.ProcessEnv = {};
  const get = (...specs: string[]) => props(indiTool('indi_getprop', ['-t', '3', ...specs], ns.prefix).out);
  const set = (spec: string): void => {
    const r = indiTool('indi_setprop', ['-t', '5', spec], ns.prefix);
    assert.equal(r.code, 0, `indi_setprop ${spec}: ${r.err}`);
  };
  const evalTrue = (expression: string, seconds = 20): void => {
    const r = indiTool('indi_eval', ['-t', String(seconds), '-w', expression], ns.prefix, (seconds + 10) * 1000);
    assert.equal(r.code, 0, `indi_eval -w ${expression} (exit ${r.code}): ${r.err}`);
  };
  const py = (body: string) => pythonChild(uri, body, ns.prefix);
  const focus = async (args: string[]) => {
    const p = start(ns.prefix[0] as string, [...ns.prefix.slice(1), process.execPath, focusBin, ...args], { env: focusEnv, lifetimeMs: 30_000 });
    const { code } = await p.exited;
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  };

  before(async () => {
    requirePythonPyro4();
    ns = await namespace();
    const { dir, config, env } = scratchSetup({ moveTimeout: 120 });
    focusd = start(ns.prefix[0] as string, [...ns.prefix.slice(1), process.execPath, focusdBin, '--simulate', '--indi', String(FOCUSD_INDI_PORT), config], {
      env,
      lifetimeMs: 170_000,
    });
    uri = (await focusd.waitFor(/Starting daemon (PYRO:[^\s"]+)/))[1] as string;
    await focusd.waitFor(/Serving INDI device "FLI Atlas" on 127\.0\.0\.1:7630/);
    const book = join(dir, 'port.json');
    writeFileSync(book, JSON.stringify({ daemons: { e2e_focuser: { object_id: 'e2e_focuser_daemon', host: '127.0.0.1', port: Number(/:(\d+)$/.exec(uri)?.[1]) } } }));
    focusEnv = { ...env, FOCUSD_PHONEBOOK: `${env.FOCUSD_PHONEBOOK}:${book}`, FOCUSD_CONFIG_PATH: config };
    // INDI drivers keep their configuration under $HOME/.indi: a scratch directory.
    server = start(ns.prefix[0] as string, [...ns.prefix.slice(1), 'indiserver', '-v', '-p', '7624', `${DEV}@127.0.0.1:${FOCUSD_INDI_PORT}`, 'indi_simulator_focus'], {
      env: { ...process.env, HOME: dir },
      lifetimeMs: 170_000,
    });
    await server.waitFor(/listening to port 7624/, 15_000);
    await eventually(() => get(`${DEV}.CONNECTION.CONNECT`).size === 1 && get(`${SIM}.CONNECTION.CONNECT`).size === 1, 20_000, 'both devices on indiserver');
  });
  after(async () => {
    await server?.stop();
    await focusd?.stop();
    await ns?.holder.stop();
  });

  test('the standard focuser properties have the types, permissions, rules and elements of INDI\'s simulator', () => {
    set(`${DEV}.CONNECTION.CONNECT=On`);
    set(`${SIM}.CONNECTION.CONNECT=On`);
    evalTrue(`"${DEV}.CONNECTION._STATE"==1 && "${SIM}.CONNECTION._STATE"==1`);
    // Both devices through the same indiserver: its answer to one getProperties.
    const defs = definitions(ns.prefix, 7624);
    const of = (device: string) => new Map(defs.filter((d) => d.attributes.get('device') === device).map((d) => [d.attributes.get('name') as string, d]));
    const ours = of(DEV);
    const theirs = of(SIM);
    const shape = (d: XmlElement | undefined) =>
      d && {
        type: d.name,
        perm: d.attributes.get('perm'),
        rule: d.attributes.get('rule'),
        elements: d.children.map((c) => `${c.name} ${c.attributes.get('name')}`),
        numbers: d.children.filter((c) => c.name === 'defNumber').map((c) => c.attributes.get('format')),
      };
    for (const name of ['CONNECTION', 'DRIVER_INFO', 'FOCUS_MOTION', 'REL_FOCUS_POSITION', 'ABS_FOCUS_POSITION']) {
      assert.ok(ours.has(name) && theirs.has(name), `${name} is defined by both devices`);
      assert.deepEqual(shape(ours.get(name)), shape(theirs.get(name)), name);
    }
    assert.equal(ours.get('DRIVER_INFO')?.children.find((c) => c.attributes.get('name') === 'DRIVER_INTERFACE')?.text.trim(), '8');
    // Where we differ, on purpose: FOCUS_MAX is the focuser's fixed extent (read-only here);
    // FOCUS_TEMPERATURE has one element per sensor, TEMPERATURE first, and is read-only;
    // FOCUS_ABORT_MOTION exists here (this simulator has no abort).
    assert.deepEqual({ ...shape(ours.get('FOCUS_MAX')), perm: 'rw' }, shape(theirs.get('FOCUS_MAX')));
    const temperature = shape(ours.get('FOCUS_TEMPERATURE'));
    assert.deepEqual(temperature?.elements, ['defNumber TEMPERATURE', 'defNumber TEMPERATURE_EXTERNAL']);
    assert.equal(temperature?.perm, 'ro');
    assert.deepEqual(shape(theirs.get('FOCUS_TEMPERATURE'))?.elements, ['defNumber TEMPERATURE']);
    assert.equal(theirs.has('FOCUS_ABORT_MOTION'), false);
    assert.deepEqual(shape(ours.get('FOCUS_ABORT_MOTION')), { type: 'defSwitchVector', perm: 'rw', rule: 'AtMostOne', elements: ['defSwitch ABORT'], numbers: [] });
    for (const d of ours.values()) assert.match(d.attributes.get('state') ?? '', /^(Idle|Ok|Busy|Alert)$/);
  });

  test('temperatures and device facts', () => {
    const all = get(`${DEV}.FOCUS_TEMPERATURE.*`, `${DEV}.FOCUSER_INFO.*`);
    assert.equal(all.get(`${DEV}.FOCUS_TEMPERATURE.TEMPERATURE`), '21.5');
    assert.equal(all.get(`${DEV}.FOCUS_TEMPERATURE.TEMPERATURE_EXTERNAL`), '18.25');
    assert.equal(all.get(`${DEV}.FOCUSER_INFO.FIRMWARE`), '0x8043');
  });

  test('an absolute move: Busy, then Ok at the target; focus status shows the position INDI moved to', async () => {
    await py(`R['r'] = sim().set_step_rate(2000)`).result;
    set(`${ABS}=6000`);
    evalTrue(`"${ABS_STATE}"==2`);
    evalTrue(`"${ABS_STATE}"==1 && "${ABS}"==6000`);
    const status = await focus(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Focuser is IDLE \(006000 steps\)/);
  });

  test('a relative move outward, then out of range is Alert', () => {
    set(`${DEV}.FOCUS_MOTION.FOCUS_OUTWARD=On`);
    set(`${DEV}.REL_FOCUS_POSITION.FOCUS_RELATIVE_POSITION=2500`);
    evalTrue(`"${DEV}.REL_FOCUS_POSITION._STATE"==1 && "${ABS}"==8500`);
    set(`${ABS}=100001`);
    evalTrue(`"${ABS_STATE}"==3`);
    assert.equal(get(ABS).get(ABS), '8500');
  });

  test('abort mid-move: ABORT Ok, ABS back to Idle where the focuser stopped', async () => {
    set(`${ABS}=90000`);
    evalTrue(`"${ABS_STATE}"==2 && "${ABS}">9500`);
    set(`${DEV}.FOCUS_ABORT_MOTION.ABORT=On`);
    evalTrue(`"${ABS_STATE}"==0 && "${DEV}.FOCUS_ABORT_MOTION._STATE"==1`);
    const stopped = Number(get(ABS).get(ABS));
    assert.ok(stopped > 9500 && stopped < 90000, String(stopped));
    const status = (await py(`R['s'] = proxy().report_status()`).result).s as Record<string, unknown>;
    assert.deepEqual([status.status, status.current_steps], [1, stopped]);
  });

  test('a rockit move is Busy on INDI and an INDI move is refused during it; rockit stop() halts an INDI move', async () => {
    // The refusal's Alert lasts until the next position of the running move (100 ms at most): a
    // client already connected sees it; one started after the write may not.
    const w = watcher(ns.prefix, 7624);
    try {
      await eventually(() => w.received.some((e) => e.attributes.get('name') === 'ABS_FOCUS_POSITION'), 10_000, 'the watcher following');
      const rockit = py(`R['code'] = proxy(timeout=90).set_focus(1000)`);
      evalTrue(`"${ABS_STATE}"==2`);
      const from = w.received.length;
      set(`${ABS}=50000`);
      const isAbs = (e: XmlElement) => e.name === 'setNumberVector' && e.attributes.get('device') === DEV && e.attributes.get('name') === 'ABS_FOCUS_POSITION';
      await eventually(
        () => w.received.slice(from).some((e) => isAbs(e) && e.attributes.get('state') === 'Alert' && /^Refused: the focuser is busy/.test(e.attributes.get('message') ?? '')),
        10_000,
        'the refused move in Alert',
      );
      evalTrue(`"${ABS_STATE}"==2`, 5); // while the rockit move goes on
      assert.equal((await rockit.result).code, 0);
    } finally {
      await w.proc.stop();
    }
    evalTrue(`"${ABS_STATE}"==1 && "${ABS}"==1000`);
    set(`${ABS}=60000`);
    evalTrue(`"${ABS_STATE}"==2 && "${ABS}">2000`);
    const r = await py(`R['stop'] = proxy().stop()
R['s'] = proxy().report_status()`).result;
    assert.equal(r.stop, 0);
    evalTrue(`"${ABS_STATE}"==0`);
    assert.equal(get(ABS).get(ABS), String((r.s as Record<string, unknown>).current_steps));
  });

  test('DISCONNECT through indiserver calls shutdown', async () => {
    set(`${DEV}.CONNECTION.DISCONNECT=On`);
    evalTrue(`"${DEV}.CONNECTION.DISCONNECT"==1`);
    const r = await py(`R['status'] = proxy().report_status()['status']`).result;
    assert.equal(r.status, 0);
  });
});
