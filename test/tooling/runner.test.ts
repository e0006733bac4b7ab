// The test runner itself: on a machine missing a prerequisite `npm test` stops at once naming each
// missing package and the command that installs it, and a hung test file is stopped and named.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';

/**
 * The environment of a child that is not itself part of a test run; FOCUSD_RUNNER_UNDER_TEST stops
 * a runner that gets past its prerequisite check from starting the whole suite again.
 */
function outsideTestRun(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FOCUSD_RUNNER_UNDER_TEST: '1', ...extra };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

/** A python3 that exists but has no Pyro4, as on a fresh machine. */
function pythonWithoutPyro4(): string {
  const dir = mkdtempSync(join(tmpdir(), 'focusd-nopyro-'));
  const path = join(dir, 'python3');
  writeFileSync(path, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'Pyro4'\" >&2\nexit 1\n");
  chmodSync(path, 0o755);
  return path;
}

describe('npm test on a machine without the prerequisites', { timeout: 60_000 }, () => {
  const emptyPath = mkdtempSync(join(tmpdir(), 'focusd-empty-path-'));

  test('stops within seconds naming each missing package and the one command that installs them', async () => {
    const runner = start(process.execPath, [fromRoot('scripts', 'run-tests.mjs')], {
      env: outsideTestRun({ PATH: emptyPath, FOCUSD_TEST_PYTHON: pythonWithoutPyro4() }),
      lifetimeMs: 15_000,
    });
    const startedAt = Date.now();
    const { code, signal } = await runner.exited;
    const elapsedMs = Date.now() - startedAt;
    const err = runner.stderr();
    assert.equal(signal, null, `the runner had to be killed after ${elapsedMs} ms: ${err}`);
    assert.equal(code, 1, err);
    assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
    assert.match(err, /^npm test: missing what the tests need \(no test was run\):$/m);
    assert.match(err, /^ {2}python3-pyro4, python3-serpent: .*python3 cannot import Pyro4 and serpent \(ModuleNotFoundError: No module named 'Pyro4'\)/m);
    for (const [pkg, command] of [
      ['rpm', 'rpmbuild'],
      ['rpm2cpio', 'rpm2cpio'],
      ['cpio', 'cpio'],
      ['systemd', 'systemd-analyze'],
      ['bsdutils', 'script'],
      ['gcc', 'cc'],
      ['indi-fli', 'indi_fli_focus'],
      ['indi-bin', 'indiserver'],
    ]) {
      assert.match(err, new RegExp(`^  ${pkg}: ${command} is not on PATH`, 'm'), pkg);
    }
    const install = /^install them with:\n {2}(.*)$/m.exec(err)?.[1];
    assert.ok(install, err);
    assert.match(install, /^(sudo )?apt-get install -y python3-pyro4 python3-serpent rpm rpm2cpio cpio systemd bsdutils gcc indi-fli indi-bin( |$)/);
    assert.doesNotMatch(runner.stdout() + err, /tsc|ℹ tests/, 'nothing was built or run');
  });

  test('a missing interpreter is named as such', async () => {
    const runner = start(process.execPath, [fromRoot('scripts', 'prerequisites.mjs')], {
      env: outsideTestRun({ PATH: emptyPath, FOCUSD_TEST_PYTHON: join(emptyPath, 'no-such-python3') }),
      lifetimeMs: 15_000,
    });
    const { code } = await runner.exited;
    assert.equal(code, 1);
    assert.match(runner.stderr(), /python3-pyro4, python3-serpent: \S*no-such-python3 does not exist/);
  });

  test('on this machine the prerequisites are present (and a nested run stops there)', async () => {
    const runner = start(process.execPath, [fromRoot('scripts', 'run-tests.mjs')], {
      env: outsideTestRun({}),
      lifetimeMs: 30_000,
    });
    const { code } = await runner.exited;
    assert.equal(code, 0, runner.stderr());
    assert.match(runner.stdout(), /prerequisites present; not running the suite again/);
  });
});

describe('the per-file watchdog', { timeout: 90_000 }, () => {
  /** Runs one fixture file under node's test runner with the watchdog preloaded, as the runner does. */
  async function runFixture(name: string, budgetS: number): Promise<{ code: number | null; output: string }> {
    const child = start(
      process.execPath,
      [`--import=${fromRoot('dist', 'test', 'helpers', 'watchdog.js')}`, '--test', '--test-reporter=spec', fromRoot('dist', 'test', 'fixtures', 'tooling', `${name}.js`)],
      { env: outsideTestRun({ FOCUSD_TEST_FILE_BUDGET_S: String(budgetS), FOCUSD_TEST_EXIT_GRACE_S: '3' }), lifetimeMs: 30_000 },
    );
    const { code, signal } = await child.exited;
    assert.equal(signal, null, 'the fixture had to be killed: the watchdog did not stop it');
    return { code, output: child.stdout() + child.stderr() };
  }

  test('a test that never ends fails its file, naming the test', async () => {
    const { code, output } = await runFixture('hang-in-test', 2);
    assert.notEqual(code, 0);
    assert.match(output, /watchdog: dist\/test\/fixtures\/tooling\/hang-in-test\.js: still running after its 2 s budget\. Hung: "waits forever" \(running for \d+ s\)\. Open: .*Timeout/);
    assert.match(output, /✔ finishes/);
  });

  test('a hook that never ends is reported as a hook', async () => {
    const { code, output } = await runFixture('hang-in-hook', 2);
    assert.notEqual(code, 0);
    assert.match(output, /hang-in-hook\.js: still running after its 2 s budget\. No test was running: a before\/after hook or the top level of the file hung\./);
  });

  test('a file whose tests pass but which leaves a server open fails, naming the server', async () => {
    const { code, output } = await runFixture('leaks-a-server', 600);
    assert.notEqual(code, 0);
    assert.match(output, /✔ passes but leaves a server listening/);
    assert.match(output, /leaks-a-server\.js: all tests ended but the process did not exit within 3 s; still open: .*TCPServerWrap/);
  });

  test('a test inside a suite that never ends is named too', async () => {
    const { code, output } = await runFixture('hang-in-suite', 2);
    assert.notEqual(code, 0);
    assert.match(output, /hang-in-suite\.js: still running after its 2 s budget\. Hung: "waits forever inside a suite" \(running for \d+ s\)/);
  });
});
