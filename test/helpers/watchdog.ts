// Loaded into every test file's process by scripts/run-tests.mjs (`--import`), so no file can hang the
// run. It names what hung, which the test runner's own per-file time-out does not:
//  - a file still running after its budget (FOCUSD_TEST_FILE_BUDGET_S, default 600 s): the tests that
//    had started and not finished (none: a before/after hook or the file's top level), and what is
//    still open (sockets, child processes, timers);
//  - a file whose tests have all ended but whose process does not exit within 5 s: what keeps it alive
//    (a server, socket or child process a test left open).
// Either way the file fails with that report on stderr. The runner process itself is left alone.
import { after, afterEach, beforeEach } from 'node:test';
import { relative } from 'node:path';

const EXIT_GRACE_MS = 5_000;

if (process.env.NODE_TEST_CONTEXT) {
  const budgetS = Number(process.env.FOCUSD_TEST_FILE_BUDGET_S ?? 600);
  const file = relative(process.cwd(), process.argv[1] ?? '?');
  const running = new Map<string, number>();
  const openResources = (): string => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').join(', ') || 'nothing';
  const fail = (report: string): never => {
    process.stderr.write(`\nwatchdog: ${file}: ${report}\n`);
    process.exit(1);
  };

  beforeEach((t) => {
    running.set(t.name, Date.now());
  });
  afterEach((t) => {
    running.delete(t.name);
  });

  setTimeout(() => {
    const now = Date.now();
    const tests = [...running].map(([name, since]) => `"${name}" (running for ${Math.round((now - since) / 1000)} s)`);
    fail(
      `still running after its ${budgetS} s budget. ` +
        (tests.length > 0 ? `Hung: ${tests.join(', ')}.` : 'No test was running: a before/after hook or the top level of the file hung.') +
        ` Open: ${openResources()}.`,
    );
  }, budgetS * 1000).unref();

  after(() => {
    setTimeout(() => fail(`all tests ended but the process did not exit within ${EXIT_GRACE_MS / 1000} s; still open: ${openResources()}.`), EXIT_GRACE_MS).unref();
  });
}
