// focusd's messages to systemd (src/service/systemd-notify.ts), with a stand-in systemd-notify: a
// shell script that records its arguments and the NOTIFY_SOCKET it was given. The booted-systemd
// test (test/system/) proves the same messages against the real manager.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemdNotifier, watchdogHeartbeatMs, type SystemdNotifier } from '../../src/service/systemd-notify.js';
import { eventually } from '../cli/harness.js';

interface Rig {
  notifier: SystemdNotifier;
  warnings: string[];
  /** The lines the stand-in recorded: `<NOTIFY_SOCKET> <args>`. */
  calls(): string[];
  dispose(): void;
}

function rig(env: NodeJS.ProcessEnv, script = 'echo "$NOTIFY_SOCKET $*" >> "$(dirname "$0")/calls"', extra: { command?: string; timeoutMs?: number } = {}): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'focusd-notify-'));
  const command = join(dir, 'systemd-notify');
  writeFileSync(command, `#!/bin/sh\n${script}\n`);
  chmodSync(command, 0o755);
  const warnings: string[] = [];
  const notifier = systemdNotifier({ env, pid: 4242, command: extra.command ?? command, warn: (m) => warnings.push(m), ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}) });
  const file = join(dir, 'calls');
  return {
    notifier,
    warnings,
    calls: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []),
    dispose() {
      notifier.stopping();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SOCKET = '/run/systemd/notify';

test('the watchdog period is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names', () => {
  assert.equal(watchdogHeartbeatMs({ WATCHDOG_USEC: '30000000' }, 7), 15_000);
  assert.equal(watchdogHeartbeatMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7), 15_000);
  assert.equal(watchdogHeartbeatMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '8' }, 7), null);
  assert.equal(watchdogHeartbeatMs({}, 7), null);
  assert.equal(watchdogHeartbeatMs({ WATCHDOG_USEC: 'soon' }, 7), null);
  assert.equal(watchdogHeartbeatMs({ WATCHDOG_USEC: '0' }, 7), null);
});

test('without NOTIFY_SOCKET (focusd not started by systemd) nothing is sent', async () => {
  const r = rig({ WATCHDOG_USEC: '200000' });
  try {
    assert.equal(r.notifier.enabled, false);
    assert.equal(r.notifier.heartbeatMs, null);
    r.notifier.ready('serving PYRO:x@127.0.0.1:9000');
    await sleep(400);
    assert.deepEqual(r.calls(), []);
    assert.deepEqual(r.warnings, []);
  } finally {
    r.dispose();
  }
});

test('READY=1 with a status line, then a heartbeat every WATCHDOG_USEC/2, then STOPPING=1 and no more heartbeats', async () => {
  const r = rig({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '200000', WATCHDOG_PID: '4242' });
  try {
    assert.equal(r.notifier.heartbeatMs, 100);
    r.notifier.ready('serving PYRO:x@127.0.0.1:9000');
    await eventually(() => r.calls().filter((c) => c === `${SOCKET} WATCHDOG=1`).length >= 3, 15_000, 'three heartbeats');
    assert.equal(r.calls()[0], `${SOCKET} --ready --status=serving PYRO:x@127.0.0.1:9000`);
    r.notifier.stopping();
    await eventually(() => r.calls().includes(`${SOCKET} STOPPING=1 --status=stopping`), 15_000, 'STOPPING=1');
    await sleep(300);
    const after = r.calls().length;
    await sleep(500);
    assert.equal(r.calls().length, after, 'a heartbeat after STOPPING=1');
    assert.deepEqual(r.warnings, []);
  } finally {
    r.dispose();
  }
});

test('no watchdog asked for (or asked of another process): READY=1 only', async () => {
  const r = rig({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' });
  try {
    assert.equal(r.notifier.heartbeatMs, null);
    r.notifier.ready('serving');
    await eventually(() => r.calls().length === 1, 15_000, 'READY=1');
    await sleep(500);
    assert.deepEqual(r.calls(), [`${SOCKET} --ready --status=serving`]);
  } finally {
    r.dispose();
  }
});

test('a missing systemd-notify is one warning, however many messages fail', async () => {
  const r = rig({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '100000' }, 'exit 0', { command: '/nonexistent/systemd-notify' });
  try {
    r.notifier.ready('serving');
    await sleep(600);
    assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
    assert.match(r.warnings[0] ?? '', /^systemd-notify --ready --status=serving failed \(spawn \/nonexistent\/systemd-notify ENOENT\): systemd may not see focusd as started or alive/);
  } finally {
    r.dispose();
  }
});

test('a failing systemd-notify is reported with its exit status and first line of stderr', async () => {
  const r = rig({ NOTIFY_SOCKET: SOCKET }, 'echo "Failed to notify init system: Permission denied" >&2; exit 1');
  try {
    r.notifier.ready('serving');
    await eventually(() => r.warnings.length === 1, 15_000, 'the warning');
    assert.match(r.warnings[0] ?? '', /failed \(exit 1: Failed to notify init system: Permission denied\)/);
  } finally {
    r.dispose();
  }
});

test('a systemd-notify that hangs is killed after its time-out, and heartbeats do not pile up behind it', async () => {
  const r = rig({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '40000' }, 'case "$1" in STOPPING*) exit 0 ;; esac; echo "$*" >> "$(dirname "$0")/calls"; exec sleep 30', { timeoutMs: 300 });
  try {
    r.notifier.ready('serving');
    await eventually(() => r.warnings.length === 1, 15_000, 'the warning');
    assert.match(r.warnings[0] ?? '', /no answer within 300 ms/);
    await sleep(1_000);
    // A heartbeat every 20 ms would be ~60 by now if each started while the last still ran; one at a
    // time, each killed after 300 ms, makes a handful.
    const beats = r.calls().filter((c) => c === 'WATCHDOG=1').length;
    assert.ok(beats >= 1 && beats <= 8, `${beats} heartbeats started`);
    assert.equal(r.warnings.length, 1);
  } finally {
    r.dispose();
  }
});
