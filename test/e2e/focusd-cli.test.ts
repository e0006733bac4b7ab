import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { focusdBin, fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { PYTHON } from '../helpers/python.js';
import { python, scratchSetup, startFocusd } from './harness.js';

function focusdWith(config: string, env: NodeJS.ProcessEnv, args: string[] = ['--simulate']) {
  return start(process.execPath, [focusdBin, ...args, config], { env, lifetimeMs: 60_000 });
}

describe('focusd command line', () => {
  test('prints Starting daemon PYRO:<id>@<host>:<port> for the phone book entry', async () => {
    const f = await startFocusd();
    assert.match(f.uri, /^PYRO:e2e_focuser_daemon@127\.0\.0\.1:\d+$/);
    assert.notEqual(f.uri.endsWith(':0'), true, 'the real port is announced');
    await f.proc.stop();
  });

  test('a port in use is a one-line error and a non-zero exit', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { dir, config, env } = scratchSetup();
      writeFileSync(
        join(dir, 'phonebook.json'),
        JSON.stringify({ daemons: { e2e_focuser: { object_id: 'e2e_focuser_daemon', host: '127.0.0.1', port } } }),
      );
      const p = focusdWith(config, env);
      const { code } = await p.exited;
      assert.notEqual(code, 0);
      const lines = p.stderr().trim().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      assert.match(lines[0] as string, new RegExp(`^focusd: cannot listen on 127\\.0\\.0\\.1:${port} .*already in use`));
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test('an address this machine does not have is a one-line error and a non-zero exit', async () => {
    const p = focusdWith(fromRoot('config', 'warwick.json'), { ...process.env, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none' });
    const { code } = await p.exited;
    assert.notEqual(code, 0);
    const lines = p.stderr().trim().split('\n');
    assert.equal(lines.length, 1, p.stderr());
    assert.match(lines[0] as string, /^focusd: cannot listen on 172\.19\.0\.160:9004 for warwick_focuser: 172\.19\.0\.160 is not an address of this machine/);
  });

  test('an invalid config stops focusd with every violation listed', async () => {
    const { dir, env } = scratchSetup();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ daemon: 'nope', log_name: 'x', control_machines: ['Nowhere'], move_timeout: 5, colour: 'red' }));
    const p = focusdWith(bad, env);
    const { code } = await p.exited;
    assert.notEqual(code, 0);
    assert.match(p.stderr(), /\/daemon: 'nope' is not a valid daemon name/);
    assert.match(p.stderr(), /\/control_machines\/0: 'Nowhere' is not a valid machine name/);
    assert.match(p.stderr(), /\/colour: is not an allowed key/);
  });

  test('--simulator-socket without --simulate is refused: focusd never simulates unless told to', async () => {
    const { config, env } = scratchSetup();
    const p = focusdWith(config, env, ['--simulator-socket', join(scratchSetup().dir, 'atlas.sock')]);
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.equal(p.stderr(), 'focusd: --simulator-socket names a simulator: it needs --simulate (focusd never simulates unless told to)\n');
    assert.doesNotMatch(p.stdout(), /Starting daemon/);
  });

  test('FOCUSD_SIMULATE=1 selects the simulator without --simulate', async () => {
    const { config, env } = scratchSetup();
    const p = focusdWith(config, { ...env, FOCUSD_SIMULATE: '1' }, []);
    const uri = (await p.waitFor(/Starting daemon (PYRO:[^\s"]+)/))[1] as string;
    const r = python(uri, `R['init'] = proxy().initialize(); R['rate'] = sim().set_step_rate(5000)`);
    assert.equal(r.init, 0);
    await p.stop();
  });

  test('SIGTERM during a move halts it, closes the focuser and exits 0', async () => {
    const f = await startFocusd();
    const client = start(
      PYTHON,
      [
        '-u',
        '-c',
        `
import sys, json, Pyro4
f = Pyro4.Proxy(sys.argv[1]); f._pyroTimeout = 30
s = Pyro4.Proxy(sys.argv[1].replace('@', '.simulator@', 1))
s.set_step_rate(500)
assert f.initialize() == 0
import threading, time
box = {}
def move():
    try:
        box['code'] = Pyro4.Proxy(sys.argv[1]).set_focus(f.report_status()['current_steps'] + 5000)
    except Exception as e:
        box['code'] = type(e).__name__
t = threading.Thread(target=move); t.start()
while f.report_status()['status'] != 2: time.sleep(0.02)
print('MOVING', flush=True)
t.join(30)
print('MOVE RESULT ' + json.dumps(box.get('code')), flush=True)
`,
        f.uri,
      ],
      { lifetimeMs: 60_000 },
    );
    await client.waitFor(/MOVING/);
    f.proc.child.kill('SIGTERM');
    const { code } = await f.proc.exited;
    assert.equal(code, 0, f.proc.stderr());
    const result = (await client.waitFor(/MOVE RESULT (\S+)/))[1];
    assert.ok(result === '1' || /"(ConnectionClosedError|CommunicationError)"/.test(result ?? ''), `move ended with ${result}`);
    assert.match(f.proc.stdout(), /Move stopped by focusd shutting down at \d+ steps \(target \d+\)/);
    assert.match(f.proc.stdout(), /Focuser disconnected/);
    assert.match(f.proc.stdout(), /Exiting daemon PYRO:e2e_focuser_daemon@/);
  });

  test('without --simulate focusd uses real USB hardware: no focuser here, so initialize answers 4', async () => {
    const { config, env } = scratchSetup();
    const p = focusdWith(config, { ...env, FOCUSD_SIMULATE: '' }, []);
    const uri = (await p.waitFor(/Starting daemon (PYRO:[^\s"]+)/))[1] as string;
    const r = python(uri, `R['init'] = proxy().initialize(); R['sim'] = call_error(lambda: sim().unplug())`);
    assert.equal(r.init, 4);
    assert.match(String(r.sim), /unknown object|rejected/i, 'no simulator object without --simulate');
    await p.stop();
  });
});
