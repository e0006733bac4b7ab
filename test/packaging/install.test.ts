// The four RPMs as rpm's own dependency resolver sees them: installed (rpm -i --test --justdb) into
// a scratch RPM database that holds stand-ins for what a Rocky machine provides: Node.js as the
// distribution packages it (nodejs with epoch 1: 1:20.x from the nodejs:20 module stream, 1:16.x
// from Rocky 9's default stream), a base system, and the Python packages ours replace. Nothing is
// installed on this machine: --justdb under --root touches only the scratch database.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../helpers/paths.js';

const VERSION = '20260202000000';
const PACKAGES = ['server', 'client', 'common', 'data-warwick'] as const;
type Pkg = (typeof PACKAGES)[number];

interface Result {
  code: number | null;
  out: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Result {
  const r = spawnSync(command, args, { encoding: 'utf8', env, timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout + r.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** A metadata-only package (no files) with these Provides, built with rpmbuild. */
function standIn(dir: string, name: string, epochVersion: string, provides: string[]): string {
  const [epoch, version] = epochVersion.includes(':') ? epochVersion.split(':') : [undefined, epochVersion];
  const spec = join(dir, `${name}-${version}.spec`);
  writeFileSync(
    spec,
    [
      `Name: ${name}`,
      ...(epoch !== undefined ? [`Epoch: ${epoch}`] : []),
      `Version: ${version}`,
      'Release: 1',
      'Summary: stand-in for the packaging test',
      'License: MIT',
      'BuildArch: noarch',
      ...provides.map((p) => `Provides: ${p}`),
      '%description',
      'Stand-in.',
      '%files',
      '',
    ].join('\n'),
  );
  const top = join(dir, `top-${name}-${version}`);
  const r = run('rpmbuild', ['--quiet', '--define', `_topdir ${top}`, '-bb', spec]);
  assert.equal(r.code, 0, r.out);
  const rpmDir = join(top, 'RPMS', 'noarch');
  const file = readdirSync(rpmDir).find((f) => f.endsWith('.rpm'));
  assert.ok(file, `no stand-in rpm for ${name}`);
  return join(rpmDir, file);
}

describe('RPM dependency resolution', () => {
  let work: string;
  const rpms = {} as Record<Pkg, string>;
  const standIns: Record<'base' | 'node20' | 'node16' | 'pythonServer', string> = { base: '', node20: '', node16: '', pythonServer: '' };

  /** A fresh scratch database holding `installed`; returns rpm's answer to installing `adding`. */
  function tryInstall(name: string, installed: string[], adding: string[]): Result {
    const root = join(work, `root-${name}`);
    mkdirSync(root);
    assert.equal(run('rpm', ['--root', root, '--initdb']).code, 0);
    if (installed.length > 0) {
      const r = run('rpm', ['--root', root, '-i', '--justdb', '--nodeps', ...installed]);
      assert.equal(r.code, 0, r.out);
    }
    return run('rpm', ['--root', root, '-i', '--test', '--justdb', ...adding]);
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'focusd-rpm-install-'));
    const out = join(work, 'rpms');
    const built = run('bash', [fromRoot('packaging', 'build-rpms.sh')], { ...process.env, RPM_OUT: out, RPM_VERSION: VERSION }, 180_000);
    assert.equal(built.code, 0, built.out);
    for (const pkg of PACKAGES) {
      const file = readdirSync(out).find((f) => f.startsWith(`rockit-atlas-ts-${pkg}-${VERSION}-`));
      assert.ok(file, `no ${pkg} package`);
      rpms[pkg] = join(out, file);
    }
    // The base system: whatever the packages need that is neither Node.js nor one of ours (the
    // shell, env, shadow-utils, glibc/libgcc sonames of the usb binding), read from the packages.
    const needs = new Set<string>();
    for (const pkg of PACKAGES) {
      for (const req of lines(run('rpm', ['-qpR', rpms[pkg]]).out)) {
        if (!/^(rpmlib\(|nodejs|rockit-atlas-ts-|config\()/.test(req)) needs.add(req.split(' ')[0] as string);
      }
    }
    const dir = join(work, 'standins');
    mkdirSync(dir);
    standIns.base = standIn(dir, 'base-system', '1', [...needs]);
    standIns.node20 = standIn(dir, 'nodejs', '1:20.19.5', []);
    standIns.node16 = standIn(dir, 'nodejs', '1:16.20.2', []);
    standIns.pythonServer = standIn(dir, 'rockit-atlas-server', '20250101000000', []);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the four packages install together on a base system with nodejs 1:20 (the nodejs:20 module stream)', () => {
    const r = tryInstall('ok', [standIns.base, standIns.node20], PACKAGES.map((p) => rpms[p]));
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /Failed dependencies|conflicts/);
  });

  test("Rocky 9's default nodejs 1:16 does not satisfy them: the requirement carries the epoch", () => {
    const r = tryInstall('node16', [standIns.base, standIns.node16], PACKAGES.map((p) => rpms[p]));
    assert.notEqual(r.code, 0, 'installed on Node.js 16');
    for (const pkg of ['server', 'client', 'common']) {
      assert.match(r.out, new RegExp(`nodejs >= 1:20 is needed by rockit-atlas-ts-${pkg}-${VERSION}-`), r.out);
    }
    assert.doesNotMatch(r.out, /needed by rockit-atlas-ts-data-warwick/, 'the config needs no runtime');
  });

  test('server and client need the common module of the same build', () => {
    const r = tryInstall('nocommon', [standIns.base, standIns.node20], [rpms.server, rpms.client]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, new RegExp(`rockit-atlas-ts-common = ${VERSION}-1\\S* is needed by rockit-atlas-ts-server`));
    assert.match(r.out, new RegExp(`rockit-atlas-ts-common = ${VERSION}-1\\S* is needed by rockit-atlas-ts-client`));
  });

  test('the server refuses to install beside the Python rockit-atlas-server it replaces', () => {
    const r = tryInstall('python', [standIns.base, standIns.node20, standIns.pythonServer], PACKAGES.map((p) => rpms[p]));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /rockit-atlas-server conflicts with rockit-atlas-ts-server|rockit-atlas-ts-server.* conflicts with .*rockit-atlas-server/);
  });
});
