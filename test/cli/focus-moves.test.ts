import { test, describe } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { PyroProxy } from '../../src/pyro/index.js';
import { eventually, runFocus, runFocusOnTty, spawnFocus, startSimulated, statusOf, type SimulatedTarget } from './harness.js';

const moving = async (env: NodeJS.ProcessEnv): Promise<boolean> => (await statusOf(env)).status === 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` SIGINTs, `gapMs` apart (0: back to back, as a key held down or two terminals at once). */
async function interrupt(child: ChildProcess, count: number, gapMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (i > 0 && gapMs > 0) await sleep(gapMs);
    child.kill('SIGINT');
  }
}

/**
 * The motor is at rest where focusd says: the simulated motor itself (not focusd's snapshot, which
 * Idle refreshes only once a second) is still, and focusd reports Idle at its position.
 */
async function still(t: SimulatedTarget): Promise<boolean> {
  const motor = t.py(`R['motor'] = sim().motor()`).motor as { position: number; moving: boolean };
  const status = await statusOf(t.env);
  return !motor.moving && status.status === 1 && status.current_steps === motor.position;
}

const WAITING = 'focus: waiting for the focuser to stop (Ctrl-C again to exit without waiting)\n';
const ABANDONED =
  'error: terminated by user before focusd confirmed the stop; the focuser should be halting: check with focus status (focus stop stops it)\n';

describe('focus moves against focusd --simulate', () => {
  test('a second set while one moves is 2; stop ends the first, whose set then answers 1', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(400)`);
    const first = spawnFocus(['set', '30000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving').catch((e: Error) => {
      throw new Error(`${e.message}; the first set printed: ${JSON.stringify(first.stdout() + first.stderr())}`);
    });

    const second = await runFocus(['set', '10'], t.env);
    assert.equal(second.stderr, 'error: another command is already running\n');
    assert.equal(second.code, 2);
    const init = await runFocus(['init'], t.env);
    assert.equal(init.code, 2, init.stderr);

    const stop = await runFocus(['stop'], t.env);
    assert.equal(stop.code, 0, stop.stderr);
    const ended = await first.exited;
    // The daemon's own record says why, after upstream's line.
    assert.match(first.stderr(), /^error: command failed: move stopped by stop\(\) from 127\.0\.0\.1 at \d+ steps \(target 30000\)\n$/);
    assert.equal(ended.code, 1);
    assert.equal(first.stdout(), '');
    const after = await statusOf(t.env);
    assert.equal(after.status, 1);
    assert.equal(after.current_steps, after.target_steps, 'stopped where it was');
  });

  test('a move that outlasts move_timeout is 1', async () => {
    const t = await startSimulated({ moveTimeout: 1 });
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(100)`);
    const r = await runFocus(['set', '20000'], t.env);
    assert.match(r.stderr, /^error: command failed: move timed out after 1 s at (\d+) steps \(target 20000\); motor halted\n$/);
    assert.equal(r.code, 1);
    const after = await statusOf(t.env);
    assert.equal(after.status, 1);
    // focus status keeps showing it until a command succeeds.
    assert.equal(after.last_error, `Move timed out after 1 s at ${after.current_steps} steps (target 20000); motor halted`);
    const shown = await runFocus(['status'], t.env);
    assert.match(shown.stdout, /\n {3}Last error: Move timed out after 1 s at \d+ steps \(target 20000\); motor halted\n$/);
    t.py(`sim().set_step_rate(5000)`);
    assert.equal((await runFocus(['offset', '-10'], t.env)).code, 0);
    assert.equal((await statusOf(t.env)).last_error, undefined, 'a successful command clears it');
    assert.doesNotMatch((await runFocus(['status'], t.env)).stdout, /Last error/);
  });

  test('Ctrl-C mid-move sends stop(): the focuser is stopped and Idle, focus exits with stop\'s 0', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(500)`);
    const mover = spawnFocus(['set', '40000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving');
    mover.child.kill('SIGINT');
    const ended = await mover.exited;
    assert.equal(mover.stderr(), '');
    assert.equal(mover.stdout(), '');
    assert.equal(ended.code, 0);

    const a = await statusOf(t.env);
    assert.equal(a.status, 1, 'Idle');
    assert.notEqual(a.current_steps, 40000);
    assert.equal(a.current_steps, a.target_steps);
    assert.ok(await still(t), 'the motor is still where focusd says');
  });

  test('Ctrl-C the moment focusd takes the move, while it is still being sent over slow USB: focus exits 0 and the motor ends still', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    // Every USB reply takes 200 ms: focusd reports Moving as soon as it takes set_focus, and only
    // then reads the position and sends the move, so a Ctrl-C seen Moving lands before the motor starts.
    t.py(`s = sim()\ns.set_step_rate(2000)\ns.slow_reply(200)`);
    const watcher = new PyroProxy(t.uri, { timeoutMs: 5_000 });
    try {
      for (let round = 0; round < 3; round++) {
        const mover = spawnFocus(['set', '90000'], t.env);
        const limit = Date.now() + 15_000;
        while (((await watcher.call('report_status')) as { status: number }).status !== 2) {
          assert.ok(Date.now() < limit, 'focusd did not take the move within 15 s');
        }
        mover.child.kill('SIGINT');
        const ended = await mover.exited;
        const label = `round ${round}: ${mover.stderr()}`;
        assert.equal(ended.code, 0, label);
        await eventually(() => still(t), 10_000, `${label}: the motor still where focusd says`);
        assert.ok(!(t.py(`import time\ntime.sleep(1)\nR['m'] = sim().motor()`).m as { moving: boolean }).moving, `${label}: the motor started after the stop`);
      }
    } finally {
      watcher.close();
    }
  });

  test('an unplug mid-move says so', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(500)`);
    const mover = spawnFocus(['set', '30000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving');
    t.py(`sim().unplug()`);
    const ended = await mover.exited;
    assert.equal(ended.code, 1);
    assert.equal(mover.stderr(), 'error: command failed: focuser fault during move: the focuser was disconnected (USB device gone)\n');
  });

  test('two Ctrl-C at once, again and again: focus waits for the stop, exits with its 0, and the motor is still', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(2000)`);
    // Each round is stopped a few hundred steps along a 45 s move, so the next one moves too.
    const gaps = [0, 0, 0, 1, 2, 5, 10, 0];
    for (const [i, gap] of gaps.entries()) {
      const mover = spawnFocus(['set', '90000'], t.env);
      await eventually(() => moving(t.env), 15_000, 'focuser moving');
      await interrupt(mover.child, 2, gap);
      const ended = await mover.exited;
      const label = `round ${i}, ${gap} ms apart: ${mover.stderr()}`;
      assert.equal(ended.code, 0, label);
      // The kernel may merge two signals sent at once into one; a second one seen says it waits.
      assert.ok(mover.stderr() === '' || mover.stderr() === WAITING, label);
      assert.ok(await still(t), `${label}: the motor is still moving`);
    }
  });

  test('three Ctrl-C at once, again and again: the stop is always sent, and the motor ends still', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(2000)`);
    const gaps = [0, 0, 0, 1, 2, 5, 10, 0];
    const seen = new Set<number | null>();
    for (const [i, gap] of gaps.entries()) {
      const mover = spawnFocus(['set', '90000'], t.env);
      await eventually(() => moving(t.env), 15_000, 'focuser moving');
      await interrupt(mover.child, 3, gap);
      const ended = await mover.exited;
      const label = `round ${i}, ${gap} ms apart: ${mover.stderr()}`;
      seen.add(ended.code);
      if (ended.code === 156) assert.ok(mover.stderr().endsWith(ABANDONED), label);
      else assert.equal(ended.code, 0, label);
      await eventually(() => still(t), 10_000, `${label}: the motor at rest`);
    }
    assert.ok([...seen].every((c) => c === 0 || c === 156), [...seen].join());
  });

  test('a third Ctrl-C while a slow stop is in flight exits at once, saying the stop was sent; the motor halts', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(1000)`);
    const mover = spawnFocus(['set', '60000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving');
    t.py(`sim().slow_reply(400)`);
    await interrupt(mover.child, 3, 60);
    const ended = await mover.exited;
    assert.equal(ended.code, 156, mover.stderr());
    assert.equal(mover.stderr(), WAITING + ABANDONED);
    await eventually(() => still(t), 15_000, 'the motor at rest after focus left');
    t.py(`sim().slow_reply(0)`);
    assert.notEqual((await statusOf(t.env)).current_steps, 60000);
  });

  test('the daemon dying mid-move is -101', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(300)`);
    const mover = spawnFocus(['offset', '20000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving');
    t.proc.child.kill('SIGKILL');
    const ended = await mover.exited;
    assert.match(mover.stderr(), /^error: unable to communicate with focus daemon at 127\.0\.0\.1:\d+ \((the connection was reset|the daemon closed the connection)\)\n$/);
    assert.equal(ended.code, 155);
  });

  test('on a terminal: the live progress line shows position, target, rate and time left, then is erased', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(1500)`);
    const r = await runFocusOnTty(['set', '3000'], t.env);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /\r\[\x1b\[1;93m[█░]+\x1b\[0m\] \x1b\[1m\d{6}\x1b\[0m \/ \x1b\[1m003000\x1b\[0m steps {2}(--|\d+) steps\/s {2}(--|\d+\.\d) s left\x1b\[K/);
    assert.match(r.output, /\r\x1b\[K$/, 'the line is erased at the end');
    assert.doesNotMatch(r.output, /error/);
    assert.equal((await statusOf(t.env)).current_steps, 3000);
  });

  test('piped: no progress line at all', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(3000)`);
    const r = await runFocus(['set', '1500'], t.env);
    assert.equal(r.code, 0);
    assert.equal(r.stdout + r.stderr, '');
  });
});
