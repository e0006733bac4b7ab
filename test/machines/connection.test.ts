import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createActor, SimulatedClock, type Actor } from 'xstate';
import {
  CommandStatus,
  connectionMachine,
  focuserStatus,
  topState,
  type ConnectionInput,
} from '../../src/machines/index.js';
import { ClockedFocuser, opener } from './clocked-focuser.js';

type Code = number;
interface Harness {
  actor: Actor<typeof connectionMachine>;
  clock: SimulatedClock;
  device: ClockedFocuser;
  logs: { level: string; message: string }[];
  opens: () => number;
  /** Sends a command; the promise settles with its CommandStatus. `settled()` tells if it has. */
  command(event: Record<string, unknown> & { type: string }): { result: Promise<Code>; settled(): Code | undefined };
  advance(ms: number): Promise<void>;
  state(): string;
  initialize(): Promise<void>;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function harness(overrides: Partial<ConnectionInput> = {}, plug: () => 'present' | 'absent' | Error = () => 'present'): Harness {
  const clock = new SimulatedClock();
  const device = new ClockedFocuser(clock);
  const logs: { level: string; message: string }[] = [];
  const { open, opens } = opener(() => {
    const p = plug();
    if (p === 'absent') return null;
    if (p instanceof Error) return p;
    return device.reopen();
  });
  const actor = createActor(connectionMachine, {
    clock,
    input: {
      open,
      log: {
        info: (message) => logs.push({ level: 'info', message }),
        warning: (message) => logs.push({ level: 'warning', message }),
        error: (message) => logs.push({ level: 'error', message }),
      },
      moveTimeoutMs: 20_000,
      idlePollMs: 0,
      ...overrides,
    },
  });
  actor.start();
  const h: Harness = {
    actor,
    clock,
    device,
    logs,
    opens,
    command(event) {
      let code: Code | undefined;
      const result = new Promise<Code>((resolve) => {
        actor.send({ caller: { protocol: 'pyro', address: '127.0.0.1' }, ...event, reply: (c: Code) => ((code = c), resolve(c)) } as never);
      });
      return { result, settled: () => code };
    },
    async advance(ms) {
      for (let t = 0; t < ms; t += 10) {
        clock.increment(10);
        await flush();
      }
      await flush();
    },
    state: () => topState(actor.getSnapshot()),
    async initialize() {
      const c = h.command({ type: 'INITIALIZE' });
      await h.advance(300);
      assert.equal(await c.result, CommandStatus.Succeeded);
    },
  };
  return h;
}

const ctx = (h: Harness) => h.actor.getSnapshot().context;

describe('connection machine: disabled', () => {
  test('shutdown, set_focus, home and stop answer NotConnected', async () => {
    const h = harness();
    for (const type of ['SHUTDOWN', 'HOME', 'STOP']) assert.equal(await h.command({ type }).result, CommandStatus.NotConnected, type);
    assert.equal(await h.command({ type: 'MOVE', steps: 10, offset: false }).result, CommandStatus.NotConnected);
    assert.equal(h.state(), 'disabled');
    assert.equal(focuserStatus(h.actor.getSnapshot()), 0);
    assert.equal(h.opens(), 0);
  });

  test('initialize opens, halts, waits 250 ms, reads position and extent, and becomes Idle', async () => {
    const h = harness();
    const c = h.command({ type: 'INITIALIZE' });
    await h.advance(10);
    assert.equal(h.state(), 'initializing');
    assert.equal(focuserStatus(h.actor.getSnapshot()), 0, 'status stays Disabled while initializing, as upstream');
    assert.equal(h.device.halts, 1, 'any motion is halted first');
    assert.equal(c.settled(), undefined);
    await h.advance(230);
    assert.equal(c.settled(), undefined, 'the 250 ms settle time has not passed yet');
    await h.advance(30);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.equal(h.state(), 'idle');
    assert.equal(focuserStatus(h.actor.getSnapshot()), 1);
    const { current, target, facts, temperatures } = ctx(h);
    assert.deepEqual([current, target, facts?.extent, temperatures], [1000, 1000, 10_000, [21.5, 18.25]]);
    assert.deepEqual(h.logs, [{ level: 'info', message: 'Focuser initialized' }]);
  });

  test('initialize with no focuser on the bus answers DeviceNotFound and stays Disabled', async () => {
    const h = harness({}, () => 'absent');
    const c = h.command({ type: 'INITIALIZE' });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.DeviceNotFound);
    assert.equal(h.state(), 'disabled');
  });

  test('initialize failing to open answers Failed, logs the cause and stays Disabled', async () => {
    const h = harness({}, () => new Error('bad echo from focuser'));
    const c = h.command({ type: 'INITIALIZE' });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.Failed);
    assert.equal(h.state(), 'disabled');
    assert.match(ctx(h).lastError ?? '', /bad echo/);
    assert.equal(h.logs.at(-1)?.level, 'error');
  });

