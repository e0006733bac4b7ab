import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { envForPort, runFocus } from './harness.js';

// Whatever is (or is not) on the daemon's port, focus says where it looked and what it found, and
// exits 155 (-101), as upstream's focus does for every Pyro4 CommunicationError.

async function listening<T extends Server | ReturnType<typeof createHttpServer>>(server: T): Promise<{ server: T; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
const closed = (server: Server | ReturnType<typeof createHttpServer>): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

const expected = (port: number, why: string): RegExp =>
  new RegExp(`^error: unable to communicate with focus daemon at 127\\.0\\.0\\.1:${port} \\(${why}\\)\\n$`);

describe('focus when the daemon cannot be used', () => {
  test('an HTTP server on the port: not a Pyro4 daemon, 155', async () => {
    const { server, port } = await listening(createHttpServer((_req, res) => res.end('hello')));
    try {
      const r = await runFocus(['status'], envForPort(port));
      assert.match(r.stderr, expected(port, 'not a Pyro4 daemon: .+'));
      assert.equal(r.code, 155);
      assert.equal(r.stdout, '');
    } finally {
      await closed(server);
    }
  });

  test('a server that resets the connection: reset, 155', async () => {
    const { server, port } = await listening(createServer((socket) => socket.once('data', () => socket.resetAndDestroy())));
    try {
      const r = await runFocus(['init'], envForPort(port));
      assert.match(r.stderr, expected(port, 'the connection was reset|the daemon closed the connection'));
      assert.equal(r.code, 155);
    } finally {
      await closed(server);
    }
  });

  test('a server that never answers: no answer within the phone book timeout, 155', async () => {
    const held: import('node:net').Socket[] = [];
    const { server, port } = await listening(createServer((socket) => void held.push(socket)));
    try {
      const r = await runFocus(['status'], envForPort(port, 1));
      assert.match(r.stderr, expected(port, 'no answer in time: .*timed out.*'));
      assert.equal(r.code, 155);
    } finally {
      for (const s of held) s.destroy();
      await closed(server);
    }
  });

  test('nothing listening: connection refused, is focusd running?, 155', async () => {
    const { server, port } = await listening(createServer());
    await closed(server);
    const r = await runFocus(['set', '100'], envForPort(port));
    assert.match(r.stderr, expected(port, 'connection refused: is focusd running\\?'));
    assert.equal(r.code, 155);
  });
});
