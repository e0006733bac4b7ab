import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';

async function listen(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
const portOf = (s: Server): number => (s.address() as { port: number }).port;
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** config/test.json's daemon (localhost_test) moved to `port` through a site phone book file. */
function demoEnv(port: number): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'focus-demo-'));
  const book = join(dir, 'phonebook.json');
  writeFileSync(book, JSON.stringify({ daemons: { localhost_test: { object_id: 'localhost_test_daemon', host: '127.0.0.1', port } } }));
  const env: NodeJS.ProcessEnv = { ...process.env, FOCUSD_PHONEBOOK: book, FOCUSD_PHONEBOOK_DIR: '', FOCUSD_LOG_DAEMON: 'none' };
  delete env.CI;
  delete env.NO_COLOR;
  return env;
}

describe('scripts/demo.mjs', () => {
  test('--once: starts focusd, prints focus status, stops focusd, exits 0', async () => {
    const probe = await listen();
    const port = portOf(probe);
    await close(probe);
    const demo = start(process.execPath, [fromRoot('scripts', 'demo.mjs'), '--once'], { env: demoEnv(port), lifetimeMs: 90_000 });
    const { code } = await demo.exited;
    const out = demo.stdout();
    assert.equal(code, 0, out + demo.stderr());
    assert.match(out, new RegExp(`Starting daemon PYRO:localhost_test_daemon@127\\.0\\.0\\.1:${port}`));
    assert.match(out, /\$ FOCUSD_CONFIG_PATH=config\/test\.json \.\/bin\/focus status\nFocuser is OFFLINE\n/);
    assert.match(out, /demo: done\n$/);
  });

  test('without a terminal on stdin it also exits after the status', async () => {
    const probe = await listen();
    const port = portOf(probe);
    await close(probe);
    const demo = start(process.execPath, [fromRoot('scripts', 'demo.mjs')], { env: demoEnv(port), lifetimeMs: 90_000 });
    const { code } = await demo.exited;
    assert.equal(code, 0, demo.stdout() + demo.stderr());
    assert.match(demo.stdout(), /Focuser is OFFLINE/);
  });

  test('focusd failing to start is a non-zero exit with its error shown', async () => {
    const busy = await listen();
    try {
      const demo = start(process.execPath, [fromRoot('scripts', 'demo.mjs'), '--once'], { env: demoEnv(portOf(busy)), lifetimeMs: 90_000 });
      const { code } = await demo.exited;
      assert.notEqual(code, 0);
      assert.match(demo.stdout(), /focusd exited before it started/);
      assert.match(demo.stdout() + demo.stderr(), /already in use/);
    } finally {
      await close(busy);
    }
  });
});
