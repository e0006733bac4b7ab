// Loaded into every test file's process by scripts/run-tests.mjs (`--import`), so no file can hang the
// run. It names what hung, which the test runner's own per-file time-out does not:
//  - a file still running after its budget (FOCUSD_TEST_FILE_BUDGET_S, default 900 s): the tests that
//    had started and not finished (none: a before/after hook or the file's top level), and what is
//    still open (sockets, child processes, timers);
//  - a file whose tests have all ended but whose process does not exit within FOCUSD_TEST_EXIT_GRACE_S
//    (default 30 s, counted from the first of the file's closing after() hooks, so it includes them):
//    what keeps it alive (a server, socket or child process a test left open).
// Either way the file fails with that report on stderr. The runner process itself is left alone.
import { after, afterEach, beforeEach } from 'node:test';
import { relative } from 'node:path';

/** A whole number of seconds from the environment, or the default; anything else is a mistake worth stopping for. */
function seconds(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a whole number of seconds, not "${text}"`);
  return n;
}

if (process.env.NODE_TEST_CONTEXT) {
  const budgetS = seconds('FOCUSD_TEST_FILE_BUDGET_S', 900);
  const graceS = seconds('FOCUSD_TEST_EXIT_GRACE_S', 30);
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
    setTimeout(() => fail(`all tests ended but the process did not exit within ${graceS} s; still open: ${openResources()}.`), graceS * 1000).unref();
  });
}