  test('initialize failing while reading the position faults, closes the device and answers Failed', async () => {
    const h = harness();
    const c = h.command({ type: 'INITIALIZE' });
    await h.advance(10);
    h.device.unplugged = true;
    await h.advance(300);
    assert.equal(await c.result, CommandStatus.Failed);
    assert.equal(h.state(), 'disabled');
    assert.ok(h.device.closed);
  });
});

describe('connection machine: initializing', () => {
  test('other commands are Blocked and stop is NotConnected until initialize ends', async () => {
    const h = harness();
    const init = h.command({ type: 'INITIALIZE' });
    await h.advance(10);
    for (const type of ['INITIALIZE', 'SHUTDOWN', 'HOME']) assert.equal(await h.command({ type }).result, CommandStatus.Blocked, type);
    assert.equal(await h.command({ type: 'MOVE', steps: 1, offset: false }).result, CommandStatus.Blocked);
    assert.equal(await h.command({ type: 'STOP' }).result, CommandStatus.NotConnected);
    await h.advance(300);
    assert.equal(await init.result, CommandStatus.Succeeded);
  });
});

describe('connection machine: idle', () => {
  test('initialize again answers NotDisconnected', async () => {
    const h = harness();
    await h.initialize();
    assert.equal(await h.command({ type: 'INITIALIZE' }).result, CommandStatus.NotDisconnected);
  });

  test('targets outside [0, extent] answer PositionOutsideLimits without moving', async () => {
    const h = harness();
    await h.initialize();
    for (const [steps, offset] of [[-1, false], [10_001, false], [-1001, true], [9001, true]] as const) {
      assert.equal(await h.command({ type: 'MOVE', steps, offset }).result, CommandStatus.PositionOutsideLimits, `${steps} ${offset}`);
    }
    assert.equal(h.state(), 'idle');
    for (const [steps, offset] of [[0, false], [10_000, false]] as const) {
      const c = h.command({ type: 'MOVE', steps, offset });
      await h.advance(11_000);
      assert.equal(await c.result, CommandStatus.Succeeded, `limit ${steps} is inside`);
    }
  });

  test('a move polls position while Moving and answers Succeeded on arrival', async () => {
    const h = harness();
    await h.initialize();
    const c = h.command({ type: 'MOVE', steps: 1500, offset: false });
    await h.advance(200);
    assert.equal(h.state(), 'moving');
    assert.equal(focuserStatus(h.actor.getSnapshot()), 2);
    assert.equal(ctx(h).target, 1500);
    const midway = ctx(h).current;
    assert.ok(midway > 1000 && midway < 1500, `current ${midway} is between start and target`);
    assert.equal(c.settled(), undefined);
    await h.advance(500);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.deepEqual([h.state(), ctx(h).current, ctx(h).target], ['idle', 1500, 1500]);
  });

  test('the motor arriving between two reads of a poll still ends the move at the target, never a few steps short', async () => {
    const h = harness();
    h.device.readLagMs = 3; // 3 steps at 1000 steps/s pass during each read
    await h.initialize();
    // Move lengths one step apart sweep the arrival instant across every read of a poll.
    let target = ctx(h).current;
    for (let extra = 0; extra < 40; extra++) {
      target += 200 + extra;
      const c = h.command({ type: 'MOVE', steps: target, offset: false });
      await h.advance(600);
      assert.equal(await c.result, CommandStatus.Succeeded, `move to ${target}`);
      assert.deepEqual([h.state(), ctx(h).current, ctx(h).target], ['idle', target, target], `move to ${target}`);
    }
  });

  test('an offset adds to the current target', async () => {
    const h = harness();
    await h.initialize();
    const c = h.command({ type: 'MOVE', steps: -250, offset: true });
    await h.advance(400);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.deepEqual([ctx(h).current, ctx(h).target], [750, 750]);
  });

  test('stop while idle halts and answers Succeeded', async () => {
    const h = harness();
    await h.initialize();
    const halts = h.device.halts;
    const c = h.command({ type: 'STOP' });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.equal(h.device.halts, halts + 1);
    assert.equal(h.state(), 'idle');
  });

  test('shutdown closes the device and becomes Disabled', async () => {
    const h = harness();
    await h.initialize();
    const c = h.command({ type: 'SHUTDOWN' });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.equal(h.state(), 'disabled');
    assert.ok(h.device.closed);
    assert.equal(h.logs.at(-1)?.message, 'Focuser disconnected');
    assert.equal(ctx(h).device, null);
  });

  test('the idle refresh reads position and temperatures, and a lost device faults to Disabled', async () => {
    const h = harness({ idlePollMs: 1000 });
    await h.initialize();
    await h.advance(1100);
    assert.equal(h.state(), 'idle');
    h.device.unplugged = true;
    await h.advance(1100);
    assert.equal(h.state(), 'disabled');
    assert.match(ctx(h).lastError ?? '', /Focuser lost while idle: focuser disconnected/);
    assert.equal(focuserStatus(h.actor.getSnapshot()), 0);
  });
});

