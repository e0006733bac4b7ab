#!/usr/bin/env node
// `npm test`: checks the prerequisites (scripts/prerequisites.mjs: stops at once, naming what is
// missing and the command that installs it), builds, then runs every compiled test file
// (dist/test/**/*.test.js) on node's test runner. Fails the run when the interop tests against real
// Python Pyro4, the USB referee tests (libfli2, INDI) or the booted-systemd system test did not run,
// or any test was skipped: CI must never pass on a skip.
//
// Bounds: every test file runs with test/helpers/watchdog.js preloaded, which fails a file still
// running after FOCUSD_TEST_FILE_BUDGET_S seconds (default 900, above the longest file's suite
// time-outs) naming the test that hung, or whose process outlives its tests naming what it left
// open; the runner's own per-file time-out, a minute later, is the backstop.
//
//   npm test                      everything
//   npm test -- interop hardware  only files whose path contains one of the words
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeMissing, missingPrerequisites } from './prerequisites.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');
const budgetText = process.env.FOCUSD_TEST_FILE_BUDGET_S ?? '900';
const budgetS = Number(budgetText);
if (!Number.isInteger(budgetS) || budgetS <= 0) {
  console.error(`npm test: FOCUSD_TEST_FILE_BUDGET_S must be a whole number of seconds, not "${budgetText}"`);
  process.exit(1);
}

const missing = missingPrerequisites();
if (missing.length > 0) {
  console.error(`npm test: ${describeMissing(missing)}`);
  process.exit(1);
}
// A test of this runner (test/tooling/runner.test.ts) starts it again, with this set: it must never
// start the whole suite inside itself.
if (process.env.FOCUSD_RUNNER_UNDER_TEST === '1') {
  console.log('npm test: prerequisites present; not running the suite again inside a test run');
  process.exit(0);
}

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
if (build.error || build.status !== 0) {
  console.error('npm test: the build failed (scripts/build.mjs; run npm ci first if the tools are missing)');
  process.exit(1);
}
const native = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { stdio: 'inherit', cwd: root });
if (native.status !== 0) {
  console.error('npm test: the native build (libusb stand-in, referee harnesses) failed');
  process.exit(1);
}

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...collect(full));
    else if (name.endsWith('.test.js')) found.push(full);
  }
  return found;
}

const only = process.argv.slice(2);
let files = collect(testRoot).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(root, f).includes(o)));
// The referees: real Python Pyro4 (interop) and FLI's libfli2 and INDI (referee); and the RPMs on a
// booted systemd (system). A full run without any of them must not pass.
for (const room of ['interop', 'referee', 'system']) {
  if (only.length === 0 && !files.some((f) => relative(testRoot, f).split(sep)[0] === room)) {
    console.error(`no test files found under dist/test/${room}: refusing to report a pass`);
    process.exit(1);
  }
}

// A second reporter writes TAP to a file, so the run can be checked for skipped tests.
const tapFile = join(mkdtempSync(join(tmpdir(), 'focusd-tests-')), 'results.tap');
const result = spawnSync(
  process.execPath,
  [
    `--import=${join(testRoot, 'helpers', 'watchdog.js')}`,
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${(budgetS + 60) * 1000}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, FOCUSD_TEST_RUN: '1', FOCUSD_TEST_FILE_BUDGET_S: String(budgetS) } },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? NaN);
const skipped = tap.split('\n').filter((l) => /^\s*ok \d+ .* # SKIP/.test(l));
if (skipped.length > 0 || count('skipped') > 0) {
  console.error(`\n${skipped.length || count('skipped')} test(s) skipped; nothing may skip here (interop tests fail, never skip):`);
  for (const l of skipped) console.error('  ' + l.trim());
  process.exit(1);
}
if (count('cancelled') > 0) {
  console.error(`\n${count('cancelled')} test(s) cancelled (timed out or their file was stopped): see the report above`);
  process.exit(1);
}
if (result.status === 0 && !(count('pass') > 0)) {
  console.error('the test runner reported no passing test: refusing to report a pass');
  process.exit(1);
}
process.exit(result.status ?? 1);
