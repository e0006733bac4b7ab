#!/usr/bin/env node
// Quick start: runs focusd on the simulated focuser (config/test.json, 127.0.0.1), asks it for its
// status with the focus command line, then keeps focusd running so more `focus` commands can be
// tried from another terminal, until Ctrl-C.
//
//   npm run demo                 (builds first)
//   node scripts/demo.mjs --once (status, then stop: also the behaviour without a terminal or with CI set)
//
// Exits non-zero when focusd fails to start, the status command fails, or focusd fails to stop.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = join('config', 'test.json');
const focusdBin = join(root, 'bin', 'focusd');
const focusBin = join(root, 'bin', 'focus');
const START_TIMEOUT_MS = 20_000;
const STATUS_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const once = process.argv.includes('--once') || !process.stdin.isTTY || (process.env.CI ?? '') !== '';
const say = (line) => process.stdout.write(`demo: ${line}\n`);

if (!existsSync(join(root, 'dist', 'bundle', 'focusd.mjs')) || !existsSync(join(root, 'dist', 'bundle', 'focus.mjs'))) {
  say('the build is missing: run `npm run demo` (or `npm run build` first)');
  process.exit(1);
}

/** focusd's readable log lines, indented under the demo's own. */
function showFocusdLine(line) {
  if (line.trim() !== '') process.stdout.write(`  focusd: ${line}\n`);
}

function lines(stream, onLine) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) onLine(part);
  });
  stream.on('end', () => buffered !== '' && onLine(buffered));
}

const env = { ...process.env, FOCUSD_LOG_DAEMON: process.env.FOCUSD_LOG_DAEMON ?? 'none' };
say(`starting bin/focusd --simulate ${config}`);
// Its own process group: Ctrl-C reaches the demo only, which stops focusd once, with SIGTERM.
const focusd = spawn(process.execPath, [focusdBin, '--simulate', config], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
const focusdExit = new Promise((resolve) => focusd.on('exit', (code, signal) => resolve({ code, signal })));
let focusdErr = '';
let started;
const startedLine = new Promise((resolve) => (started = resolve));
lines(focusd.stdout, (line) => {
  // Waiting for the start line keeps it from landing in the middle of the focus output below.
  if (/Starting daemon PYRO:/.test(line)) started(line.trim());
  showFocusdLine(line);
});
lines(focusd.stderr, (line) => {
  focusdErr += line + '\n';
  process.stderr.write(`  focusd: ${line}\n`);
});

let stopping = null;
function stopFocusd() {
  stopping ??= (async () => {
    if (focusd.exitCode === null && focusd.signalCode === null) focusd.kill('SIGTERM');
    const timer = setTimeout(() => focusd.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const result = await focusdExit;
    clearTimeout(timer);
    return result;
  })();
  return stopping;
}
process.on('exit', () => {
  if (focusd.exitCode === null && focusd.signalCode === null) focusd.kill('SIGKILL');
});

async function fail(message) {
  say(message);
  await stopFocusd();
  process.exit(1);
}

const timeout = (ms, what) => new Promise((resolve) => setTimeout(() => resolve({ timeout: what }), ms).unref());
const first = await Promise.race([startedLine.then((line) => ({ line })), focusdExit.then((exit) => ({ exit })), timeout(START_TIMEOUT_MS, 'start')]);
if (first.exit) {
  say(`focusd exited before it started (code ${first.exit.code ?? first.exit.signal})${focusdErr === '' ? '' : ':\n' + focusdErr.trimEnd()}`);
  process.exit(1);
}
if (first.timeout) await fail(`focusd did not print "Starting daemon" within ${START_TIMEOUT_MS / 1000} s`);

const focusEnv = { ...env, FOCUSD_CONFIG_PATH: config };
say(`$ FOCUSD_CONFIG_PATH=${config} ./bin/focus status`);
const status = spawn(process.execPath, [focusBin, 'status'], { cwd: root, env: focusEnv, stdio: ['ignore', 'inherit', 'inherit'] });
const statusResult = await Promise.race([
  new Promise((resolve) => status.on('exit', (code, signal) => resolve({ code, signal }))),
  timeout(STATUS_TIMEOUT_MS, 'status'),
]);
if (statusResult.timeout) {
  status.kill('SIGKILL');
  await fail(`focus status did not finish within ${STATUS_TIMEOUT_MS / 1000} s`);
}
if (statusResult.code !== 0) await fail(`focus status failed (exit ${statusResult.code ?? statusResult.signal})`);

if (once) {
  say('stopping focusd');
  const exit = await stopFocusd();
  if (exit.code !== 0) {
    say(`focusd exited with ${exit.code ?? exit.signal}`);
    process.exit(1);
  }
  say('done');
  process.exit(0);
}

const cwdRel = relative(process.cwd(), root) || '.';
say('focusd is running on the simulated focuser. From another terminal, try:');
const prefix = `${cwdRel === '.' ? '' : `cd ${cwdRel} && `}FOCUSD_CONFIG_PATH=${config} ./bin/focus`;
for (const command of ['init', 'status', 'set 2000', 'offset -500', 'json', 'stop', 'kill']) process.stdout.write(`    ${prefix} ${command}\n`);
say('press Ctrl-C to stop focusd');

const onSignal = async () => {
  process.stdout.write('\n');
  say('stopping focusd');
  const exit = await stopFocusd();
  process.exit(exit.code === 0 ? 0 : 1);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const ended = await focusdExit;
if (stopping === null) {
  say(`focusd exited unexpectedly (${ended.code ?? ended.signal})`);
  process.exit(1);
}
