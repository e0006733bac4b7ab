// The control-machine check against a real `focusd --simulate`, attacked from other loopback
// addresses (Python clients bound with a source address, raw TS sockets with a localAddress),
// through an IPv6 / dual-stack listener (IPv4-mapped peers, ::1), with odd method names, Python
// special names, JavaScript prototype names, oneway and batch calls. Nothing a non-control peer
// sends may change the focuser, and only exposed methods ever run.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flags, PyTuple, pyObject } from '../../src/pyro/index.js';
import { python, startFocusd, type Focusd } from '../e2e/harness.js';
import { WireClient, invokeFrame } from '../reliability/wire.js';

const OBJ = 'e2e_focuser_daemon';
const running: Focusd[] = [];
after(async () => {
  for (const f of running) await f.proc.stop();
});

const portOf = (uri: string): number => Number(/:(\d+)$/.exec(uri)?.[1]);

/** Method names that must never reach anything but "no such method". */
const HOSTILE_NAMES = [
  'Initialize', 'INITIALIZE', 'initialize_', '_initialize', '__initialize', '__initialize__', 'initialize ', ' initialize',
  'initialize\u0000', 'ınitialize', 'set-focus', 'setFocus', 'Set_Focus', 'SET_FOCUS', 'set__focus',
  'constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__',
  '__lookupGetter__', 'propertyIsEnumerable', 'toLocaleString', 'call', 'apply', 'bind',
  '__class__', '__init__', '__dict__', '__reduce__', '__call__', '__getattribute__', '__delattr__', '_pyroInvoke', '_pyroId',
  'methods', 'service', 'actor', '',
];

const HOSTILE_PY = `
names = ${JSON.stringify(HOSTILE_NAMES)}
f = proxy()
R['names'] = {}
for n in names:
    R['names'][n] = call_error(lambda: f._pyroInvoke(n, (), {}))
R['getattr'] = [call_error(lambda: f._pyroInvoke('__getattr__', (a,), None)) for a in ('initialize', 'set_focus', '__class__', 'constructor')]
R['setattr'] = [call_error(lambda: f._pyroInvoke('__setattr__', (a, 1), None)) for a in ('isControl', 'initialize', '__proto__')]
R['args'] = call_error(lambda: f._pyroInvoke('initialize', (), {'__proto__': {'x': 1}}))
`;

