import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, runFocus, spawnFocus, startFake } from './harness.js';
import { runPython } from '../helpers/python.js';

type Call = [string, unknown[], Record<string, unknown>];
const names = (calls: unknown[]): string[] => (calls as Call[]).map((c) => c[0]);

describe('focus against a stand-in daemon on Python Pyro4', () => {
  test('codes the daemon returns: unknown ones, -100, -101, and codes beyond a byte', async () => {
    const cases: Array<[number, number, string]> = [
      [5, 5, 'error: Unknown error code 5'],
      [-100, 156, 'error: terminated by user'],
      [-101, 155, 'error: unable to communicate with focus daemon'],
      [-7, 249, 'error: Unknown error code -7'],
      [300, 44, 'error: Unknown error code 300'],
      [0, 0, ''],
    ];
    for (const [reply, status, message] of cases) {
      const t = await startFake({ initialize: reply, shutdown: reply, stop: reply, set_focus: reply });
      for (const args of [['init'], ['kill'], ['stop'], ['set', '1'], ['offset', '-1']]) {
        const r = await runFocus(args, t.env);
        assert.equal(r.stderr, message === '' ? '' : message + '\n', `${args.join(' ')} -> ${reply}`);
        assert.equal(r.code, status, `${args.join(' ')} -> ${reply}`);
        assert.equal(r.stdout, '');
      }
      await t.proc.stop();
    }
  });

  test('set sends set_focus(position); offset sends set_focus(delta, offset=True); big values stay exact', async () => {
    const t = await startFake({ set_focus: 0 });
    assert.equal((await runFocus(['set', '1234'], t.env)).code, 0);
    assert.equal((await runFocus(['offset', '-56'], t.env)).code, 0);
    assert.equal((await runFocus(['set', '1_000_000_000_000_000_000_000'], t.env)).code, 0);
    const calls = t.calls() as Call[];
    assert.deepEqual(calls.slice(0, 3), [
      ['set_focus', [1234], {}],
      ['set_focus', [-56], { offset: true }],
      ['set_focus', [1e21], {}],
    ]);
    const exact = runPython(
      'import Pyro4, sys\n' + `p = Pyro4.Proxy(${JSON.stringify(t.uri)})\nc = p.fake_calls()[2][1][0]\nprint(type(c).__name__, c)`,
    ).trim();
    assert.equal(exact, 'int 1000000000000000000000');
  });

  test('json prints exactly what Python\'s json.dumps prints for the same dict', async () => {
    const report = {
      date: '2026-11-24T12:00:00Z',
      status: 2,
      current_steps: 4120,
      target_steps: 6000,
      temperatures: [21.25, -3.5e-7, null],
      model: 'Atlas é',
      homed: false,
    };
    const t = await startFake({ report_status: report });
    const r = await runFocus(['json'], t.env);
    const py = runPython(`import json\nprint(json.dumps(json.loads(${JSON.stringify(JSON.stringify(report))})))`);
    assert.equal(r.stdout, py);
    assert.equal(r.code, 0);
    const status = await runFocus(['status'], t.env);
    assert.equal(status.stdout.split('\n')[0], 'Focuser is MOVING (004120 / 006000 steps)');
  });

  test('a Python exception raised by the daemon is one line and exit 1', async () => {
    const t = await startFake({ initialize: { raise: 'no focuser today' } });
    const r = await runFocus(['init'], t.env);
    assert.equal(r.stderr, 'error: focus daemon raised builtins.ValueError: no focuser today\n');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
  });

  test('json of an empty status prints {}', async () => {
    const t = await startFake({ report_status: null });
    const r = await runFocus(['json'], t.env);
    assert.equal(r.stdout, '{}\n');
    assert.equal(r.code, 0);
  });

  test('an unknown status value is UNKNOWN', async () => {
    const t = await startFake({ report_status: { status: 7 } });
    assert.equal((await runFocus(['status'], t.env)).stdout, 'Focuser is UNKNOWN\n');
  });

  test('home on a daemon that does not offer it is refused without calling it', async () => {
    const t = await startFake({ report_status: { status: 1, current_steps: 1, target_steps: 1 }, set_focus: 0 });
    const r = await runFocus(['home'], t.env);
    assert.equal(r.stderr, 'error: this focus daemon does not offer home\n');
    assert.equal(r.code, 1);
    assert.deepEqual(names(t.calls()), []);
  });

  test('init allows move_timeout + 5 s, other calls the phone book default timeout, moves no timeout', async () => {
    const t = await startFake(
      {
        initialize: { sleep: 2, reply: 0 },
        shutdown: { sleep: 2, reply: 0 },
        set_focus: { sleep: 2, reply: 0 },
        report_status: { sleep: 2, reply: { status: 0 } },
      },
      { defaultTimeout: 1, moveTimeout: 1 },
    );
    const init = await runFocus(['init'], t.env);
    assert.equal(init.code, 0, init.stderr);
    const set = await runFocus(['set', '5'], t.env);
    assert.equal(set.code, 0, set.stderr);
    const kill = await runFocus(['kill'], t.env);
    assert.match(kill.stderr, /^error: unable to communicate with focus daemon at 127\.0\.0\.1:\d+ \(no answer in time: call timed out after 1000 ms\)\n$/);
    assert.equal(kill.code, 155);
    const status = await runFocus(['status'], t.env);
    assert.equal(status.code, 155);
  });

  test("Ctrl-C during a move exits with stop()'s code and message", async () => {
    const t = await startFake({ set_focus: { sleep: 30, reply: 0 }, stop: 7 });
    const mover = spawnFocus(['set', '100'], t.env);
    await eventually(() => names(t.calls()).includes('set_focus'), 15_000, 'set_focus called');
    mover.child.kill('SIGINT');
    const ended = await mover.exited;
    assert.equal(mover.stderr(), 'error: focuser is not connected\n');
    assert.equal(ended.code, 7);
    assert.deepEqual(names(t.calls()), ['set_focus', 'stop']);
  });

  test('Ctrl-C while any other command waits is -100: terminated by user', async () => {
    const t = await startFake({ report_status: { sleep: 30, reply: { status: 0 } } }, { defaultTimeout: 60 });
    const p = spawnFocus(['status'], t.env);
    await eventually(() => names(t.calls()).includes('report_status'), 15_000, 'report_status called');
    p.child.kill('SIGINT');
    const ended = await p.exited;
    assert.equal(p.stderr(), 'error: terminated by user\n');
    assert.equal(ended.code, 156);
  });

  test('a daemon that accepts but never answers is -101 after the default timeout', async () => {
    const t = await startFake({ report_status: { sleep: 30, reply: null } }, { defaultTimeout: 1 });
    const r = await runFocus(['json'], t.env);
    assert.match(r.stderr, /^error: unable to communicate with focus daemon at 127\.0\.0\.1:\d+ \(no answer in time: call timed out after 1000 ms\)\n$/);
    assert.equal(r.code, 155);
    assert.equal(r.stdout, '');
  });
});