describe('connection machine: stopping and closing', () => {
  test('a second stop while a stop is halting waits for the same halt and also answers Succeeded', async () => {
    const h = harness();
    await h.initialize();
    const first = h.command({ type: 'STOP' });
    const second = h.command({ type: 'STOP' });
    const move = h.command({ type: 'MOVE', steps: 10, offset: false });
    assert.equal(await move.result, CommandStatus.Blocked, 'commands wait for no one: Blocked while stopping');
    await h.advance(10);
    assert.deepEqual([await first.result, await second.result], [CommandStatus.Succeeded, CommandStatus.Succeeded]);
  });

  test('a device error while stopping answers Failed and faults to Disabled', async () => {
    const h = harness();
    await h.initialize();
    h.device.unplugged = true;
    const stop = h.command({ type: 'STOP' });
    await h.advance(10);
    assert.equal(await stop.result, CommandStatus.Failed);
    assert.equal(h.state(), 'disabled');
  });

  test('shutdown still disables when closing the device fails, and logs why', async () => {
    const h = harness();
    await h.initialize();
    h.device.unplugged = true;
    const c = h.command({ type: 'SHUTDOWN' });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.equal(h.state(), 'disabled');
    assert.ok(h.logs.some((l) => l.level === 'error' && /Error closing focuser/.test(l.message)));
  });

  test('a move to where the focuser already is arrives at once', async () => {
    const h = harness();
    await h.initialize();
    const c = h.command({ type: 'MOVE', steps: 0, offset: true });
    await h.advance(10);
    assert.equal(await c.result, CommandStatus.Succeeded);
  });
});

