// Each protective limit of the daemon, hit over real loopback sockets with small limits set through
// PyroDaemon({ limits }): a clear error or a close of that one connection, never of the daemon,
// and a fresh client is served afterwards.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CommunicationError,
  DEFAULT_LIMITS,
  MessageType,
  PyroDaemon,
  PyroProxy,
  encodeMessage,
  type DaemonLimits,
  type PyValue,
} from '../../src/pyro/index.js';
import { DENIAL_BACKLOG } from '../../src/net/index.js';
import { eventually } from '../cli/harness.js';
import { halfOpenFlood } from '../helpers/flood.js';
import { fromRoot } from '../helpers/paths.js';
import { PY_PRELUDE, pythonJson, type PyAttempt } from './python-async.js';
import { WireClient, callPayload, invokeFrame } from './wire.js';

const OBJ = 'limits.probe';
const daemons: PyroDaemon[] = [];
const proxies: PyroProxy[] = [];
after(async () => {
  for (const p of proxies) p.close();
  for (const d of daemons) await d.close();
});

async function daemonWith(limits: Partial<DaemonLimits>): Promise<{ daemon: PyroDaemon; port: number; uri: string }> {
  const daemon = new PyroDaemon({ host: '127.0.0.1', port: 0, limits });
  daemon.register(OBJ, {
    methods: {
      echo: { params: [{ name: 'value' }], call: (a) => a.value ?? null },
      slow: { params: [{ name: 'ms' }], call: async (a) => (await sleep(Number(a.ms)), a.ms ?? null) },
    },
  });
  daemons.push(daemon);
  const { port } = await daemon.start();
  return { daemon, port, uri: `PYRO:${OBJ}@127.0.0.1:${port}` };
}

function proxy(uri: string): PyroProxy {
  const p = new PyroProxy(uri, { timeoutMs: 10_000 });
  proxies.push(p);
  return p;
}

async function stillServes(uri: string): Promise<void> {
  const p = new PyroProxy(uri, { timeoutMs: 5_000 });
  try {
    assert.equal(await p.call('echo', ['still serving']), 'still serving');
  } finally {
    p.close();
  }
}

async function connectionsFallTo(daemon: PyroDaemon, n: number): Promise<void> {
  const until = Date.now() + 5_000;
  while (daemon.connectionCount > n) {
    if (Date.now() > until) assert.fail(`the daemon still holds ${daemon.connectionCount} connections, expected ${n}`);
    await sleep(20);
  }
}

/** A serpent echo call payload of exactly `size` bytes (sent without annotations). */
function payloadOfSize(size: number): Buffer {
  const base = callPayload(OBJ, 'echo', ['']).length;
  const payload = callPayload(OBJ, 'echo', ['x'.repeat(size - base)]);
  assert.equal(payload.length, size);
  return payload;
}

