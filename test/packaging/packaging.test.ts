import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulated } from '../cli/harness.js';
import { fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { requirePythonPyro4 } from '../helpers/python.js';

const PACKAGES = ['server', 'client', 'common', 'data-warwick'] as const;
type Pkg = (typeof PACKAGES)[number];

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rpmQuery = (file: string, ...flags: string[]): string[] =>
  run('rpm', ['-qp', ...flags, file]).stdout.split('\n').filter((l) => l !== '');

/** Requirements that need nothing beyond Node.js and a base system (no libusb, no npm, no python). */
const BASE_REQUIREMENT = [
  /^rpmlib\(/,
  /^\/bin\/(ba)?sh$/,
  /^\/usr\/bin\/env$/,
  /^nodejs >= 1:20$/,
  /^rockit-atlas-ts-common = \S+$/,
  /^shadow-utils$/,
  /^config\(rockit-atlas-ts-data-warwick\) = \S+$/,
  // The usb binding's prebuilt .node: glibc and libgcc only (libusb is linked in statically).
  /^(ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libgcc_s\.so\.1)(\(.*\))*$/,
];

/** A unit file as section -> key -> values (in order; comments and blank lines dropped). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = sections[header[1] as string] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a unit file line: ${raw}`);
    (current[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return sections;
}

describe('RPM packages', () => {
  let work: string;
  let rpmDir: string;
  let root: string;
  const rpms = {} as Record<Pkg, string>;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'focusd-packaging-'));
    rpmDir = join(work, 'rpms');
    // The script compiles src/ afresh into its staging area and adds production dependencies only.
    const built = run('bash', [fromRoot('packaging', 'build-rpms.sh')], {
      env: { ...process.env, RPM_OUT: rpmDir, RPM_VERSION: '20260101000000' },
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
    assert.match(rpms.server, /rockit-atlas-ts-server-20260101000000-1(\.\w+)?\.noarch\.rpm$/);
    assert.match(rpms.client, /rockit-atlas-ts-client-20260101000000-1(\.\w+)?\.noarch\.rpm$/);
    assert.match(rpms.common, /rockit-atlas-ts-common-20260101000000-1(\.\w+)?\.x86_64\.rpm$/, 'native usb code: arch package');
    assert.match(rpms['data-warwick'], /rockit-atlas-ts-data-warwick-20260101000000-1(\.\w+)?\.noarch\.rpm$/);
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

  test('file list: common holds the two bundled programs and the usb binding only', () => {
    const m = '/usr/lib/rockit-atlas-ts';
    const all = rpmQuery(rpms.common, '-l');
    assert.ok(all.includes('/etc/focusd') && all.includes('/etc/focusd/phonebook.d'), 'owns the config directories');
    const files = all.filter((f) => !f.startsWith('/etc/focusd'));
    for (const f of [
      `${m}/bin/focusd`,
      `${m}/bin/focus`,
      `${m}/package.json`,
      `${m}/config/phonebook.json`,
      `${m}/dist/bundle/focusd.mjs`,
      `${m}/dist/bundle/focus.mjs`,
      `${m}/node_modules/usb/package.json`,
    ]) {
      assert.ok(files.includes(f), `${f} missing`);
    }
    assert.ok(files.some((f) => /node_modules\/@node-usb\/usb-linux-x64-gnu\/.*\.node$/.test(f)), 'the usb native binding is bundled');
    assert.ok(files.every((f) => f.startsWith(m)), 'everything under the module directory');
    assert.deepEqual(
      files.filter((f) => f.startsWith(`${m}/dist`)).sort(),
      [`${m}/dist`, `${m}/dist/bundle`, `${m}/dist/bundle/THIRD_PARTY_LICENSES.txt`, `${m}/dist/bundle/focus.mjs`, `${m}/dist/bundle/focusd.mjs`],
      'the two bundles and their third-party licences, nothing else of ours',
    );
    const licences = readFileSync(join(root, m, 'dist/bundle/THIRD_PARTY_LICENSES.txt'), 'utf8');
    for (const pkg of ['xstate', 'pino', 'commander', 'sonic-boom']) assert.match(licences, new RegExp(`^${pkg} \\d+\\.\\d+\\.\\d+ \\(MIT\\)$`, 'm'), pkg);
    assert.match(licences, /Permission is hereby granted, free of charge/);
    // Bundled: the dependencies are inside the two files, only the native binding is installed.
    for (const unwanted of ['/dist/src/', '/dist/test/', '/dist/bench/', '/node_modules/xstate/', '/node_modules/pino/', '/node_modules/ajv/', '/node_modules/commander/', '/node_modules/typescript/', '/node_modules/fast-check/', '/node_modules/tsx/', '/bin/atlas-sim']) {
      assert.ok(!files.some((f) => f.includes(unwanted)), `${unwanted} must not be packaged`);
    }
    assert.ok(!files.some((f) => f.startsWith(`${m}/dist/`) && f.endsWith('.map')), 'no source maps of our own');
  });

  test('requirements: Node.js >= 20 and the same-version common module; conflicts with the Python packages', () => {
    const version = '20260101000000-1';
    for (const pkg of ['server', 'client'] as const) {
      const req = rpmQuery(rpms[pkg], '-R');
      assert.ok(req.includes('nodejs >= 1:20'), `${pkg}: ${req.join(', ')}`);
      assert.ok(req.some((r) => new RegExp(`^rockit-atlas-ts-common = ${version}(\\.\\w+)?$`).test(r)), `${pkg}: ${req.join(', ')}`);
      assert.deepEqual(rpmQuery(rpms[pkg], '--conflicts'), [`rockit-atlas-${pkg}`]);
    }
    assert.ok(rpmQuery(rpms.common, '-R').includes('nodejs >= 1:20'));
    assert.ok(rpmQuery(rpms.server, '-R').includes('shadow-utils'), 'the %pre script creates the focusd user');
    assert.deepEqual(rpmQuery(rpms['data-warwick'], '--conflicts'), ['rockit-atlas-data-warwick']);
    assert.ok(!rpmQuery(rpms['data-warwick'], '-R').some((r) => r.startsWith('nodejs')), 'data has no runtime');
    for (const pkg of PACKAGES) {
      for (const req of rpmQuery(rpms[pkg], '-R')) {
        assert.ok(BASE_REQUIREMENT.some((re) => re.test(req)), `${pkg} requires ${req}: more than Node.js >= 20 and a base system`);
      }
    }
  });

  test('the launchers run the bundled module with the node installed beside them (/usr/bin/node), not PATH\'s', () => {
    // In the extracted tree, usr/bin/node stands for the nodejs package's /usr/bin/node.
    const beside = join(root, 'usr/bin/node');
    symlinkSync(process.execPath, beside);
    try {
      // PATH holds the shell tools the launcher uses and no node.
      const tools = join(work, 'tools');
      mkdirSync(tools, { recursive: true });
      for (const tool of ['readlink', 'dirname', 'basename']) {
        const found = run('sh', ['-c', `command -v ${tool}`]).stdout.trim();
        if (!existsSync(join(tools, tool))) symlinkSync(found, join(tools, tool));
      }
      const env: NodeJS.ProcessEnv = { PATH: tools, HOME: work };
      for (const bin of ['focus', 'focusd']) {
        const help = run(join(root, 'usr/bin', bin), ['--help'], { env });
        assert.equal(help.code, 0, `${bin}: ${help.stderr}`);
        assert.match(help.stdout, /^Usage: /m, bin);
        // The programs say the version rpm -q says: the one stamped at build time.
        const version = run(join(root, 'usr/bin', bin), ['--version'], { env });
        assert.deepEqual([version.code, version.stdout], [0, '20260101000000\n'], `${bin} --version`);
      }
    } finally {
      rmSync(beside);
    }
    assert.equal(readFileSync(join(root, 'usr/share/bash-completion/completions/focus'), 'utf8'), readFileSync(fromRoot('completion', 'focus'), 'utf8'), 'the project\'s completion');
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

  test('the server scriptlets are valid sh; removal (not upgrade) disables and stops the instances', () => {
    const tags = { pre: '%{PREIN}', post: '%{POSTIN}', preun: '%{PREUN}', postun: '%{POSTUN}' };
    const body: Record<string, string> = {};
    for (const [name, tag] of Object.entries(tags)) {
      body[name] = run('rpm', ['-qp', '--qf', tag, rpms.server]).stdout;
      assert.notEqual(body[name], '(none)', `no %${name} script`);
      const syntax = spawnSync('sh', ['-n'], { input: body[name], encoding: 'utf8', timeout: 10_000 });
      assert.equal(syntax.status, 0, `%${name}: ${syntax.stderr}`);
    }
    assert.match(body.pre ?? '', /useradd -r -g focusd -d \/ -s \/sbin\/nologin .*focusd$/m, 'a system user without a login or home');
    assert.match(body.preun ?? '', /if \[ "\$1" -eq 0 \]; then\s+systemctl --no-reload disable focusd@\.service .*\n\s+systemctl stop 'focusd@\*\.service'/);
    assert.match(body.post ?? '', /udevadm control --reload-rules/, 'the new udev rule applies without a reboot');
  });

  test('the unit runs our focusd on /etc/focusd/<instance>.json, restarts on failure, and is hardened', () => {
    const unit = parseUnit(readFileSync(join(root, 'usr/lib/systemd/system/focusd@.service'), 'utf8'));
    const expected: Record<string, Record<string, string>> = {
      Unit: { After: 'network-online.target', Wants: 'network-online.target' },
      Service: {
        Type: 'notify',
        NotifyAccess: 'all',
        WatchdogSec: '30s',
        ExecStart: '/usr/bin/focusd /etc/focusd/%i.json',
        Restart: 'on-failure',
        RestartSec: '5',
        User: 'focusd',
        Group: 'focusd',
        SyslogIdentifier: 'focusd@%i',
        // Per-instance options beyond upstream's config (FOCUSD_INDI): optional, so no file is needed.
        EnvironmentFile: '-/etc/focusd/%i.env',
        NoNewPrivileges: 'yes',
        ProtectSystem: 'strict',
        ProtectHome: 'yes',
        PrivateTmp: 'yes',
        ProtectKernelTunables: 'yes',
        ProtectControlGroups: 'yes',
        RestrictRealtime: 'yes',
        LockPersonality: 'yes',
        // V8's JIT writes and then executes code: with W^X enforced node cannot start.
        MemoryDenyWriteExecute: 'no',
        // Sockets to bind the Pyro port (inet) and netlink for USB hotplug events.
        RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX AF_NETLINK',
        // closed: only the standard pseudo devices (/dev/null, /dev/urandom...) plus the USB nodes.
        DevicePolicy: 'closed',
        DeviceAllow: 'char-usb_device rw',
      },
      Install: { WantedBy: 'multi-user.target' },
    };
    for (const [section, keys] of Object.entries(expected)) {
      for (const [key, value] of Object.entries(keys)) {
        assert.deepEqual(unit[section]?.[key], [value], `[${section}] ${key}`);
      }
    }
    // V8's young generation capped: RSS stays flat under months of polling (memory-soak.test.ts).
    assert.deepEqual(unit.Service?.Environment, ['NODE_ENV=production', 'NODE_OPTIONS=--max-semi-space-size=1']);
    // Nothing that would hide the focuser or forbid the port: no PrivateDevices, no PrivateNetwork,
    // no IP address deny list.
    for (const key of ['PrivateDevices', 'PrivateNetwork', 'IPAddressDeny', 'PrivateUsers']) {
      assert.equal(unit.Service?.[key], undefined, `${key} must not be set`);
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

  test('the upstream warwick.json, installed unchanged, runs the extracted focusd (its daemon and control machine put on loopback)', async () => {
    requirePythonPyro4();
    const dir = mkdtempSync(join(work, 'warwick-'));
    const config = join(root, 'etc/focusd/warwick.json');
    const loopback = join(dir, 'loopback.json');
    writeFileSync(loopback, JSON.stringify({
      machines: { WarwickTCS: '127.0.0.1' },
      daemons: { warwick_focuser: { object_id: 'warwick_focuser_daemon', host: '127.0.0.1', port: 0 } },
    }));
    const env: NodeJS.ProcessEnv = { ...process.env, FOCUSD_PHONEBOOK: loopback, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none' };
    const proc = start(join(root, 'usr/bin/focusd'), ['--simulate', config], { env, lifetimeMs: 60_000 });
    try {
      const uri = (await proc.waitFor(/Starting daemon (PYRO:[^\s"]+)/))[1] as string;
      const port = Number(/^PYRO:warwick_focuser_daemon@127\.0\.0\.1:(\d+)$/.exec(uri)?.[1]);
      assert.ok(port > 0, uri);
      const withPort = join(dir, 'port.json');
      writeFileSync(withPort, JSON.stringify({ daemons: { warwick_focuser: { object_id: 'warwick_focuser_daemon', host: '127.0.0.1', port } } }));
      const focusEnv = { ...env, FOCUSD_PHONEBOOK: `${loopback}:${withPort}`, FOCUSD_CONFIG_PATH: config, NO_COLOR: '1' };
      const focus = join(root, 'usr/bin/focus');
      const init = run(focus, ['init'], { env: focusEnv });
      assert.equal(init.code, 0, init.stderr);
      const status = run(focus, ['status'], { env: focusEnv });
      assert.match(status.stdout, /^Focuser is IDLE \(\d{6} steps\)\n/, status.stderr);
    } finally {
      await proc.stop();
    }
  });

  test('without --simulate the extracted focusd loads the bundled USB binding: no focuser here, init is 4', async () => {
    const t = await startSimulated({ focusd: join(root, 'usr/bin/focusd'), simulate: false });
    try {
      const init = run(join(root, 'usr/bin/focus'), ['init'], { env: t.env });
      // The USB binding loaded and looked: no bus in a container, or no focuser on a bus.
      assert.match(init.stderr, /^error: device not found: (this machine has no USB bus|no FLI focuser \(USB 0f18:0006\) is connected)/);
      assert.equal(init.code, 4);
      await t.proc.waitFor(/Focuser not found: /, 5_000);
      assert.doesNotMatch(t.proc.stdout() + t.proc.stderr(), /Cannot find module|ERR_DLOPEN/);
    } finally {
      await t.proc.stop();
    }
  });
});