describe('control machines: the check cannot be bypassed', { timeout: 240_000 }, () => {
  test('from other loopback addresses (Python source address): commands, oneway, batch, simulator and odd names all fail, nothing changes', async () => {
    const f = await startFocusd();
    running.push(f);
    for (const source of ['127.0.0.2', '127.0.0.3', '127.1.2.3', '127.255.255.254']) {
      const r = python(
        f.uri,
        HOSTILE_PY +
          `
R['initialize'] = f.initialize()
R['home'] = f.home()
R['set_focus'] = f.set_focus(10)
R['set_focus_kw'] = f.set_focus(steps=10, offset=True)
b = Pyro4.batch(f)
b.initialize()
b.set_focus(5)
b.stop()
R['batch'] = list(b())
ow = proxy()
ow._pyroBind()
ow._pyroOneway.update(['initialize', 'set_focus'])
R['oneway'] = [ow.initialize(), ow.set_focus(7)]
time.sleep(0.5)
s = sim()
R['sim'] = [s.unplug(), s.stall(), s.set_step_rate(1)]
R['status'] = f.report_status()['status']
`,
        { source },
      );
      assert.deepEqual([r.initialize, r.home, r.set_focus, r.set_focus_kw], [3, 3, 3, 3], source);
      assert.deepEqual(r.batch, [3, 3, 3], source);
      assert.deepEqual(r.oneway, [null, null], source);
      assert.deepEqual(r.sim, [3, 3, 3], source);
      assert.equal(r.status, 0, `${source}: the focuser was initialized by a stranger`);
      for (const [name, error] of Object.entries(r.names as Record<string, string | null>)) {
        assert.match(String(error), /^AttributeError: attempt to access (unexposed or unknown|private attribute)/, `${source} name ${JSON.stringify(name)}`);
      }
      for (const e of [...(r.getattr as string[]), ...(r.setattr as string[])]) assert.match(String(e), /^AttributeError: attempt to access/);
      assert.match(String(r.args), /^TypeError: AtlasFocuserDaemon\.initialize\(\) got an unexpected keyword argument '__proto__'/);
    }
    // The control machine then finds the focuser exactly as it was, and the same odd names fail for it too.
    const own = python(f.uri, HOSTILE_PY + `R['status'] = f.report_status()['status']\nR['init'] = f.initialize()`);
    assert.equal(own.status, 0);
    assert.equal(own.init, 0);
    for (const error of Object.values(own.names as Record<string, string | null>)) assert.match(String(error), /^AttributeError: /);
  });

  test('raw sockets bound to other loopback addresses, oneway and batch flags included: InvalidControlIP or nothing', async () => {
    const f = await startFocusd();
    running.push(f);
    const port = portOf(f.uri);
    for (const localAddress of ['127.0.0.2', '127.9.9.9']) {
      const c = await WireClient.connected(port, OBJ, { localAddress });
      assert.equal(c.localAddress, localAddress);
      assert.equal((await c.call(1, OBJ, 'initialize')).value, 3);
      assert.equal((await c.call(2, `${OBJ}.simulator`, 'unplug')).value, 3);
      const calls = [new PyTuple(['initialize', new PyTuple([]), pyObject()]), new PyTuple(['set_focus', new PyTuple([1]), pyObject()])];
      const batch = await c.call(3, OBJ, '<batch>', calls, { flags: Flags.BATCH });
      assert.deepEqual(batch.value, [3, 3]);
      c.send(invokeFrame(4, OBJ, 'initialize', [], { flags: Flags.ONEWAY }));
      assert.equal((await c.call(5, OBJ, 'report_status')).exception, null);
      c.destroy();
    }
    const status = python(f.uri, `R['s'] = proxy().report_status()['status']`);
    assert.equal(status.s, 0);
  });

  test('dual-stack listener: an IPv4-mapped peer is exactly its IPv4 address; ::1 and mapped 127.0.0.2 are not control machines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'focusd-sec-'));
    const book = join(dir, 'v6.json');
    writeFileSync(book, JSON.stringify({ daemons: { e2e_focuser: { object_id: OBJ, host: '::', port: 0 } } }));
    const f = await startFocusd({ phoneBooks: [book] });
    running.push(f);
    const port = portOf(f.uri);
    const v4 = `PYRO:${OBJ}@127.0.0.1:${port}`;
    const v6 = `PYRO:${OBJ}@[::1]:${port}`;

    // Raw sockets over IPv6 first: what address the daemon sees, and what it allows.
    // An IPv6 socket bound to the mapped form of 127.0.0.2.
    const mapped = await WireClient.connected(port, OBJ, { host: '::ffff:127.0.0.1', localAddress: '::ffff:127.0.0.2' });
    assert.equal(mapped.localAddress, '::ffff:127.0.0.2');
    assert.equal((await mapped.call(1, OBJ, 'initialize')).value, 3, '::ffff:127.0.0.2 is 127.0.0.2, not a control machine');
    mapped.destroy();
    const loop6 = await WireClient.connected(port, OBJ, { host: '::1' });
    assert.equal((await loop6.call(1, OBJ, 'initialize')).value, 3, '::1 is not listed as a control machine');
    loop6.destroy();

    const stranger6 = python(v6, `R['init'] = proxy().initialize()\nR['stop'] = proxy().stop()`);
    assert.deepEqual([stranger6.init, stranger6.stop], [3, 3]);
    const stranger4 = python(v4, `R['init'] = proxy().initialize()`, { source: '127.0.0.2' });
    assert.equal(stranger4.init, 3);
    assert.equal(python(v4, `R['s'] = proxy().report_status()['status']`).s, 0);

    // 127.0.0.1 arrives as ::ffff:127.0.0.1 on this socket and is the control machine it is.
    const asMapped = await WireClient.connected(port, OBJ, { host: '::ffff:127.0.0.1' });
    assert.equal((await asMapped.call(1, OBJ, 'initialize')).value, 0);
    asMapped.destroy();
    assert.equal(python(v4, `R['s'] = proxy().report_status()['status']`).s, 1);
  });
});
