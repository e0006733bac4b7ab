// The RPMs on a booted systemd, checked as an observatory's administrator would use them: a Debian
// bookworm root (test/system/container.ts) booted in systemd-nspawn, the four packages built by
// packaging/build-rpms.sh installed with rpm (--nodeps: Debian has no nodejs RPM, so the host's
// node is bound in at /usr/bin/node, where the launcher looks first), then `systemctl enable --now
// focusd@systest` and what follows: the sandbox, focus from another shell, the journal, the
// simulator drop-in, stop during a move, restarts (SIGKILL, watchdog), an upgrade and removal.
//
// The instance runs with a test drop-in shortening the unit's WatchdogSec to 3 s, so every step
// below also proves the heartbeat (a missed one would restart focusd, which the watchdog test
// counts), and raising the start limit for the test's many restarts.
// The tests run in order on one container: each starts where the last left the machine.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromRoot } from '../helpers/paths.js';
import { Container, endLeftovers, ensureRoot, run, ROOT_BUILD_TIMEOUT_MS, type RunResult } from './container.js';

const OLD = '20260101000001';
const NEW = '20260101000002';
const PACKAGES = ['server', 'client', 'common', 'data-warwick'].map((p) => `rockit-atlas-ts-${p}`);
const UNIT = 'focusd@systest';
const PORT = 9050;
const FOCUS_ENV = { FOCUSD_CONFIG_PATH: '/etc/focusd/systest.json' };
const WATCHDOG_S = 3;
const TIMEOUT_STOP_S = 20;
const STEP = { timeout: 60_000 };

const phonebook = JSON.stringify({ daemons: { systest_focuser: { object_id: 'systest_focuser', host: '127.0.0.1', port: PORT } } });
const config = JSON.stringify({ daemon: 'systest_focuser', log_name: 'focusd@systest', control_machines: ['LocalHost'], move_timeout: 180 }, null, 2) + '\n';

