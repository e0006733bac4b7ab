import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import { FocuserService, utcStamp } from '../../src/service/focuser-service.js';
import { ClockedFocuser, opener } from '../machines/clocked-focuser.js';

const LOCAL = { protocol: 'pyro', address: '127.0.0.1' } as const;
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    clock.increment(10);
    await flush();
  }
}

function service() {
  const clock = new SimulatedClock();
  const device = new ClockedFocuser(clock);
  const { open } = opener(() => device.reopen());
  const quiet = { info: () => undefined, warning: () => undefined, error: () => undefined };
  const s = new FocuserService({ open, log: quiet, isControl: (address) => address === LOCAL.address, moveTimeout: 20, idlePollMs: 0, clock });
  return { s, clock, device };
}

describe('report_status', () => {
  test('the date is UTC YYYY-MM-DDTHH:MM:SSZ, as upstream formats it', () => {
    assert.equal(utcStamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), '2026-01-02T03:04:05Z');
  });

  test('Disabled: only date and status 0', () => {
    const { s } = service();
    const now = new Date(Date.UTC(2026, 10, 24, 12, 0, 0));
    assert.deepEqual(s.reportStatus(now), { date: '2026-11-24T12:00:00Z', status: 0 });
  });

  test('Idle and Moving: current/target steps and the device facts', async () => {
    const { s, clock } = service();
    const init = s.initialize(LOCAL);
    await advance(clock, 300);
    assert.equal(await init, 0);
    const idle = s.reportStatus();
    assert.equal(idle.status, 1);
    assert.deepEqual(
      [idle.current_steps, idle.target_steps, idle.max_steps, idle.model, idle.serial_number, idle.temperatures, idle.homed],
      [1000, 1000, 10_000, 'Atlas Focuser', 'ATL-TEST', [21.5, 18.25], false],
    );
    const move = s.setFocus(1500, false, LOCAL, 'set_focus(1500)');
    await advance(clock, 200);
    const moving = s.reportStatus();
    assert.equal(moving.status, 2);
    assert.equal(moving.target_steps, 1500);
    await advance(clock, 500);
    assert.equal(await move, 0);
    assert.equal(s.reportStatus().current_steps, 1500);
  });

  test('set_focus prechecks follow upstream order: 3 from elsewhere, 7 while disabled, 2 while busy', async () => {
    const { s, clock } = service();
    const other = { protocol: 'pyro', address: '127.0.0.2' } as const;
    assert.equal(s.checkMove(other, "set_focus(10)"), 3);
    assert.equal(s.checkMove(LOCAL, "set_focus(10)"), 7);
    const init = s.initialize(LOCAL);
    assert.equal(s.checkMove(LOCAL, "set_focus(10)"), 2);
    assert.equal(s.checkMove(other, "set_focus(10)"), 3);
    await advance(clock, 300);
    await init;
    assert.equal(s.checkMove(LOCAL, "set_focus(10)"), null);
  });

  test('after a fault the report is Disabled and names the cause', async () => {
    const { s, clock, device } = service();
    const init = s.initialize(LOCAL);
    await advance(clock, 300);
    await init;
    const move = s.setFocus(5000, false, LOCAL, 'set_focus(5000)');
    await advance(clock, 200);
    device.unplugged = true;
    await advance(clock, 200);
    assert.equal(await move, 1);
    const r = s.reportStatus();
    assert.equal(r.status, 0);
    assert.equal('current_steps' in r, false);
    assert.match(String(r.last_error), /Focuser fault during move: focuser disconnected/);
  });
});

describe('report_status is built once per state and second', () => {
  test('within one second and one state the same frozen report comes back; a new second or a new state gives a new one', async () => {
    const { s, clock } = service();
    const t = Date.UTC(2026, 10, 24, 12, 0, 0);
    const first = s.reportStatus(new Date(t + 100));
    assert.equal(Object.isFrozen(first), true);
    assert.equal(s.reportStatus(new Date(t + 900)), first, 'same second, same state: the same object');
    const next = s.reportStatus(new Date(t + 1000));
    assert.notEqual(next, first);
    assert.equal(next.date, '2026-11-24T12:00:01Z', 'the date is still the time of the call, to the second');
    const init = s.initialize(LOCAL);
    await advance(clock, 300);
    await init;
    const idle = s.reportStatus(new Date(t + 1500));
    assert.notEqual(idle, next, 'a state change rebuilds the report in the same second');
    assert.equal(idle.status, 1);
    assert.ok(Object.isFrozen(idle.temperatures), 'frozen all the way down');
  });
});
