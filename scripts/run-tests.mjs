#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) on node's test runner and fails the run
// when the interop tests against real Python Pyro4 did not run: CI must never pass on a skip.
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) found.push(...collect(full));
    else if (name.endsWith('.test.js')) found.push(full);
  }
  return found;
}

if (!existsSync(testRoot)) {
  console.error('no compiled tests: run `npm run build` first');
  process.exit(1);
}
const only = process.argv.slice(2);
let files = collect(testRoot).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(root, f).includes(o)));
const interop = files.filter((f) => relative(testRoot, f).split(sep)[0] === 'interop');
if (only.length === 0 && interop.length === 0) {
  console.error('no interop test files found under dist/test/interop: refusing to report a pass');
  process.exit(1);
}

// A second reporter writes TAP to a file, so the run can be checked for skipped tests.
const tapFile = join(mkdtempSync(join(tmpdir(), 'focusd-tests-')), 'results.tap');
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, FOCUSD_TEST_RUN: '1' } },
);
const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? NaN);
const skipped = tap.split('\n').filter((l) => /^\s*ok \d+ .* # SKIP/.test(l));
if (skipped.length > 0 || count('skipped') > 0) {
  console.error(`\n${skipped.length || count('skipped')} test(s) skipped; nothing may skip here (interop tests fail, never skip):`);
  for (const l of skipped) console.error('  ' + l.trim());
  process.exit(1);
}
if (result.status === 0 && !(count('pass') > 0)) {
  console.error('the test runner reported no passing test: refusing to report a pass');
  process.exit(1);
}
process.exit(result.status ?? 1);
