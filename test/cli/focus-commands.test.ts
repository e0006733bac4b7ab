import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runFocus, startSimulated, statusOf, type FocusResult } from './harness.js';

/** Piped output never carries escape sequences. */
function plain(r: FocusResult): FocusResult {
  assert.doesNotMatch(r.stdout + r.stderr, /\x1b/, 'no escape sequences when piped');
  return r;
}

async function focus(args: string[], env: NodeJS.ProcessEnv): Promise<FocusResult> {
  return plain(await runFocus(args, env));
}

function expectCode(r: FocusResult, code: number, message: string | null): void {
  assert.equal(r.stderr, message === null ? '' : message + '\n', 'stderr');
  assert.equal(r.code, code, `exit status (stderr: ${r.stderr})`);
}

const pad6 = (n: number): string => String(n).padStart(6, '0');

describe('focus against focusd --simulate', () => {
  test('status before init: Focuser is OFFLINE, exit 0', async () => {
    const t = await startSimulated();
    const r = await focus(['status'], t.env);
    expectCode(r, 0, null);
    assert.equal(r.stdout, 'Focuser is OFFLINE\n');
  });

  test('commands before init answer 7 with its message', async () => {
    const t = await startSimulated();
    for (const args of [['set', '100'], ['offset', '10'], ['stop'], ['kill'], ['home']]) {
      const r = await focus(args, t.env);
      expectCode(r, 7, 'error: focuser is not connected');
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  test('init 0, init again 8; status IDLE zero-padded; json one line; kill 0 -> OFFLINE', async () => {
    const t = await startSimulated();
    const init = await focus(['init'], t.env);
    expectCode(init, 0, null);
    assert.equal(init.stdout, '');
    expectCode(await focus(['init'], t.env), 8, 'error: focuser is already connected');

    const json = await focus(['json'], t.env);
    expectCode(json, 0, null);
    assert.equal(json.stdout.split('\n').length, 2, 'exactly one line');
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(report.status, 1);
    assert.match(String(report.date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(typeof report.current_steps, 'number');
    assert.match(json.stdout, /^\{"date": "[^"]+", "status": 1, /, "Python's json.dumps separators");

    const status = await focus(['status'], t.env);
    expectCode(status, 0, null);
    const lines = status.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `Focuser is IDLE (${pad6(report.current_steps as number)} steps)`);
    for (const extra of lines.slice(1)) assert.match(extra, /^ {3}\S/, 'further lines are indented details');

    expectCode(await focus(['kill'], t.env), 0, null);
    assert.equal((await focus(['status'], t.env)).stdout, 'Focuser is OFFLINE\n');
  });

  test('set and offset move and wait for the move; out of range is 6', async () => {
    const t = await startSimulated();
    t.py(`sim().set_step_rate(20000)`);
    expectCode(await focus(['init'], t.env), 0, null);
    const max = (await statusOf(t.env)).max_steps as number;
    assert.ok(max > 3000, `extent ${max}`);

    const set = await focus(['set', '3000'], t.env);
    expectCode(set, 0, null);
    assert.equal(set.stdout, '');
    assert.equal((await focus(['status'], t.env)).stdout.split('\n')[0], 'Focuser is IDLE (003000 steps)');

    expectCode(await focus(['offset', '-1250'], t.env), 0, null);
    assert.equal((await statusOf(t.env)).current_steps, 1750);
    expectCode(await focus(['offset', '+250'], t.env), 0, null);
    assert.equal((await statusOf(t.env)).current_steps, 2000);

    expectCode(await focus(['set', String(max + 1)], t.env), 6, 'error: requested position outside range');
    expectCode(await focus(['set', '-1'], t.env), 6, 'error: requested position outside range');
    expectCode(await focus(['offset', '-2001'], t.env), 6, 'error: requested position outside range');
    expectCode(await focus(['set', '123456789012345678901234567890'], t.env), 6, 'error: requested position outside range');
    assert.equal((await statusOf(t.env)).current_steps, 2000, 'refused moves left it where it was');
  });

  test('stop while idle is 0; home drives to home and reports homed', async () => {
    const t = await startSimulated();
    t.py(`sim().set_step_rate(20000)`);
    expectCode(await focus(['init'], t.env), 0, null);
    expectCode(await focus(['stop'], t.env), 0, null);
    expectCode(await focus(['set', '1500'], t.env), 0, null);
    const home = await focus(['home'], t.env);
    expectCode(home, 0, null);
    const report = await statusOf(t.env);
    assert.equal(report.status, 1);
    assert.equal(report.homed, true);
    assert.match((await focus(['status'], t.env)).stdout, /\n {3}Flags: .*homed/);
  });

  test('from an address that is not a control machine every command is 3, status still answers', async () => {
    const t = await startSimulated({ controlMachines: ['E2EOther'] });
    for (const args of [['init'], ['kill'], ['set', '100'], ['offset', '-5'], ['stop'], ['home']]) {
      const r = await focus(args, t.env);
      expectCode(r, 3, 'error: command not accepted from this IP');
      assert.equal(r.stdout, '', args.join(' '));
    }
    const status = await focus(['status'], t.env);
    expectCode(status, 0, null);
    assert.equal(status.stdout, 'Focuser is OFFLINE\n');
  });

  test('no focuser on the bus: init is 4', async () => {
    const t = await startSimulated();
    t.py(`sim().unplug()`);
    expectCode(await focus(['init'], t.env), 4, 'error: device not found: the simulated focuser is unplugged');
    assert.equal((await focus(['status'], t.env)).stdout, 'Focuser is OFFLINE\n   Last error: Focuser not found: the simulated focuser is unplugged\n');
    t.py(`sim().replug()`);
    expectCode(await focus(['init'], t.env), 0, null);
  });

  test('daemon stopped: every command prints -101\'s message with the address and exits 155', async () => {
    const t = await startSimulated();
    const port = /:(\d+)$/.exec(t.uri)?.[1] as string;
    await t.proc.stop();
    for (const args of [['status'], ['json'], ['init'], ['kill'], ['set', '10'], ['offset', '10'], ['stop'], ['home']]) {
      const r = await focus(args, t.env);
      expectCode(r, 155, `error: unable to communicate with focus daemon at 127.0.0.1:${port} (connection refused: is focusd running?)`);
      assert.equal(r.stdout, '', args.join(' '));
    }
  });
});
