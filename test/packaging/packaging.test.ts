import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulated } from '../cli/harness.js';
import { fromRoot } from '../helpers/paths.js';

const PACKAGES = ['server', 'client', 'common', 'data-warwick'] as const;
type Pkg = (typeof PACKAGES)[number];

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rpmQuery = (file: string, ...flags: string[]): string[] =>
  run('rpm', ['-qp', ...flags, file]).stdout.split('\n').filter((l) => l !== '');

describe('RPM packages', () => {
  let work: string;
  let rpmDir: string;
  let root: string;
  const rpms = {} as Record<Pkg, string>;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'focusd-packaging-'));
    rpmDir = join(work, 'rpms');
    // npm test has just built dist/; the script stages it with production dependencies only.
    const built = run('bash', [fromRoot('packaging', 'build-rpms.sh')], {
      env: { ...process.env, RPM_OUT: rpmDir, SKIP_BUILD: '1', RPM_VERSION: '20260101000000' },
      timeoutMs: 180_000,
    });
    assert.equal(built.code, 0, `build-rpms.sh failed:\n${built.stdout}\n${built.stderr}`);
    for (const pkg of PACKAGES) {
      const file = readdirSync(rpmDir).find((f) => f.startsWith(`rockit-atlas-ts-${pkg}-20260101000000-1.`));
      assert.ok(file, `no ${pkg} package in ${readdirSync(rpmDir).join(', ')}`);
      rpms[pkg] = join(rpmDir, file);
    }
    root = join(work, 'root');
    mkdirSync(root);
    for (const pkg of PACKAGES) {
      const x = run('sh', ['-c', `rpm2cpio '${rpms[pkg]}' | cpio -idm --quiet`], { cwd: root });
      assert.equal(x.code, 0, x.stderr);
    }
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('four packages, named and versioned from the build date as upstream does', () => {
    assert.match(rpms.server, /rockit-atlas-ts-server-20260101000000-1\.noarch\.rpm$/);
    assert.match(rpms.client, /rockit-atlas-ts-client-20260101000000-1\.noarch\.rpm$/);
    assert.match(rpms.common, /rockit-atlas-ts-common-20260101000000-1\.x86_64\.rpm$/, 'native usb code: arch package');
    assert.match(rpms['data-warwick'], /rockit-atlas-ts-data-warwick-20260101000000-1\.noarch\.rpm$/);
  });

  test('file lists: server, client and data-warwick hold exactly their files', () => {
    assert.deepEqual(rpmQuery(rpms.server, '-l').sort(), [
      '/usr/bin/focusd',
      '/usr/lib/systemd/system/focusd@.service',
      '/usr/lib/udev/rules.d/60-focusd-atlas.rules',
      '/usr/share/doc/rockit-atlas-ts-server/README.md',
    ]);
    assert.deepEqual(rpmQuery(rpms.client, '-l').sort(), ['/usr/bin/focus', '/usr/share/bash-completion/completions/focus']);
    assert.deepEqual(rpmQuery(rpms['data-warwick'], '-l'), ['/etc/focusd/warwick.json']);
    assert.deepEqual(rpmQuery(rpms['data-warwick'], '-c'), ['/etc/focusd/warwick.json'], 'a config file: local edits survive upgrades');
    assert.equal(readFileSync(join(root, 'etc/focusd/warwick.json'), 'utf8'), readFileSync(fromRoot('config', 'warwick.json'), 'utf8'), 'the upstream config, unchanged');
  });

  test('file list: common holds the compiled module and production dependencies only', () => {
    const files = rpmQuery(rpms.common, '-l');
    const m = '/usr/lib/rockit-atlas-ts';
    for (const f of [
      `${m}/bin/focusd`,
      `${m}/bin/focus`,
      `${m}/package.json`,
      `${m}/config/phonebook.json`,
      `${m}/dist/src/cli/focusd.js`,
      `${m}/dist/src/pyro/index.js`,
      `${m}/dist/src/hardware/index.js`,
      `${m}/node_modules/xstate/package.json`,
      `${m}/node_modules/usb/package.json`,
    ]) {
      assert.ok(files.includes(f), `${f} missing`);
    }
    assert.ok(files.some((f) => /node_modules\/@node-usb\/usb-linux-x64-gnu\/.*\.node$/.test(f)), 'the usb native binding is bundled');
    assert.ok(files.every((f) => f.startsWith(m)), 'everything under the module directory');
    for (const unwanted of ['/dist/test/', '/dist/bench/', '/node_modules/typescript/', '/node_modules/fast-check/', '/node_modules/tsx/']) {
      assert.ok(!files.some((f) => f.includes(unwanted)), `${unwanted} must not be packaged`);
    }
    assert.ok(!files.some((f) => f.startsWith(`${m}/dist/`) && f.endsWith('.map')), 'no source maps of our own');
  });

  test('requirements: Node.js >= 20 and the same-version common module; conflicts with the Python packages', () => {
    const version = '20260101000000-1';
    for (const pkg of ['server', 'client'] as const) {
      const req = rpmQuery(rpms[pkg], '-R');
      assert.ok(req.includes('nodejs >= 1:20'), `${pkg}: ${req.join(', ')}`);
      assert.ok(req.includes(`rockit-atlas-ts-common = ${version}`), `${pkg}: ${req.join(', ')}`);
      assert.deepEqual(rpmQuery(rpms[pkg], '--conflicts'), [`rockit-atlas-${pkg}`]);
    }
    assert.ok(rpmQuery(rpms.common, '-R').includes('nodejs >= 1:20'));
    assert.ok(rpmQuery(rpms.server, '-R').includes('shadow-utils'), 'the %pre script creates the focusd user');
    assert.deepEqual(rpmQuery(rpms['data-warwick'], '--conflicts'), ['rockit-atlas-data-warwick']);
    assert.ok(!rpmQuery(rpms['data-warwick'], '-R').some((r) => r.startsWith('nodejs')), 'data has no runtime');
  });

  test('the server package creates the focusd system user and group the unit and udev rule name', () => {
    const scripts = run('rpm', ['-qp', '--scripts', rpms.server]).stdout;
    assert.match(scripts, /groupadd -r focusd/);
    assert.match(scripts, /useradd -r -g focusd .*focusd/);
    const unit = readFileSync(join(root, 'usr/lib/systemd/system/focusd@.service'), 'utf8');
    const rule = readFileSync(join(root, 'usr/lib/udev/rules.d/60-focusd-atlas.rules'), 'utf8');
    assert.match(unit, /^User=focusd$/m);
    assert.match(unit, /^Group=focusd$/m);
    assert.match(rule, /ATTRS\{idVendor\}=="0f18", ATTRS\{idProduct\}=="0006".*GROUP="focusd"/);
  });

  test('the unit runs our focusd on /etc/focusd/<instance>.json, restarts on failure, and is hardened', () => {
    const unit = readFileSync(join(root, 'usr/lib/systemd/system/focusd@.service'), 'utf8');
    for (const line of [
      'ExecStart=/usr/bin/focusd /etc/focusd/%i.json',
      'Restart=on-failure',
      'After=network-online.target',
      'Wants=network-online.target',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
      'DeviceAllow=char-usb_device rw',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(unit.split('\n').includes(line), `missing: ${line}`);
    }
  });

  test('systemd-analyze verify accepts the unit in the extracted root', () => {
    // The root needs systemd's own units (sysinit.target...) for verify to resolve dependencies.
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, force: false, errorOnExist: false });
    const r = run('systemd-analyze', ['verify', `--root=${root}`, 'focusd@warwick.service']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '', 'no warning about the unit');
  });

  test('the extracted focusd serves the simulated focuser and the extracted focus talks to it', async () => {
    const focus = join(root, 'usr/bin/focus');
    const t = await startSimulated({ focusd: join(root, 'usr/bin/focusd') });
    try {
      const env = { ...t.env, NO_COLOR: '1' };
      const status = run(focus, ['status'], { env });
      assert.equal(status.stdout, 'Focuser is OFFLINE\n', status.stderr);
      assert.equal(status.code, 0);
      assert.equal(run(focus, ['init'], { env }).code, 0);
      assert.match(run(focus, ['status'], { env }).stdout, /^Focuser is IDLE \(001000 steps\)\n/);
      assert.equal(run(focus, ['kill'], { env }).code, 0);
    } finally {
      await t.proc.stop();
    }
    const ended = await t.proc.exited;
    assert.equal(ended.code, 0, t.proc.stderr());
  });

  test('without --simulate the extracted focusd loads the bundled USB binding: no focuser here, init is 4', async () => {
    const t = await startSimulated({ focusd: join(root, 'usr/bin/focusd'), simulate: false });
    try {
      const init = run(join(root, 'usr/bin/focus'), ['init'], { env: t.env });
      assert.equal(init.stderr, 'error: device not found\n');
      assert.equal(init.code, 4);
      await t.proc.waitFor(/no FLI focuser found/, 5_000);
      assert.doesNotMatch(t.proc.stdout() + t.proc.stderr(), /Cannot find module|ERR_DLOPEN/);
    } finally {
      await t.proc.stop();
    }
  });
});
