import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFocus, startSimulated } from '../cli/harness.js';
import { atlasSimBin, focusdBin } from '../helpers/paths.js';
import { start } from '../helpers/process.js';

// `focusd --list`: the focusers on the bus, without starting the daemon or calling init.

const list = (args: string[]) => spawnSync(process.execPath, [focusdBin, ...args, '--list'], { encoding: 'utf8', timeout: 30_000 });

describe('focusd --list', () => {
  test('--simulate lists the simulated focuser with its facts, firmware in hex, exit 0', () => {
    const r = list(['--simulate']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'SIM-ATLAS-0001: Atlas Focuser, firmware 0x8043, hardware type 0xff, range 0 - 100000 steps; simulated; available\n');
    assert.equal(r.status, 0);
  });

  test('without --simulate it looks at the real bus: here no focuser, one line, exit 1', () => {
    const r = list([]);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^focusd: no FLI focuser (found: .+|\(USB 0f18:0006\) is connected)\n$/);
    assert.equal(r.status, 1);
  });

  test("on atlas-sim's bus: the focuser is available, then in use once a focusd holds it (firmware from the USB descriptor)", async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'focusd-list-')), 'atlas.sock');
    const sim = start(process.execPath, [atlasSimBin, '--serial', 'ML0123418', '--firmware', '0x8042', '--model', 'Atlas Focuser', socket], { lifetimeMs: 90_000 });
    await sim.waitFor(/atlas-sim: serving/);
    const free = list(['--simulate', '--simulator-socket', socket]);
    assert.equal(free.stdout, 'ML0123418: Atlas Focuser, firmware 0x8042, hardware type 0xff, range 0 - 100000 steps; bus 1 port 1; available\n', free.stderr);
    assert.equal(free.status, 0);

    const holder = await startSimulated({ args: ['--simulator-socket', socket] });
    assert.equal((await runFocus(['init'], holder.env)).code, 0);
    const held = list(['--simulate', '--simulator-socket', socket]);
    assert.match(held.stdout, /^ML0123418: firmware 0x8042 \(USB descriptor\); bus 1 port 1; in use: .*in use by another program.*\n$/);
    assert.equal(held.status, 0);
    await holder.proc.stop();
    await sim.stop();
  });
});