const said = (r: RunResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('the RPMs on a booted systemd (Debian bookworm in systemd-nspawn)', { timeout: ROOT_BUILD_TIMEOUT_MS + 6 * 60_000 }, () => {
  let c: Container;
  let work: string;
  const started = Date.now();
  const timings: string[] = [];

  const focus = (args: string[], timeoutMs = 30_000): Promise<RunResult> => c.exec(['focus', ...args], { timeoutMs, env: FOCUS_ENV });
  async function show<K extends string>(...props: K[]): Promise<Record<K, string>> {
    const r = await c.exec(['systemctl', 'show', UNIT, `--property=${props.join(',')}`], { timeoutMs: 10_000 });
    assert.equal(r.code, 0, said(r));
    const values = new Map(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const out = {} as Record<K, string>;
    for (const p of props) {
      const v = values.get(p);
      assert.ok(v !== undefined, `systemctl show has no ${p}: ${r.stdout}`);
      out[p] = v;
    }
    return out;
  }
  async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== null) return v;
      if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(200);
    }
  }
  /** The journal of one run of the unit (`journalctl _SYSTEMD_INVOCATION_ID=`), as message lines. */
  const journalOf = async (invocation: string): Promise<string> =>
    (await c.exec(['journalctl', '--no-pager', '-o', 'cat', `_SYSTEMD_INVOCATION_ID=${invocation}`], { timeoutMs: 10_000 })).stdout;
  const note = (t: TestContext, line: string): void => {
    timings.push(line);
    t.diagnostic(line);
  };

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the system test boots a container with systemd-nspawn: it runs as root (CI does)');
    const leftovers = endLeftovers();
    if (leftovers.length > 0) timings.push(`ended leftovers of an earlier run: ${leftovers.join(', ')}`);
    const root = await ensureRoot();
    timings.push(root.builtMs > 0 ? `root made with mmdebstrap in ${(root.builtMs / 1000).toFixed(1)} s (cached in ${root.dir})` : `root cached in ${root.dir}`);

    work = mkdtempSync(join(tmpdir(), 'focusd-system-'));
    const rpmStart = Date.now();
    for (const [version, dir] of [[OLD, 'old'], [NEW, 'new']] as const) {
      mkdirSync(join(work, 'rpms', dir), { recursive: true });
      const built = await run('bash', [fromRoot('packaging', 'build-rpms.sh')], {
        timeoutMs: 180_000,
        env: { ...process.env, RPM_OUT: join(work, 'rpms', dir), RPM_VERSION: version },
      });
      assert.equal(built.code, 0, `build-rpms.sh: ${said(built)}`);
      assert.equal(readdirSync(join(work, 'rpms', dir)).length, 4, 'four RPMs');
    }
    timings.push(`two builds of the RPMs: ${((Date.now() - rpmStart) / 1000).toFixed(1)} s`);

    const bootStart = Date.now();
    c = await Container.boot(root.dir, {
      name: `focusd-systest-${process.pid}`,
      binds: { [realpathSync(process.execPath)]: '/usr/bin/node', [join(work, 'rpms')]: '/mnt/rpms' },
      lifetimeMs: 10 * 60_000,
      bootTimeoutMs: 60_000,
    });
    timings.push(`booted in ${((Date.now() - bootStart) / 1000).toFixed(1)} s`);
    const node = await c.exec(['node', '--version'], { timeoutMs: 10_000 });
    assert.equal(node.code, 0, `the host's node (${process.execPath}) does not run in the container (it must need only libc and libstdc++): ${said(node)}`);
  });

  after(async () => {
    if (c) timings.push(`powered off: ${await c.powerOff()}`);
    if (work) rmSync(work, { recursive: true, force: true });
    timings.push(`whole test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.stdout.write(`# system test timings:\n${timings.map((t) => `#   ${t}\n`).join('')}`);
  });

  test('rpm -i installs the four packages, the focusd system user, and the udev rule where udev reads it', STEP, async () => {
    const installed = await c.sh(`rpm -i --nodeps /mnt/rpms/old/*.rpm`);
    assert.equal(installed.code, 0, said(installed));
    const q = await c.exec(['rpm', '-q', '--qf', '%{NAME} %{VERSION}\\n', ...PACKAGES], { timeoutMs: 10_000 });
    assert.equal(q.stdout, PACKAGES.map((p) => `${p} ${OLD}\n`).join(''), said(q));
    const user = await c.exec(['getent', 'passwd', 'focusd'], { timeoutMs: 10_000 });
    const [, , uid, , , home, shell] = user.stdout.trim().split(':');
    assert.ok(Number(uid) < 1000, `focusd is a system user: ${user.stdout}`);
    assert.equal(home, '/');
    assert.match(shell ?? '', /\/nologin$/);
    // udevadm test reads every rules file udev would, in order, and reports any it cannot use.
    const udev = await c.exec(['udevadm', 'test', '--action=add', '/sys/devices/virtual/net/lo'], { timeoutMs: 20_000 });
    const lines = (udev.stdout + udev.stderr).split('\n').filter((l) => l.includes('60-focusd-atlas.rules'));
    assert.deepEqual(lines, ['Reading rules file: /usr/lib/udev/rules.d/60-focusd-atlas.rules'], 'udev reads the rule, and says nothing else about it (an unknown group would be named here)');
  });

  test('systemctl enable --now returns once focusd answers (Type=notify: READY=1 after the port listens)', STEP, async (t) => {
    await c.write('/etc/focusd/phonebook.d/systest.json', phonebook);
    await c.write('/etc/focusd/systest.json', config);
    // The test starts the unit far more often than an administrator would: more than systemd's
    // default 5 starts in 10 s.
    await c.write(`/etc/systemd/system/${UNIT}.service.d/zz-system-test.conf`, `[Unit]\nStartLimitBurst=50\n[Service]\nWatchdogSec=${WATCHDOG_S}s\n`);
    assert.equal((await c.exec(['systemctl', 'daemon-reload'], { timeoutMs: 30_000 })).code, 0);
    // focus status runs the moment systemctl returns: with Type=simple it would find no listener.
    const r = await c.sh(`systemctl enable --now ${UNIT} && focus status`, { env: FOCUS_ENV });
    assert.equal(r.code, 0, said(r));
    assert.match(r.stdout, /^Focuser is OFFLINE$/m);
    note(t, `enable --now and an immediate focus status: ${r.ms} ms`);
    const s = await show('ActiveState', 'SubState', 'StatusText', 'UnitFileState', 'WatchdogUSec');
    assert.deepEqual(s, { ActiveState: 'active', SubState: 'running', StatusText: `serving PYRO:systest_focuser@127.0.0.1:${PORT}`, UnitFileState: 'enabled', WatchdogUSec: `${WATCHDOG_S}s` });
  });

  test("the daemon runs as the focusd user inside the unit's sandbox", STEP, async () => {
    const { MainPID: pid } = await show('MainPID');
    const uid = (await c.exec(['id', '-u', 'focusd'], { timeoutMs: 10_000 })).stdout.trim();
    const gid = (await c.exec(['id', '-g', 'focusd'], { timeoutMs: 10_000 })).stdout.trim();
    const status = (await c.exec(['cat', `/proc/${pid}/status`], { timeoutMs: 10_000 })).stdout;
    const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim().replace(/\s+/g, ' ') ?? `(no ${name})`;
    assert.equal(field('Name'), 'node');
    assert.equal(field('Uid'), `${uid} ${uid} ${uid} ${uid}`);
    assert.equal(field('Gid'), `${gid} ${gid} ${gid} ${gid}`);
    for (const caps of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(field(caps), '0000000000000000', `${caps}: no capabilities`);
    assert.equal(field('NoNewPrivs'), '1');
    assert.equal(field('Seccomp'), '2', 'seccomp filters (SystemCallArchitectures, RestrictAddressFamilies, RestrictNamespaces...)');
    const environ = (await c.exec(['cat', `/proc/${pid}/environ`], { timeoutMs: 10_000 })).stdout.split('\0');
    assert.ok(environ.includes('NODE_OPTIONS=--max-semi-space-size=1'), `V8's young generation capped: ${environ.join(' ')}`);
    assert.ok(environ.some((e) => e.startsWith('WATCHDOG_USEC=')), 'systemd asked for a watchdog');
    const cmdline = (await c.exec(['cat', `/proc/${pid}/cmdline`], { timeoutMs: 10_000 })).stdout.split('\0');
    assert.deepEqual(cmdline.slice(0, 4), ['/usr/bin/node', '/usr/bin/../lib/rockit-atlas-ts/bin/focusd', '/etc/focusd/systest.json', '']);
    // Its view of the file system: ProtectSystem=strict (all read-only), PrivateTmp, ProtectHome.
    const mounts = (await c.exec(['cat', `/proc/${pid}/mountinfo`], { timeoutMs: 10_000 })).stdout.split('\n').filter(Boolean);
    const mount = (point: string): string[] => mounts.filter((m) => m.split(' ')[4] === point);
    assert.match(mount('/').at(-1)?.split(' ')[5] ?? '', /^ro(,|$)/, 'the root is read-only to focusd');
    assert.ok(mount('/tmp').length > 0, 'a private /tmp');
    assert.ok(mount('/home').length > 0 && mount('/root').length > 0, 'home directories hidden');
  });

  test('focus init without a focuser answers 4, and the warning reaches journalctl -p warning with its priority, readable', STEP, async () => {
    const status = await focus(['status']);
    assert.equal(status.code, 0, said(status));
    assert.equal(status.stdout.trim(), 'Focuser is OFFLINE');
    const init = await focus(['init']);
    assert.equal(init.code, 4, said(init));
    assert.match(init.stderr, /error: device not found/);
    const { InvocationID: invocation } = await show('InvocationID');
    const entries = await until('the warning in the journal', 10_000, async () => {
      const r = await c.exec(['journalctl', '--no-pager', '-p', 'warning', '-o', 'json', `_SYSTEMD_INVOCATION_ID=${invocation}`], { timeoutMs: 10_000 });
      const all = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { MESSAGE: string; PRIORITY: string; SYSLOG_IDENTIFIER: string });
      return all.some((e) => e.MESSAGE.startsWith('Focuser not found')) ? all : null;
    });
    const warning = entries.find((e) => e.MESSAGE.startsWith('Focuser not found'));
    assert.ok(warning);
    assert.equal(warning.PRIORITY, '4', 'a warning, not an info line');
    assert.equal(warning.SYSLOG_IDENTIFIER, UNIT);
    assert.match(warning.MESSAGE, /^Focuser not found: [^{}]+$/, 'a readable line, not JSON or a <4> prefix');
    // An operator's plain `journalctl -p warning -u`: the warning, and not the info lines.
    const plain = await c.exec(['journalctl', '--no-pager', '-p', 'warning', '-u', UNIT], { timeoutMs: 10_000 });
    assert.match(plain.stdout, new RegExp(`${UNIT}\\[\\d+\\]: Focuser not found: `));
    assert.doesNotMatch(plain.stdout, /Starting daemon/);
    const everything = await journalOf(invocation);
    assert.match(everything, /^Starting daemon PYRO:systest_focuser@127\.0\.0\.1:9050/m, 'info lines are in the journal, below warning');
  });

  test('a drop-in with Environment=FOCUSD_SIMULATE=1 serves the simulated focuser: init, set, status', STEP, async () => {
    await c.write(`/etc/systemd/system/${UNIT}.service.d/simulate.conf`, '[Service]\nEnvironment=FOCUSD_SIMULATE=1\n');
    const r = await c.sh(`systemctl daemon-reload && systemctl restart ${UNIT}`);
    assert.equal(r.code, 0, said(r));
    assert.equal((await focus(['init'])).code, 0);
    const set = await focus(['set', '2000']);
    assert.equal(set.code, 0, said(set));
    const status = await focus(['status']);
    assert.equal(status.code, 0, said(status));
    assert.match(status.stdout, /^Focuser is IDLE \(002000 steps\)$/m);
    const { InvocationID: invocation } = await show('InvocationID');
    assert.match(await journalOf(invocation), /Starting daemon PYRO:\S+ .*simulate=true/);
  });

  test(`systemctl stop during a move halts the motor and exits 0 within TimeoutStopSec (${TIMEOUT_STOP_S} s)`, STEP, async (t) => {
    const { InvocationID: invocation, TimeoutStopUSec } = await show('InvocationID', 'TimeoutStopUSec');
    assert.equal(TimeoutStopUSec, `${TIMEOUT_STOP_S}s`);
    const moving = focus(['set', '90000'], 60_000); // 88,000 steps at 1,000 steps/s: most of a minute
    await until('focus status to say MOVING', 20_000, async () => (/MOVING/.test((await focus(['status'])).stdout) ? true : null));
    const stop = await c.sh(`s=$(date +%s%N); systemctl stop ${UNIT}; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`, { timeoutMs: (TIMEOUT_STOP_S + 10) * 1000 });
    assert.equal(stop.code, 0, said(stop));
    const ms = Number(stop.stdout.trim());
    note(t, `systemctl stop during a move: ${ms} ms`);
    assert.ok(ms < TIMEOUT_STOP_S * 1000, `stop took ${ms} ms`);
    const s = await show('ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus');
    assert.deepEqual(s, { ActiveState: 'inactive', Result: 'success', ExecMainCode: '1', ExecMainStatus: '0' }, 'exited by itself with status 0, not killed');
    const set = await moving;
    assert.notEqual(set.code, 0, `the interrupted set did not succeed: ${said(set)}`);
    const journal = await until('the stop in the journal', 10_000, async () => {
      const j = await journalOf(invocation);
      return /Exiting daemon/.test(j) ? j : null;
    });
    const halted = /^Move stopped by focusd shutting down at (\d+) steps \(target 90000\)$/m.exec(journal);
    assert.ok(halted, `no "Move stopped" in the journal:\n${journal}`);
    assert.ok(Number(halted[1]) > 2000 && Number(halted[1]) < 90000, `halted at ${halted[1]}, between start and target`);
    const order = ['stopping: halting any move', 'Move stopped by focusd shutting down', 'Exiting daemon'].map((m) => journal.indexOf(m));
    assert.deepEqual([...order].sort((a, b) => a - b), order, `stop, halt, exit in that order:\n${journal}`);
    const start = await c.sh(`systemctl start ${UNIT} && focus status`, { env: FOCUS_ENV });
    assert.equal(start.code, 0, said(start));
  });

  test('SIGKILL: Restart=on-failure brings focusd back', STEP, async (t) => {
    const before_ = await show('MainPID', 'NRestarts');
    assert.notEqual(before_.MainPID, '0', 'focusd is not running');
    const killedAt = Date.now();
    assert.equal((await c.exec(['kill', '-KILL', before_.MainPID], { timeoutMs: 10_000 })).code, 0);
    const after_ = await until('a new focusd', 30_000, async () => {
      const s = await show('MainPID', 'NRestarts', 'ActiveState');
      return s.ActiveState === 'active' && s.MainPID !== before_.MainPID && s.MainPID !== '0' ? s : null;
    });
    note(t, `restarted ${((Date.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL (RestartSec=5)`);
    assert.equal(Number(after_.NRestarts), Number(before_.NRestarts) + 1);
    const status = await focus(['status']);
    assert.equal(status.code, 0, said(status));
  });

  test('systemctl restart, then focus status at once: it answers every time', STEP, async () => {
    for (let i = 0; i < 3; i++) {
      const r = await c.sh(`systemctl restart ${UNIT} && focus status`, { env: FOCUS_ENV });
      assert.equal(r.code, 0, `round ${i}: ${said(r)}`);
      assert.match(r.stdout, /^Focuser is OFFLINE$/m);
    }
  });

  test(`the watchdog: heartbeats kept focusd alive all along, and a SIGSTOP-ed focusd is restarted (WatchdogSec=${WATCHDOG_S}s)`, STEP, async (t) => {
    const unitLog = (await c.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', UNIT], { timeoutMs: 10_000 })).stdout;
    assert.doesNotMatch(unitLog, /Watchdog timeout/, 'a watchdog restart before any was provoked: the heartbeat failed');
    assert.equal(unitLog.match(/Scheduled restart job/g)?.length, 1, 'one automatic restart so far, after the SIGKILL');
    const before_ = await show('MainPID');
    assert.notEqual(before_.MainPID, '0', 'focusd is not running');
    await sleep(WATCHDOG_S * 2 * 1000); // two watchdog periods of idle running, heartbeats only
    assert.equal((await show('MainPID')).MainPID, before_.MainPID, 'restarted while idle: the heartbeat failed');
    const stoppedAt = Date.now();
    assert.equal((await c.exec(['kill', '-STOP', before_.MainPID], { timeoutMs: 10_000 })).code, 0);
    await until('a new focusd', 40_000, async () => {
      const s = await show('MainPID', 'ActiveState');
      return s.ActiveState === 'active' && s.MainPID !== before_.MainPID && s.MainPID !== '0' ? s : null;
    });
    note(t, `restarted ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after SIGSTOP (watchdog ${WATCHDOG_S} s + RestartSec 5)`);
    const log = (await c.exec(['journalctl', '--no-pager', '-o', 'cat', '-u', UNIT], { timeoutMs: 10_000 })).stdout;
    assert.match(log, new RegExp(`Watchdog timeout \\(limit ${WATCHDOG_S}s\\)`));
    assert.match(log, /Failed with result 'watchdog'/);
    assert.equal((await focus(['status'])).code, 0);
  });

  test('rpm -U of a newer build keeps /etc/focusd/*.json; the instance restarts cleanly on the new code', STEP, async () => {
    const edit = await c.sh(`sed -i 's/"move_timeout": 180/"move_timeout": 120/' /etc/focusd/warwick.json && grep -q '"move_timeout": 120' /etc/focusd/warwick.json`);
    assert.equal(edit.code, 0, `the administrator's edit: ${said(edit)}`);
    const sums = 'sha256sum /etc/focusd/*.json /etc/focusd/phonebook.d/*.json';
    const before_ = (await c.sh(sums)).stdout;
    const { MainPID: running } = await show('MainPID');
    const upgrade = await c.sh(`rpm -U --nodeps /mnt/rpms/new/*.rpm`, { timeoutMs: 60_000 });
    assert.equal(upgrade.code, 0, said(upgrade));
    const q = await c.exec(['rpm', '-q', '--qf', '%{NAME} %{VERSION}\\n', ...PACKAGES], { timeoutMs: 10_000 });
    assert.equal(q.stdout, PACKAGES.map((p) => `${p} ${NEW}\n`).join(''));
    assert.equal((await c.sh(sums)).stdout, before_, 'configs unchanged by the upgrade');
    assert.equal((await c.sh('ls /etc/focusd')).stdout.split('\n').filter((f) => /\.rpm(new|save)$/.test(f)).length, 0);
    assert.equal((await show('MainPID')).MainPID, running, 'the upgrade leaves the running instance alone until restarted');
    const restart = await c.sh(`systemctl restart ${UNIT} && focus status && focusd --version`, { env: FOCUS_ENV });
    assert.equal(restart.code, 0, said(restart));
    assert.match(restart.stdout, new RegExp(`^${NEW}$|\\b${NEW}\\b`, 'm'));
    const { InvocationID: invocation } = await show('InvocationID');
    assert.match(await journalOf(invocation), new RegExp(`Starting daemon PYRO:\\S+ .*version=${NEW}`));
  });

  test('rpm -e stops and disables the instances, removes the programs, and keeps the configs an administrator changed', STEP, async () => {
    const erase = await c.exec(['rpm', '-e', ...PACKAGES], { timeoutMs: 60_000 });
    assert.equal(erase.code, 0, said(erase));
    const active = await c.exec(['systemctl', 'is-active', UNIT], { timeoutMs: 10_000 });
    assert.notEqual(active.stdout.trim(), 'active', said(active));
    const node = await c.exec(['pgrep', '-u', 'focusd'], { timeoutMs: 10_000 });
    assert.equal(node.stdout.trim(), '', 'no process of the focusd user left');
    const gone = await c.sh('for f in /usr/bin/focusd /usr/bin/focus /usr/lib/rockit-atlas-ts /usr/lib/systemd/system/focusd@.service /usr/lib/udev/rules.d/60-focusd-atlas.rules /etc/systemd/system/multi-user.target.wants/focusd@systest.service; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done; true');
    assert.equal(gone.stdout, '', `left behind:\n${gone.stdout}`);
    const kept = await c.sh('cat /etc/focusd/systest.json; grep -c "\\"move_timeout\\": 120" /etc/focusd/warwick.json.rpmsave; ls /etc/focusd/phonebook.d');
    assert.equal(kept.code, 0, said(kept));
    assert.equal(kept.stdout, `${config}1\nsystest.json\n`, 'the test config, the edited warwick.json (as .rpmsave) and the phone book addition are kept');
  });
});