describe('connection machine: moving', () => {
  test('every other command is Blocked during a move', async () => {
    const h = harness();
    await h.initialize();
    const move = h.command({ type: 'MOVE', steps: 2000, offset: false });
    await h.advance(100);
    for (const type of ['INITIALIZE', 'SHUTDOWN', 'HOME']) assert.equal(await h.command({ type }).result, CommandStatus.Blocked, type);
    assert.equal(await h.command({ type: 'MOVE', steps: 10, offset: false }).result, CommandStatus.Blocked);
    await h.advance(1100);
    assert.equal(await move.result, CommandStatus.Succeeded);
  });

  test('stop ends the move early: the move answers Failed, stop Succeeded, Idle at the true position', async () => {
    const h = harness();
    await h.initialize();
    const move = h.command({ type: 'MOVE', steps: 5000, offset: false });
    await h.advance(300);
    const stop = h.command({ type: 'STOP' });
    await h.advance(20);
    assert.equal(await stop.result, CommandStatus.Succeeded);
    assert.equal(await move.result, CommandStatus.Failed);
    const { current, target } = ctx(h);
    assert.equal(h.state(), 'idle');
    assert.ok(current > 1000 && current < 5000, `stopped part way (${current})`);
    assert.equal(target, current);
    assert.equal(await h.device.position(), current, 'the snapshot holds the true position');
  });

  test('a stop that arrives while the move is being sent still leaves the motor still, whichever device call it meets', async () => {
    // The move's start is two device calls (read the position, then move); the stop may land
    // before either, between them, or after. Each time the motor must end still where focusd says.
    for (let ticks = 0; ticks < 6; ticks++) {
      const h = harness();
      await h.initialize();
      const move = h.command({ type: 'MOVE', steps: 5000, offset: false });
      for (let i = 0; i < ticks; i++) await flush();
      const stop = h.command({ type: 'STOP' });
      await h.advance(50);
      assert.equal(await stop.result, CommandStatus.Succeeded, `stop after ${ticks} ticks`);
      assert.equal(await move.result, CommandStatus.Failed, `move after ${ticks} ticks`);
      await h.advance(2000);
      const at = await h.device.position();
      assert.deepEqual([h.state(), ctx(h).current, ctx(h).target], ['idle', at, at], `after ${ticks} ticks the focuser is where focusd says`);
      assert.equal((await h.device.status()).moving, false, `after ${ticks} ticks the motor is still`);
    }
  });

  test('move_timeout halts the motor and returns to Idle at the true position with Failed', async () => {
    const h = harness({ moveTimeoutMs: 1000 });
    await h.initialize();
    h.device.stalled = true;
    const move = h.command({ type: 'MOVE', steps: 3000, offset: false });
    await h.advance(900);
    assert.equal(move.settled(), undefined);
    await h.advance(200);
    assert.equal(await move.result, CommandStatus.Failed);
    assert.equal(h.state(), 'idle');
    assert.deepEqual([ctx(h).current, ctx(h).target], [1000, 1000]);
    assert.ok(h.logs.some((l) => l.level === 'warning' && /timed out/.test(l.message)));
    // And the focuser is usable again.
    const again = h.command({ type: 'MOVE', steps: 1100, offset: false });
    await h.advance(300);
    assert.equal(await again.result, CommandStatus.Succeeded);
  });

  test('a hardware fault mid-move answers Failed, closes the device, logs the cause, then Disabled; initialize works after replug', async () => {
    const h = harness();
    await h.initialize();
    const move = h.command({ type: 'MOVE', steps: 5000, offset: false });
    await h.advance(300);
    h.device.unplugged = true;
    await h.advance(200);
    assert.equal(await move.result, CommandStatus.Failed);
    assert.equal(h.state(), 'disabled');
    assert.ok(h.device.closed);
    assert.ok(h.logs.some((l) => l.level === 'error' && /fault during move: focuser disconnected/.test(l.message)));
    h.device.unplugged = false;
    await h.initialize();
    assert.equal(h.state(), 'idle');
  });

  test('terminate during a move halts it, answers the move Failed, closes the device and stops the machine', async () => {
    const h = harness();
    await h.initialize();
    const move = h.command({ type: 'MOVE', steps: 5000, offset: false });
    await h.advance(200);
    h.actor.send({ type: 'TERMINATE' });
    await h.advance(50);
    assert.equal(await move.result, CommandStatus.Failed);
    assert.equal(h.actor.getSnapshot().status, 'done');
    assert.ok(h.device.closed);
  });
});

describe('connection machine: homing', () => {
  test('home drives to 0, answers Succeeded and marks the focuser homed', async () => {
    const h = harness();
    await h.initialize();
    const c = h.command({ type: 'HOME' });
    await h.advance(100);
    assert.equal(h.state(), 'homing');
    assert.equal(focuserStatus(h.actor.getSnapshot()), 2);
    await h.advance(1000);
    assert.equal(await c.result, CommandStatus.Succeeded);
    assert.deepEqual([h.state(), ctx(h).current, ctx(h).target, ctx(h).homed], ['idle', 0, 0, true]);
  });

  test('stop during homing halts it: home Failed, stop Succeeded', async () => {
    const h = harness();
    await h.initialize();
    const home = h.command({ type: 'HOME' });
    await h.advance(200);
    const stop = h.command({ type: 'STOP' });
    await h.advance(20);
    assert.equal(await stop.result, CommandStatus.Succeeded);
    assert.equal(await home.result, CommandStatus.Failed);
    assert.equal(ctx(h).homed, false);
  });

  test('a fault while homing closes the device and Disables', async () => {
    const h = harness();
    await h.initialize();
    const home = h.command({ type: 'HOME' });
    await h.advance(200);
    h.device.unplugged = true;
    await h.advance(200);
    assert.equal(await home.result, CommandStatus.Failed);
    assert.equal(h.state(), 'disabled');
  });
});

describe('connection machine: terminate', () => {
  test('terminate while disabled stops at once; while idle it closes the device first', async () => {
    const a = harness();
    a.actor.send({ type: 'TERMINATE' });
    assert.equal(a.actor.getSnapshot().status, 'done');
    const b = harness();
    await b.initialize();
    b.actor.send({ type: 'TERMINATE' });
    await b.advance(20);
    assert.equal(b.actor.getSnapshot().status, 'done');
    assert.ok(b.device.closed);
  });
});
