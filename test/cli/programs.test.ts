import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atlasSimBin, focusdBin, fromRoot } from '../helpers/paths.js';

// The three programs as an operator first meets them: on a clone before `npm run build`, and with a
// command line they cannot understand.

const run = (program: string, args: string[]) => spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('the programs before a build and on a bad command line', () => {
  test('on a clone that was never built each program says, in one line, to run npm run build first (exit 1)', () => {
    const clone = mkdtempSync(join(tmpdir(), 'focusd-unbuilt-'));
    mkdirSync(join(clone, 'bin'));
    copyFileSync(fromRoot('package.json'), join(clone, 'package.json'));
    for (const name of ['focus', 'focusd', 'atlas-sim']) {
      copyFileSync(fromRoot('bin', name), join(clone, 'bin', name));
      const r = run(join(clone, 'bin', name), ['status']);
      assert.equal(r.status, 1, name);
      assert.equal(r.stderr, `${name}: not built yet: run npm run build first\n`);
      assert.equal(r.stdout, '');
    }
  });

  const cases: [string, string, string[], RegExp][] = [
    ['focusd', focusdBin, [], /^focusd: missing required argument 'config' \(focusd --help shows the usage\)\n$/],
    ['focusd', focusdBin, ['--bogus', 'x.json'], /^focusd: unknown option '--bogus' \(focusd --help shows the usage\)\n$/],
    ['focusd', focusdBin, ['a.json', 'b.json'], /^focusd: too many arguments.* \(focusd --help shows the usage\)\n$/],
    ['atlas-sim', atlasSimBin, ['--firmware', 'banana', '/tmp/x.sock'], /^atlas-sim: option '--firmware <revision>' argument 'banana' is invalid\. .* \(atlas-sim --help shows the usage\)\n$/],
    ['atlas-sim', atlasSimBin, [], /^atlas-sim: give the socket path \(or set ATLAS_SIM_SOCKET\) \(atlas-sim --help shows the usage\)\n$/],
  ];
  for (const [name, program, args, expected] of cases) {
    test(`${name} ${args.join(' ') || '(no arguments)'}: one line naming the problem and --help, exit 2, no help dump`, () => {
      const env = { ...process.env };
      delete env.ATLAS_SIM_SOCKET;
      const r = spawnSync(process.execPath, [program, ...args], { encoding: 'utf8', timeout: 20_000, env });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
    });
  }

  test('--help still prints the whole help on stdout, exit 0', () => {
    for (const program of [focusdBin, atlasSimBin]) {
      const r = run(program, ['--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Usage: /);
    }
  });
});
