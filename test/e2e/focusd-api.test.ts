import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { python, startFocusd, type Focusd } from './harness.js';

// Real Python Pyro4 proxies against `bin/focusd --simulate` child processes on loopback.

const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const running: Focusd[] = [];
after(async () => {
  for (const f of running) await f.proc.stop();
});
async function focusd(options: Parameters<typeof startFocusd>[0] = {}): Promise<Focusd> {
  const f = await startFocusd(options);
  running.push(f);
  return f;
}

describe('focusd over Pyro4: every method and return code', () => {
  test('disabled: report_status is status 0 without steps; commands answer NotConnected (7)', async () => {
    const { uri } = await focusd();
    const r = python(
      uri,
      `
f = proxy()
R['status'] = f.report_status()
R['set_focus'] = f.set_focus(100)
R['set_focus_bad_type'] = f.set_focus('abc')
R['stop'] = f.stop()
R['shutdown'] = f.shutdown()
R['home'] = f.home()
R['methods'] = sorted(f._pyroMethods)
`,
    );
    const status = r.status as Record<string, unknown>;
    assert.match(String(status.date), DATE);
    assert.equal(status.status, 0);
    assert.equal('current_steps' in status, false);
    assert.equal('target_steps' in status, false);
    assert.deepEqual([r.set_focus, r.set_focus_bad_type, r.stop, r.shutdown, r.home], [7, 7, 7, 7, 7]);
    assert.deepEqual(r.methods, ['home', 'initialize', 'report_status', 'set_focus', 'shutdown', 'stop']);
  });

  test('connected: initialize 0 then 8, moves, limits (6), offsets, stop, home, shutdown', async () => {
    const { uri } = await focusd();
    const r = python(
      uri,
      `
f = proxy()
sim().set_step_rate(20000)
R['init'] = f.initialize()
R['init_again'] = f.initialize()
R['idle'] = f.report_status()
top = R['idle']['max_steps']
R['below'] = f.set_focus(-1)
R['above'] = f.set_focus(top + 1)
R['offset_above'] = f.set_focus(top + 1 - R['idle']['target_steps'], offset=True)
R['move'] = f.set_focus(1200)
R['after_move'] = f.report_status()
R['offset'] = f.set_focus(-200, True)
R['after_offset'] = f.report_status()
R['offset_kw'] = f.set_focus(steps=50, offset=True)
R['after_offset_kw'] = f.report_status()
R['stop_idle'] = f.stop()
R['home'] = f.home()
R['after_home'] = f.report_status()
R['float'] = call_error(lambda: f.set_focus(1.5))
R['text'] = call_error(lambda: f.set_focus('abc'))
R['missing'] = call_error(lambda: f.set_focus())
R['shutdown'] = f.shutdown()
R['shutdown_again'] = f.shutdown()
R['after_shutdown'] = f.report_status()
`,
    );
    assert.deepEqual([r.init, r.init_again], [0, 8]);
    const idle = r.idle as Record<string, unknown>;
    assert.equal(idle.status, 1);
    assert.equal(typeof idle.current_steps, 'number');
    assert.equal(idle.current_steps, idle.target_steps);
    assert.equal(typeof idle.max_steps, 'number');
    assert.ok((idle.max_steps as number) > 1300);
    assert.deepEqual([r.below, r.above, r.offset_above], [6, 6, 6]);
    assert.equal(r.move, 0);
    const pick = (s: unknown) => {
      const d = s as Record<string, unknown>;
      return [d.status, d.current_steps, d.target_steps];
    };
    assert.deepEqual(pick(r.after_move), [1, 1200, 1200]);
    assert.equal(r.offset, 0);
    assert.deepEqual(pick(r.after_offset), [1, 1000, 1000]);
    assert.equal(r.offset_kw, 0);
    assert.deepEqual(pick(r.after_offset_kw), [1, 1050, 1050]);
    assert.equal(r.stop_idle, 0);
    assert.equal(r.home, 0);
    const homed = r.after_home as Record<string, unknown>;
    assert.deepEqual([homed.current_steps, homed.homed], [0, true]);
    assert.match(String(r.float), /^TypeError: .*steps must be an int.*float 1\.5/);
    assert.match(String(r.text), /^TypeError: .*steps must be an int.*str/);
    assert.match(String(r.missing), /^TypeError: /);
    assert.deepEqual([r.shutdown, r.shutdown_again], [0, 7]);
    assert.equal((r.after_shutdown as Record<string, unknown>).status, 0);
  });

  test('during a move: status polls show Moving, a second set_focus and others get 2, stop from another proxy ends it (1), stop 0', async () => {
    const { uri } = await focusd();
    const r = python(
      uri,
      `
sim().set_step_rate(400)
f = proxy()
R['init'] = f.initialize()
start = f.report_status()['current_steps']
target = start + 4000
mover = in_thread(lambda: proxy().set_focus(target))
other = proxy()
polls = []
def moving():
    s = other.report_status()
    polls.append(s)
    return s['status'] == 2 and s['current_steps'] > start
wait_for(moving)
wait_for(lambda: (polls.append(other.report_status()) or polls[-1]['current_steps'] > polls[0]['current_steps']))
R['polls'] = polls
R['second_set_focus'] = other.set_focus(start)
R['initialize'] = other.initialize()
R['shutdown'] = other.shutdown()
R['home'] = other.home()
R['stop'] = proxy().stop()
R['move'] = mover()
R['after'] = other.report_status()
R['start'] = start
R['target'] = target
`,
    );
    assert.equal(r.init, 0);
    const polls = r.polls as Record<string, number>[];
    const moving = polls.filter((p) => p.status === 2);
    assert.ok(moving.length >= 2, 'status was polled while moving');
    for (const p of moving) assert.equal(p.target_steps, r.target);
    assert.ok(Number(moving.at(-1)?.current_steps) > Number(moving[0]?.current_steps), 'current_steps advances during the move');
    assert.deepEqual([r.second_set_focus, r.initialize, r.shutdown, r.home], [2, 2, 2, 2]);
    assert.equal(r.stop, 0);
    assert.equal(r.move, 1);
    const afterStop = r.after as Record<string, number>;
    assert.equal(afterStop.status, 1);
    assert.equal(afterStop.current_steps, afterStop.target_steps);
    assert.ok(Number(afterStop.current_steps) > Number(r.start) && Number(afterStop.current_steps) < Number(r.target));
  });

  test('a stop sent a few ms after set_focus, while the move is still being sent over slow USB, leaves the motor still where focusd says', async () => {
    const { uri } = await focusd();
    // Each USB reply takes 5 ms, so set_focus's position read and its move command are far apart:
    // the stops below land before, between and after them.
    const r = python(
      uri,
      `
s = sim()
s.set_step_rate(2000)
f = proxy()
R['init'] = f.initialize()
s.slow_reply(5)
R['rounds'] = []
for delay in (0, 0.001, 0.002, 0.004, 0.006, 0.008, 0.012, 0.02, 0.04):
    target = f.report_status()['current_steps'] + 1500
    mover = in_thread(lambda: proxy().set_focus(target))
    time.sleep(delay)
    stop = proxy().stop()
    move = mover()
    time.sleep(0.5)
    first = s.motor()
    time.sleep(0.3)
    R['rounds'].append({'delay': delay, 'stop': stop, 'move': move, 'motor': first, 'later': s.motor(), 'status': f.report_status()})
`,
      { timeoutMs: 90_000 },
    );
    assert.equal(r.init, 0);
    for (const round of r.rounds as { delay: number; stop: number; move: number; motor: Record<string, unknown>; later: Record<string, unknown>; status: Record<string, number> }[]) {
      const label = `stop ${round.delay * 1000} ms after set_focus: ${JSON.stringify(round)}`;
      assert.equal(round.stop, 0, label);
      // A stop that reached focusd before the move halts a motor at rest: the move then is refused
      // while that halt runs (2), or runs to its end (0).
      assert.ok(round.move === 1 || round.move === 0 || round.move === 2, label);
      assert.equal(round.motor.moving, false, `${label}: the motor is still`);
      assert.equal(round.later.position, round.motor.position, `${label}: and stays still`);
      assert.deepEqual([round.status.status, round.status.current_steps], [1, round.motor.position], `${label}: focusd says Idle where the motor is`);
    }
  });

  test('move_timeout: set_focus answers 1, the motor is halted and the focuser is Idle at its true position', async () => {
    const { uri } = await focusd({ moveTimeout: 1 });
    const r = python(
      uri,
      `
s = sim()
s.set_step_rate(20000)
f = proxy()
R['init'] = f.initialize()
start = f.report_status()['current_steps']
s.stall(True)
R['move'] = f.set_focus(start + 500)
R['after'] = f.report_status()
R['start'] = start
s.stall(False)
R['again'] = f.set_focus(start + 500)
R['final'] = f.report_status()
`,
    );
    assert.equal(r.init, 0);
    assert.equal(r.move, 1);
    const a = r.after as Record<string, number>;
    assert.deepEqual([a.status, a.current_steps, a.target_steps], [1, r.start, r.start]);
    assert.equal(r.again, 0);
    assert.equal((r.final as Record<string, number>).current_steps, (r.start as number) + 500);
  });

  test('unplug mid-move: set_focus 1, Disabled; initialize while unplugged 4; after replug 0', async () => {
    const { uri } = await focusd();
    const r = python(
      uri,
      `
s = sim()
s.set_step_rate(1000)
f = proxy()
R['init'] = f.initialize()
start = f.report_status()['current_steps']
mover = in_thread(lambda: proxy().set_focus(start + 5000))
wait_for(lambda: f.report_status()['status'] == 2)
s.unplug()
R['move'] = mover()
R['after'] = f.report_status()
R['stop'] = f.stop()
R['init_unplugged'] = f.initialize()
s.replug()
R['init_replugged'] = f.initialize()
R['final'] = f.report_status()
`,
    );
    assert.equal(r.init, 0);
    assert.equal(r.move, 1);
    const a = r.after as Record<string, unknown>;
    assert.equal(a.status, 0);
    assert.equal('current_steps' in a, false);
    assert.match(String(a.last_error), /fault during move/);
    assert.equal(r.stop, 7);
    assert.equal(r.init_unplugged, 4);
    assert.equal(r.init_replugged, 0);
    assert.equal((r.final as Record<string, unknown>).status, 1);
  });

  test('a caller from a non-control address gets 3 for every command while report_status answers', async () => {
    const { uri } = await focusd();
    const local = python(uri, `R['init'] = proxy().initialize()`);
    assert.equal(local.init, 0);
    const r = python(
      uri,
      `
f = proxy()
R['status'] = f.report_status()
R['initialize'] = f.initialize()
R['shutdown'] = f.shutdown()
R['set_focus'] = f.set_focus(10)
R['set_focus_bad'] = f.set_focus('abc')
R['stop'] = f.stop()
R['home'] = f.home()
R['sim'] = sim().unplug()
`,
      { source: '127.0.0.2' },
    );
    assert.equal((r.status as Record<string, unknown>).status, 1);
    assert.deepEqual([r.initialize, r.shutdown, r.set_focus, r.set_focus_bad, r.stop, r.home, r.sim], [3, 3, 3, 3, 3, 3, 3]);
    // Nothing the stranger asked for happened.
    const after = python(uri, `R['s'] = proxy().report_status()`);
    assert.equal((after.s as Record<string, unknown>).status, 1);
  });

  test('a control machine listed by another name (127.0.0.2 in the phone book) may command', async () => {
    const { uri } = await focusd({ controlMachines: ['E2EOther'] });
    const stranger = python(uri, `R['init'] = proxy().initialize()`);
    assert.equal(stranger.init, 3, '127.0.0.1 is not a control machine in this config');
    const r = python(uri, `R['init'] = proxy().initialize()`, { source: '127.0.0.2' });
    assert.equal(r.init, 0);
  });
});
