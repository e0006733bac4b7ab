import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Flags, MessageDecoder, MessageType, PyTuple, PyroDaemon, encodeMessage, pyObject, serialize } from '../../src/pyro/index.js';

test('a client that sends requests without reading replies is not read from until it catches up; nothing is lost', async () => {
  let calls = 0;
  const daemon = new PyroDaemon({ host: '127.0.0.1', port: 0, limits: { maxPipelined: 100_000 } });
  daemon.register('big', { methods: { get: { call: () => (calls++, 'x'.repeat(100_000)) } } });
  const { port } = await daemon.start();
  const socket = connect(port, '127.0.0.1');
  try {
    socket.pause();
    await new Promise((resolve) => socket.once('connect', resolve));
    const count = 1000;
    socket.write(
      encodeMessage({ type: MessageType.CONNECT, seq: 0, flags: Flags.META_ON_CONNECT, payload: serialize(pyObject([['handshake', 'hello'], ['object', 'big']])) }),
    );
    const call = serialize(new PyTuple(['big', 'get', new PyTuple([]), pyObject()]));
    for (let seq = 1; seq <= count; seq++) socket.write(encodeMessage({ type: MessageType.INVOKE, seq, payload: call }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // 1000 replies of 100 kB are 100 MB: far more than the socket buffers hold while unread.
    assert.ok(calls < count / 2, `the daemon kept answering an unread client: ${calls} calls`);

    const decoder = new MessageDecoder({ maxMessageSize: 1 << 20 });
    const seqs: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seqs.length} replies`)), 30_000);
      socket.on('data', (chunk: Buffer) => {
        for (const m of decoder.push(chunk)) if (m.type === MessageType.RESULT) seqs.push(m.seq);
        if (seqs.length === count) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.resume();
    });
    assert.deepEqual(seqs, Array.from({ length: count }, (_, i) => i + 1), 'every request answered once, in order');
    assert.equal(calls, count);
  } finally {
    socket.destroy();
    await daemon.close();
  }
});
