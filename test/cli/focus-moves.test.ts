import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, runFocus, runFocusOnTty, spawnFocus, startSimulated, statusOf } from './harness.js';

const moving = async (env: NodeJS.ProcessEnv): Promise<boolean> => (await statusOf(env)).status === 2;

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
    assert.equal(first.stderr(), 'error: command failed\n');
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
    assert.equal(r.stderr, 'error: command failed\n');
    assert.equal(r.code, 1);
    assert.equal((await statusOf(t.env)).status, 1);
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
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await statusOf(t.env)).current_steps, a.current_steps, 'not moving any more');
  });

  test('the daemon dying mid-move is -101', async () => {
    const t = await startSimulated();
    assert.equal((await runFocus(['init'], t.env)).code, 0);
    t.py(`sim().set_step_rate(300)`);
    const mover = spawnFocus(['offset', '20000'], t.env);
    await eventually(() => moving(t.env), 15_000, 'focuser moving');
    t.proc.child.kill('SIGKILL');
    const ended = await mover.exited;
    assert.equal(mover.stderr(), 'error: unable to communicate with focus daemon\n');
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
