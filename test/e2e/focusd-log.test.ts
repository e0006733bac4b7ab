import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';
import { python, startFocusd, type Focusd } from './harness.js';

// Observatory log forwarding, received by a small Python Pyro4 log daemon.

const running: Focusd[] = [];
after(async () => {
  for (const f of running) await f.proc.stop();
});

async function logDaemon(objectId = 'observatory_log_daemon') {
  requirePythonPyro4();
  const proc = start(PYTHON, ['-u', fromRoot('test', 'fixtures', 'service', 'log_daemon.py'), objectId], { lifetimeMs: 90_000 });
  const m = await proc.waitFor(/LOG DAEMON (PYRO:\S+)/);
  const uri = m[1] as string;
  const records = (): { level: string; table: string; message: string }[] =>
    proc
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; table: string; message: string });
  return { proc, uri, port: Number(uri.split(':').at(-1)), records };
}

async function eventually<T>(probe: () => T | undefined, what: string, limitMs = 15_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('focusd log forwarding', () => {
  test('info, warning and error go to log_info/log_warning/log_error with table = log_name', async () => {
    const log = await logDaemon();
    const f = await startFocusd({ logDaemon: log.uri, moveTimeout: 1 });
    running.push(f);
    const r = python(
      f.uri,
      `
s = sim()
s.set_step_rate(1000)
f = proxy()
R['init'] = f.initialize()
start = f.report_status()['current_steps']
s.stall(True)
R['timeout'] = f.set_focus(start + 100)
s.stall(False)
mover = in_thread(lambda: proxy().set_focus(start + 5000))
wait_for(lambda: f.report_status()['status'] == 2)
s.unplug()
R['fault'] = mover()
`,
    );
    assert.deepEqual([r.init, r.timeout, r.fault], [0, 1, 1]);
    const records = await eventually(() => {
      const got = log.records();
      return got.some((x) => x.level === 'error') ? got : undefined;
    }, 'the error line');
    for (const rec of records) assert.equal(rec.table, 'focusd@e2e');
    assert.ok(records.some((x) => x.level === 'info' && x.message === 'Focuser initialized'));
    assert.ok(records.some((x) => x.level === 'warning' && /timed out/.test(x.message)));
    assert.ok(records.some((x) => x.level === 'error' && /fault during move/.test(x.message)));
    await log.proc.stop();
  });

  test('FOCUSD_LOG_DAEMON may name a phone book daemon, e.g. warwick_log', async () => {
    const log = await logDaemon('warwick_operations_daemon');
    // Point warwick_log at the fixture through an extra phone book file.
    const extra = join(mkdtempSync(join(tmpdir(), 'focusd-logbook-')), 'logbook.json');
    writeFileSync(extra, JSON.stringify({ daemons: { warwick_log: { object_id: 'warwick_operations_daemon', host: '127.0.0.1', port: log.port } } }));
    const g = await startFocusd({ logDaemon: 'warwick_log', phoneBooks: [extra] });
    running.push(g);
    assert.equal(python(g.uri, `R['init'] = proxy().initialize()`).init, 0);
    const rec = await eventually(() => log.records().find((x) => x.message === 'Focuser initialized'), 'the info line');
    assert.deepEqual(rec, { level: 'info', table: 'focusd@e2e', message: 'Focuser initialized' });
    await log.proc.stop();
  });

  test('a missing log daemon never breaks the focuser; the failure is logged locally', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const f = await startFocusd({ logDaemon: `PYRO:observatory_log_daemon@127.0.0.1:${port}` });
    running.push(f);
    const r = python(f.uri, `R['init'] = proxy().initialize(); R['shutdown'] = proxy().shutdown(); R['again'] = proxy().initialize()`);
    assert.deepEqual([r.init, r.shutdown, r.again], [0, 0, 0]);
    await f.proc.waitFor(/Failed to forward info message to the log daemon/);
  });

  test('a log daemon that accepts but never answers does not hold up commands', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const f = await startFocusd({ logDaemon: `PYRO:observatory_log_daemon@127.0.0.1:${port}` });
      running.push(f);
      // Each command logs a line; with a 3 s client timeout any command waiting on the log would fail.
      const r = python(
        f.uri,
        `
f = proxy(timeout=3)
sim().set_step_rate(20000)
codes = []
for i in range(3):
    codes.append(f.initialize())
    codes.append(f.shutdown())
R['codes'] = codes
`,
      );
      assert.deepEqual(r.codes, [0, 0, 0, 0, 0, 0]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