describe('daemon limits, each hit over real sockets', { timeout: 120_000 }, () => {
  test('maximum message size: exactly the limit is served; one byte more closes that connection before the payload', async () => {
    const { daemon, port, uri } = await daemonWith({ maxMessageSize: 2048 });
    const c = await WireClient.connected(port, OBJ);
    const ok = await c.call(1, OBJ, 'echo', [], { payload: payloadOfSize(2048) });
    assert.equal(ok.exception, null);
    assert.equal((ok.value as string).length, 2048 - callPayload(OBJ, 'echo', ['']).length);
    // Only the header of the oversized frame is sent: the daemon closes on the header alone.
    c.send(encodeMessage({ type: MessageType.INVOKE, seq: 2, payload: payloadOfSize(2049) }).subarray(0, 24));
    assert.deepEqual(await c.untilClosed(), []);
    // Through the proxy: the oversized call fails as a communication error, the next call works.
    const p = proxy(uri);
    await assert.rejects(p.call('echo', ['y'.repeat(4000)]), CommunicationError);
    assert.equal(await p.call('echo', ['small']), 'small');
    await stillServes(uri);
    p.close();
    await connectionsFallTo(daemon, 0);
  });

  test('maximum nesting depth: deeper is a SerializeError reply, the connection stays usable', async () => {
    const { port, uri } = await daemonWith({ maxDepth: 20 });
    const nest = (n: number): PyValue => (n === 0 ? 1 : [nest(n - 1)]);
    const c = await WireClient.connected(port, OBJ);
    const shallow = await c.call(1, OBJ, 'echo', [nest(10)]);
    assert.equal(shallow.exception, null);
    const deep = await c.call(2, OBJ, 'echo', [nest(100)]);
    assert.equal(deep.exception?.cls, 'Pyro4.errors.SerializeError');
    assert.match(deep.exception?.text ?? '', /deeper|depth|nest/i);
    // Textual nesting far past any stack: still just an error reply.
    const bomb = Buffer.from('# serpent utf-8 python3.2\n' + '['.repeat(200_000));
    const r = await c.call(3, OBJ, 'echo', [], { payload: bomb });
    assert.equal(r.exception?.cls, 'Pyro4.errors.SerializeError');
    assert.equal((await c.call(4, OBJ, 'echo', ['after'])).value, 'after');
    c.destroy();
    await stillServes(uri);
  });

  test('maximum connections: one more gets CONNECTFAIL with the reason; a Python Pyro4 client sees CommunicationError naming it', async () => {
    const { daemon, port, uri } = await daemonWith({ maxConnections: 3 });
    const held = [proxy(uri), proxy(uri), proxy(uri)];
    for (const p of held) assert.equal(await p.call('echo', [1]), 1);
    assert.equal(daemon.connectionCount, 3);

    const raw = await WireClient.open(port);
    raw.send(encodeMessage({ type: MessageType.CONNECT, seq: 0, payload: Buffer.from("# serpent utf-8 python3.2\n{'handshake':'hello'}") }));
    const frames = await raw.untilClosed();
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.type, MessageType.CONNECTFAIL);
    assert.match(frames[0]?.payload.toString() ?? '', /too many connections \(this daemon serves at most 3\)/);

    const py = await pythonJson<PyAttempt>(
      PY_PRELUDE + `p = Pyro4.Proxy(${JSON.stringify(uri)})\np._pyroTimeout = 10\nprint('RESULT ' + json.dumps(attempt(lambda: p.echo(1))))`,
    );
    assert.equal(py.ok, false);
    if (!py.ok) {
      assert.ok(py.mro.includes('CommunicationError'), `Python saw ${py.cls}`);
      assert.match(py.text, /rejected: too many connections/);
    }
    const ts = new PyroProxy(uri, { timeoutMs: 5_000 });
    await assert.rejects(ts.call('echo', [1]), (e: Error) => e instanceof CommunicationError && /too many connections/.test(e.message));
    ts.close();

    // A slot frees up: the next client is served.
    held[0]?.close();
    await connectionsFallTo(daemon, 2);
    const again = await pythonJson<PyAttempt>(
      PY_PRELUDE + `p = Pyro4.Proxy(${JSON.stringify(uri)})\np._pyroTimeout = 10\nprint('RESULT ' + json.dumps(attempt(lambda: p.echo('in'))))`,
    );
    assert.deepEqual(again, { ok: true, value: 'in' });
  });

  test('a flood past maxConnections: refused connections count until their socket closes; past the denial backlog they are closed without a word', async () => {
    const { daemon, port, uri } = await daemonWith({ maxConnections: 2 });
    const handshake = encodeMessage({ type: MessageType.CONNECT, seq: 0, payload: Buffer.from("# serpent utf-8 python3.2\n{'handshake':'hello'}") });
    // Clients that never close their side: each refused one lingers until the daemon closes it.
    const flood = await halfOpenFlood(port, 2 + DENIAL_BACKLOG + 30, handshake);
    try {
      assert.ok(daemon.connectionCount <= 2 + DENIAL_BACKLOG, `the daemon holds ${daemon.connectionCount} sockets`);
      await eventually(() => flood.clients.every((c) => c.bytes > 0 || c.ended), 10_000, 'every client answered or closed');
      const silent = flood.clients.filter((c) => c.bytes === 0);
      assert.ok(silent.length > 0, 'no connection was closed at once: refused ones were not counted');
      assert.ok(silent.every((c) => c.ended));
    } finally {
      flood.close();
    }
    await connectionsFallTo(daemon, 0);
    await stillServes(uri);
  });

  test('handshake timeout: silence, or half a header, before CONNECT is dropped', async () => {
    const { daemon, port, uri } = await daemonWith({ handshakeTimeoutMs: 300 });
    const silent = await WireClient.open(port);
    const half = await WireClient.open(port);
    half.send(encodeMessage({ type: MessageType.CONNECT, seq: 0, payload: Buffer.from('x') }).subarray(0, 12));
    assert.deepEqual(await silent.untilClosed(), []);
    assert.deepEqual(await half.untilClosed(), []);
    await connectionsFallTo(daemon, 0);
    await stillServes(uri);
  });

  test('idle timeout: half a header left waiting is dropped; a trickle that keeps coming is not; an idle connection with nothing pending stays', async () => {
    const { daemon, port, uri } = await daemonWith({ idleTimeoutMs: 300, handshakeTimeoutMs: 10_000 });
    const stalled = await WireClient.connected(port, OBJ);
    stalled.send(invokeFrame(1, OBJ, 'echo', ['x']).subarray(0, 10));
    assert.deepEqual(await stalled.untilClosed(), []);

    // One byte every 100 ms: progress resets the timer, the request is answered.
    const trickle = await WireClient.connected(port, OBJ);
    const frame = invokeFrame(2, OBJ, 'echo', ['slowly']);
    for (const byte of frame.subarray(0, 8)) {
      trickle.send(Buffer.from([byte]));
      await sleep(100);
    }
    trickle.send(frame.subarray(8));
    const answered = await trickle.reply();
    assert.equal(answered.value, 'slowly');

    // A proxy that simply holds its connection open between calls is never dropped.
    const p = proxy(uri);
    assert.equal(await p.call('echo', [1]), 1);
    await sleep(900);
    assert.equal(await p.call('echo', [2]), 2);
    assert.equal(trickle.isClosed, false);
    trickle.destroy();
    p.close();
    await connectionsFallTo(daemon, 0);
  });

  test('pipelining bound: one running plus maxPipelined queued are answered in order; more in one go closes the connection', async () => {
    const { port, uri } = await daemonWith({ maxPipelined: 4 });
    const c = await WireClient.connected(port, OBJ);
    c.send(Buffer.concat([1, 2, 3, 4, 5].map((seq) => invokeFrame(seq, OBJ, 'slow', [20 + seq]))));
    for (const seq of [1, 2, 3, 4, 5]) {
      const r = await c.reply();
      assert.equal(r.message.seq, seq);
      assert.equal(r.value, 20 + seq);
    }
    c.send(Buffer.concat([1, 2, 3, 4, 5, 6].map((seq) => invokeFrame(10 + seq, OBJ, 'slow', [50]))));
    const before = await c.untilClosed();
    assert.equal(before.length, 0, 'requests beyond the bound must not be run');
    await stillServes(uri);
  });
});

describe('default limits', () => {
  test('every limit has a safe default, and SECURITY.md states the defaults the code has', () => {
    assert.deepEqual(DEFAULT_LIMITS, {
      maxMessageSize: 64 * 1024 * 1024,
      maxDepth: 1000,
      maxConnections: 1024,
      handshakeTimeoutMs: 10_000,
      idleTimeoutMs: 30_000,
      maxPipelined: 64,
    });
    const doc = readFileSync(fromRoot('SECURITY.md'), 'utf8');
    for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
      const row = new RegExp('`' + name + '`\\s*\\|\\s*([^|]+)\\|').exec(doc);
      assert.ok(row, `SECURITY.md has no row for ${name}`);
      const stated = (row[1] as string).trim();
      const shown = name === 'maxMessageSize' ? '64 MiB' : name.endsWith('Ms') ? `${value / 1000} s` : String(value);
      assert.equal(stated, shown, `SECURITY.md states ${name} = ${stated}, the code has ${shown}`);
    }
  });
});
