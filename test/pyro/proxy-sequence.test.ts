import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import {
  Flags,
  MessageDecoder,
  MessageType,
  ProtocolError,
  PyroProxy,
  PySet,
  encodeMessage,
  pyObject,
  serialize,
} from '../../src/pyro/index.js';

/** A stand-in daemon on 127.0.0.1: a proper handshake, then each INVOKE answered 42 with the request's seq plus `skew`. */
async function standIn(skew: number): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    const decoder = new MessageDecoder({ maxMessageSize: 1 << 20 });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const m of decoder.push(chunk)) {
        if (m.type === MessageType.CONNECT) {
          const meta = pyObject([['methods', new PySet(['ping'])], ['oneway', new PySet()], ['attrs', new PySet()]]);
          const payload = serialize(pyObject([['handshake', 'hello'], ['meta', meta]]));
          socket.write(encodeMessage({ type: MessageType.CONNECTOK, flags: Flags.META_ON_CONNECT, seq: m.seq, serializerId: 1, payload }));
        } else {
          socket.write(encodeMessage({ type: MessageType.RESULT, seq: (m.seq + skew) & 0xffff, serializerId: 1, payload: serialize(42) }));
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

test('the proxy refuses a reply whose seq is not its request\'s, as Pyro4\'s proxy does', async () => {
  for (const skew of [0, 1]) {
    const { server, port } = await standIn(skew);
    const proxy = new PyroProxy(`PYRO:thing@127.0.0.1:${port}`, { timeoutMs: 5000, connectTimeoutMs: 5000 });
    try {
      if (skew === 0) assert.equal(await proxy.call('ping'), 42);
      else await assert.rejects(proxy.call('ping'), (e: unknown) => e instanceof ProtocolError && /reply sequence out of sync, got \d+ expected \d+/.test(e.message));
    } finally {
      proxy.close();
      server.close();
      await once(server, 'close');
    }
  }
});
