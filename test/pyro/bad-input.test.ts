// Hostile and broken input against the daemon over raw loopback sockets. Each case must end in a
// clear error (a Python exception reply where the protocol has a seq to answer, CONNECTFAIL during
// the handshake, else a close), never a hang or a crash, and a second client is served afterwards.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, inflateSync } from 'node:zlib';
import { PyTuple, isPlainObject, parse, pyObject, serialize, type PyObject, type PyValue } from '../../src/pyro/index.js';
import { pythonClient, startTestDaemon, type Attempt, type TestDaemon } from './harness.js';
import { F, RawConnection, T, rawFrame, type RawFrame } from './raw.js';
import { OBJECT_ID } from './test-object.js';

const HEADER = '# serpent utf-8 python3.2\n';

function callPayload(objectId: string, method: string, vargs: PyValue[] = [], kwargs: PyObject = pyObject()): Buffer {
  return serialize(new PyTuple([objectId, method, new PyTuple(vargs), kwargs]));
}

const hello = (objectId = OBJECT_ID): Buffer =>
  serialize(
    pyObject([
      ['handshake', 'hello'],
      ['object', objectId],
    ]),
  );

/** Connects and completes the handshake; returns the open connection. */
async function connected(port: number, hmacKey?: string): Promise<RawConnection> {
  const c = await RawConnection.open(port);
  c.send(rawFrame({ type: T.CONNECT, flags: F.META_ON_CONNECT, payload: hello(), ...(hmacKey ? { hmacKey } : {}) }));
  const reply = await c.next();
  assert.notEqual(reply, 'closed', 'handshake: connection closed');
  assert.equal((reply as RawFrame).type, T.CONNECTOK, `handshake: ${String((reply as RawFrame).payload)}`);
  return c;
}

/** The exception class a RESULT frame with the EXCEPTION flag carries. */
function exceptionOf(frame: RawFrame | 'closed', seq: number): { cls: string; args: PyValue[]; text: string } {
  assert.notEqual(frame, 'closed', 'expected an exception reply, the daemon closed the connection');
  const f = frame as RawFrame;
  assert.equal(f.type, T.RESULT, `reply type ${f.type}`);
  assert.ok(f.flags & F.EXCEPTION, 'reply is not flagged EXCEPTION');
  assert.equal(f.seq, seq, 'reply seq does not echo the request');
  const v = parse(f.flags & F.COMPRESSED ? inflateSync(f.payload) : f.payload);
  assert.ok(isPlainObject(v), 'exception payload is not a dict');
  assert.equal(v['__exception__'], true);
  const args = v['args'];
  const list = args instanceof PyTuple ? args.items : [];
  const attrs = v['attributes'];
  assert.ok(isPlainObject(attrs) && Array.isArray(attrs['_pyroTraceback']) && attrs['_pyroTraceback'].length > 0, 'no remote traceback');
  return { cls: String(v['__class__']), args: list, text: list.map(String).join(' ') };
}

/** A fresh client completes the handshake and gets an echo back: the daemon is still serving. */
async function secondClientServed(port: number, hmacKey?: string): Promise<void> {
  const c = await connected(port, hmacKey);
  try {
    c.send(rawFrame({ type: T.INVOKE, seq: 7, payload: callPayload(OBJECT_ID, 'echo', ['alive']), ...(hmacKey ? { hmacKey } : {}) }));
    const r = await c.next();
    assert.notEqual(r, 'closed', 'second client: connection closed');
    const f = r as RawFrame;
    assert.equal(f.type, T.RESULT);
    assert.equal(f.flags & F.EXCEPTION, 0, `second client got an exception: ${f.payload.toString()}`);
    assert.equal(f.seq, 7);
    assert.equal(parse(f.payload), 'alive');
  } finally {
    c.destroy();
  }
}

/** The daemon closes the connection; anything it sent first may only be a CONNECTFAIL or an exception. */
async function expectClose(c: RawConnection, label: string, timeoutMs = 5_000): Promise<RawFrame[]> {
  const frames = await c.untilClosed(timeoutMs);
  for (const f of frames) {
    assert.ok(f.type === T.CONNECTFAIL || (f.type === T.RESULT && f.flags & F.EXCEPTION), `${label}: unexpected reply type ${f.type} before close`);
  }
  return frames;
}

describe('daemon: broken frames and hostile payloads on raw sockets', { timeout: 120_000 }, () => {
  // No idle timeout and a long handshake timeout: every close seen here comes from the input itself.
  let d: TestDaemon;
  // Short timeouts, for the stalled-client cases.
  let t: TestDaemon;
  before(async () => {
    d = await startTestDaemon({ limits: { maxMessageSize: 1024 * 1024, handshakeTimeoutMs: 60_000, idleTimeoutMs: 0 } });
    t = await startTestDaemon({ limits: { handshakeTimeoutMs: 1_500, idleTimeoutMs: 1_500 } });
  });
  after(async () => {
    await d?.daemon.close();
    await t?.daemon.close();
  });

  const framing: [string, Buffer][] = [
    ['wrong magic', rawFrame({ type: T.CONNECT, payload: hello(), magic: 'PYRX' })],
    ['HTTP instead of Pyro', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + ' '.repeat(40))],
    ['wrong protocol version', rawFrame({ type: T.CONNECT, payload: hello(), version: 47 })],
    ['bad header checksum', rawFrame({ type: T.CONNECT, payload: hello(), checksumDelta: 1 })],
    ['negative data length', rawFrame({ type: T.CONNECT, dataLength: -1 })],
    ['annotations running past their block', rawFrame({ type: T.CONNECT, payload: hello(), annotations: [['XXXX', Buffer.alloc(4)]], annotationsLength: 3 })],
  ];
  for (const [label, bytes] of framing) {
    test(`handshake: ${label} is refused (CONNECTFAIL or close) and a second client is served`, async () => {
      const c = await RawConnection.open(d.port);
      c.send(bytes);
      await expectClose(c, label);
      await secondClientServed(d.port);
    });
  }

  for (const [label, bytes] of framing) {
    test(`request stream: ${label} after the handshake closes the connection`, async () => {
      const c = await connected(d.port);
      c.send(bytes);
      await expectClose(c, label);
      await secondClientServed(d.port);
    });
  }

  test('a truncated header, then close: nothing breaks', async () => {
    const c = await RawConnection.open(d.port);
    c.send(rawFrame({ type: T.CONNECT, payload: hello() }).subarray(0, 10));
    c.socket.end();
    await c.untilClosed();
    await secondClientServed(d.port);
  });

  test('a truncated header left open is dropped by the handshake timeout', async () => {
    const c = await RawConnection.open(t.port);
    c.send(rawFrame({ type: T.CONNECT, payload: hello() }).subarray(0, 10));
    await expectClose(c, 'truncated header', 10_000);
    await secondClientServed(t.port);
  });

  test('a connection that never says anything is dropped by the handshake timeout', async () => {
    const c = await RawConnection.open(t.port);
    await expectClose(c, 'silent client', 10_000);
    await secondClientServed(t.port);
  });

  test('a half-sent request after the handshake is dropped by the idle timeout', async () => {
    const c = await connected(t.port);
    c.send(rawFrame({ type: T.INVOKE, seq: 1, payload: callPayload(OBJECT_ID, 'echo', [1]) }).subarray(0, 30));
    await expectClose(c, 'stalled request', 10_000);
    await secondClientServed(t.port);
  });

  for (const phase of ['handshake', 'request'] as const) {
    test(`${phase}: length 2^31-1 closes the connection before any payload is read`, async () => {
      const c = phase === 'handshake' ? await RawConnection.open(d.port) : await connected(d.port);
      c.send(rawFrame({ type: phase === 'handshake' ? T.CONNECT : T.INVOKE, seq: 1, dataLength: 0x7fffffff }));
      await expectClose(c, '2^31-1');
      await secondClientServed(d.port);
    });

    test(`${phase}: a length just over the daemon's maxMessageSize closes before the payload`, async () => {
      const c = phase === 'handshake' ? await RawConnection.open(d.port) : await connected(d.port);
      c.send(rawFrame({ type: phase === 'handshake' ? T.CONNECT : T.INVOKE, seq: 1, dataLength: 1024 * 1024 + 1 }));
      await expectClose(c, 'over max');
      await secondClientServed(d.port);
    });
  }

  for (const type of [0, 2, 3, 5, 7, 99, 65535]) {
    test(`unknown or misplaced message type ${type} after the handshake: clear error or close`, async () => {
      const c = await connected(d.port);
      c.send(rawFrame({ type, seq: 3, payload: callPayload(OBJECT_ID, 'echo', [1]) }));
      const r = await c.next();
      if (r !== 'closed') {
        assert.equal(exceptionOf(r, 3).cls.startsWith('Pyro4.errors.'), true);
      }
      await secondClientServed(d.port);
    });
  }

  test('an INVOKE before the handshake is refused', async () => {
    const c = await RawConnection.open(d.port);
    c.send(rawFrame({ type: T.INVOKE, seq: 1, payload: callPayload(OBJECT_ID, 'echo', [1]) }));
    const frames = await expectClose(c, 'invoke first');
    for (const f of frames) assert.equal(f.type, T.CONNECTFAIL);
    await secondClientServed(d.port);
  });

  const badHandshakes: [string, Buffer][] = [
    ['garbage serpent', Buffer.from(HEADER + '{"handshake": ')],
    ['not a dict', serialize(42)],
    ['unknown object', hello('no.such.object')],
    ['prototype object id', hello('__proto__')],
  ];
  for (const [label, payload] of badHandshakes) {
    test(`handshake with ${label}: CONNECTFAIL with a reason`, async () => {
      const c = await RawConnection.open(d.port);
      c.send(rawFrame({ type: T.CONNECT, flags: F.META_ON_CONNECT, payload }));
      const r = await c.next();
      assert.notEqual(r, 'closed', `${label}: closed without CONNECTFAIL`);
      const f = r as RawFrame;
      assert.equal(f.type, T.CONNECTFAIL, `${label}: reply type ${f.type}`);
      const reason = parse(f.payload);
      assert.equal(typeof reason, 'string');
      if (label.includes('object')) assert.match(String(reason), /unknown object/);
      c.destroy();
      await secondClientServed(d.port);
    });
  }

  const deep = 100_000;
  const badCalls: [string, Buffer, RegExp][] = [
    ['garbage serpent', Buffer.from(HEADER + "('test.object', 'echo', (1,"), /SerializeError|ProtocolError/],
    ['no serpent header, binary junk', Buffer.from([0, 1, 2, 3, 0xff, 0x80, 0x7f]), /SerializeError|ProtocolError/],
    [`${deep}-deep list`, Buffer.from(HEADER + '['.repeat(deep) + ']'.repeat(deep)), /SerializeError|ProtocolError/],
    [`${deep}-deep argument`, Buffer.from(HEADER + "('test.object','echo',(" + '['.repeat(deep) + ']'.repeat(deep) + ',),{})'), /SerializeError|ProtocolError/],
    ['invalid UTF-8', Buffer.concat([Buffer.from(HEADER + "('test.object','echo',('"), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from("',),{})")]), /SerializeError|ProtocolError/],
    ['a call that is not a 4-tuple', serialize(new PyTuple(['test.object', 'echo'])), /SerializeError|ProtocolError|TypeError/],
    ['a call that is a number', serialize(42), /SerializeError|ProtocolError|TypeError/],
    ['kwargs that are a list', serialize(new PyTuple(['test.object', 'echo', new PyTuple([1]), [1, 2]])), /SerializeError|ProtocolError|TypeError/],
    ['vargs that are a number', serialize(new PyTuple(['test.object', 'echo', 5, pyObject()])), /SerializeError|ProtocolError|TypeError/],
    ['a method name that is not a str', serialize(new PyTuple(['test.object', 5, new PyTuple([]), pyObject()])), /SerializeError|ProtocolError|TypeError|AttributeError/],
    ['a non-str kwarg name', serialize(new PyTuple(['test.object', 'echo', new PyTuple([]), new Map<PyValue, PyValue>([[1, 2]])])), /TypeError|SerializeError|ProtocolError/],
    ['unknown object', callPayload('no.such.object', 'echo', [1]), /^Pyro4\.errors\.DaemonError$/],
    ['object id __proto__', callPayload('__proto__', 'echo', [1]), /^Pyro4\.errors\.DaemonError$/],
    ['object id constructor', callPayload('constructor', 'echo', [1]), /^Pyro4\.errors\.DaemonError$/],
    ['unknown method', callPayload(OBJECT_ID, 'no_such_method'), /^builtins\.AttributeError$/],
    ['underscore method _private', callPayload(OBJECT_ID, '_private'), /^builtins\.AttributeError$/],
    ['dunder __getattr__', callPayload(OBJECT_ID, '__getattr__', ['records']), /^builtins\.AttributeError$/],
    ['dunder __init__', callPayload(OBJECT_ID, '__init__'), /^builtins\.AttributeError$/],
    ['prototype toString', callPayload(OBJECT_ID, 'toString'), /^builtins\.AttributeError$/],
    ['prototype constructor', callPayload(OBJECT_ID, 'constructor'), /^builtins\.AttributeError$/],
    ['prototype hasOwnProperty', callPayload(OBJECT_ID, 'hasOwnProperty', ['x']), /^builtins\.AttributeError$/],
    ['prototype __proto__', callPayload(OBJECT_ID, '__proto__'), /^builtins\.AttributeError$/],
    ['a method spec field (call)', callPayload(OBJECT_ID, 'call'), /^builtins\.AttributeError$/],
    ['too few arguments', callPayload(OBJECT_ID, 'echo'), /^builtins\.TypeError$/],
    ['too many arguments', callPayload(OBJECT_ID, 'echo', [1, 2]), /^builtins\.TypeError$/],
    ['an unexpected keyword', callPayload(OBJECT_ID, 'echo', [1], pyObject([['zzz', 1]])), /^builtins\.TypeError$/],
    ['a __proto__ keyword', callPayload(OBJECT_ID, 'echo', [], pyObject([['__proto__', 1]])), /^builtins\.TypeError$/],
    ['the same argument twice', callPayload(OBJECT_ID, 'echo', [1], pyObject([['value', 2]])), /^builtins\.TypeError$/],
  ];
  for (const [label, payload, cls] of badCalls) {
    test(`call with ${label}: a clear exception reply, connection and daemon still serve`, async () => {
      const c = await connected(d.port);
      try {
        c.send(rawFrame({ type: T.INVOKE, seq: 11, payload }));
        const e = exceptionOf(await c.next(10_000), 11);
        assert.match(e.cls, cls, `${label}: ${e.cls} ${e.text}`);
        if (cls.source === '^builtins\\.TypeError$') assert.match(e.text, /argument/, `${label}: TypeError text names no argument: ${e.text}`);
        // The same connection goes on: serpent errors leave the frame stream in sync.
        c.send(rawFrame({ type: T.INVOKE, seq: 12, payload: callPayload(OBJECT_ID, 'echo', ['again']) }));
        const again = await c.next();
        if (again !== 'closed') {
          assert.equal(again.seq, 12);
          assert.equal(parse(again.payload), 'again');
        }
      } finally {
        c.destroy();
      }
      await secondClientServed(d.port);
    });
  }

  for (const [label, vargs] of [
    ['items that are not calls', [1, 2]],
    ['a number', 5],
    ['a call with a prototype method name', [new PyTuple(['constructor', new PyTuple([]), pyObject()])]],
  ] as const) {
    test(`a batch of ${label}: the caller gets an exception, the daemon serves on`, async () => {
      const c = await connected(d.port);
      c.send(rawFrame({ type: T.INVOKE, seq: 11, flags: F.BATCH, payload: rawBatch(vargs as PyValue) }));
      const r = await c.next();
      assert.notEqual(r, 'closed');
      const f = r as RawFrame;
      if (f.flags & F.EXCEPTION) {
        exceptionOf(f, 11);
      } else {
        // Pyro4's batch form: a list whose failing item is an _ExceptionWrapper, raised by the caller.
        const items = parse(f.payload);
        assert.ok(Array.isArray(items) && items.length >= 1, 'batch reply is not a list');
        const last = items[items.length - 1];
        assert.ok(isPlainObject(last) && last['__class__'] === 'Pyro4.futures._ExceptionWrapper', `no exception in ${f.payload.toString()}`);
      }
      c.destroy();
      await secondClientServed(d.port);
    });
  }

  test('a serializer the daemon refuses (pickle, unknown id) is an exception reply naming it', async () => {
    for (const serializerId of [4, 3, 99]) {
      const c = await connected(d.port);
      c.send(rawFrame({ type: T.INVOKE, seq: 5, serializerId, payload: Buffer.from([0x80, 0x04, 0x95]) }));
      const r = await c.next();
      if (r !== 'closed') {
        // Python can only read the reply in a serializer it has; Pyro4 itself answers in marshal.
        assert.equal(r.seq, 5);
        assert.ok(r.flags & F.EXCEPTION);
        if (r.serializerId === 1) assert.match(String(exceptionOf(r, 5).text), /serializ/i);
      }
      c.destroy();
      await secondClientServed(d.port);
    }
  });

  test('a CONNECT in a refused serializer gets CONNECTFAIL naming the serializer', async () => {
    const c = await RawConnection.open(d.port);
    c.send(rawFrame({ type: T.CONNECT, serializerId: 4, flags: F.META_ON_CONNECT, payload: Buffer.from([0x80, 0x04]) }));
    const r = await c.next();
    assert.notEqual(r, 'closed');
    const f = r as RawFrame;
    assert.equal(f.type, T.CONNECTFAIL);
    if (f.serializerId === 1) assert.match(String(parse(f.payload)), /serializ/i);
    c.destroy();
    await secondClientServed(d.port);
  });

  test('a corrupt zlib payload is an error, not a crash', async () => {
    const c = await connected(d.port);
    c.send(rawFrame({ type: T.INVOKE, seq: 2, flags: F.COMPRESSED, payload: Buffer.from('definitely not zlib') }));
    const r = await c.next();
    if (r !== 'closed') assert.match(exceptionOf(r, 2).cls, /Pyro4\.errors\./);
    c.destroy();
    await secondClientServed(d.port);
  });

  test('a zlib bomb (small on the wire, past maxMessageSize inflated) is refused', async () => {
    const c = await connected(d.port);
    const bomb = deflateSync(Buffer.concat([Buffer.from(HEADER + "('test.object','echo',('"), Buffer.alloc(8 * 1024 * 1024, 0x61), Buffer.from("',),{})")]));
    assert.ok(bomb.length < 1024 * 1024);
    c.send(rawFrame({ type: T.INVOKE, seq: 2, flags: F.COMPRESSED, payload: bomb }));
    const r = await c.next(10_000);
    if (r !== 'closed') assert.match(exceptionOf(r, 2).cls, /Pyro4\.errors\./);
    c.destroy();
    await secondClientServed(d.port);
  });

  test('PING is answered with pong and the same seq, its payload never deserialized', async () => {
    const c = await connected(d.port);
    c.send(rawFrame({ type: T.PING, seq: 4242, payload: Buffer.from('\xff not serpent at all') }));
    const r = await c.next();
    assert.notEqual(r, 'closed');
    assert.equal((r as RawFrame).type, T.PING);
    assert.equal((r as RawFrame).seq, 4242);
    assert.equal((r as RawFrame).payload.toString(), 'pong');
    c.destroy();
  });

  test('pipelined requests in one write are all answered, in order', async () => {
    const c = await connected(d.port);
    const frames = Array.from({ length: 20 }, (_, i) => rawFrame({ type: T.INVOKE, seq: 100 + i, payload: callPayload(OBJECT_ID, 'echo', [i]) }));
    c.send(Buffer.concat(frames));
    for (let i = 0; i < 20; i++) {
      const r = await c.next();
      assert.notEqual(r, 'closed');
      assert.equal((r as RawFrame).seq, 100 + i);
      assert.equal(parse((r as RawFrame).payload), i);
    }
    c.destroy();
  });

  test('a oneway call that fails sends nothing back, and the next call is answered', async () => {
    const c = await connected(d.port);
    c.send(rawFrame({ type: T.INVOKE, seq: 1, flags: F.ONEWAY, payload: callPayload(OBJECT_ID, 'fail', ['builtins.ValueError', ['quiet']]) }));
    c.send(rawFrame({ type: T.INVOKE, seq: 2, payload: callPayload(OBJECT_ID, 'echo', ['loud']) }));
    const r = await c.next();
    assert.notEqual(r, 'closed');
    assert.equal((r as RawFrame).seq, 2, 'the failing oneway call got a reply');
    assert.equal(parse((r as RawFrame).payload), 'loud');
    c.destroy();
  });

  test('after all of the above, a real Python Pyro4 proxy is served', async () => {
    const r = await pythonClient<Record<string, Attempt>>('hmac', d.uri, {});
    assert.deepEqual(r['echo'], { ok: true, value: ['S', 'secret'] });
  });

  test('a client that disconnects during a slow call aborts its handler signal; the daemon serves on', async () => {
    const c = await connected(d.port);
    c.send(rawFrame({ type: T.INVOKE, seq: 1, payload: callPayload(OBJECT_ID, 'sleep', [30]) }));
    const deadline = Date.now() + 5_000;
    while (d.state.sleeping === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(d.state.sleeping, 1);
    c.destroy();
    while (d.state.sleeping > 0 && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(d.state.sleeping, 0, 'the handler was not aborted when its caller went away');
    await secondClientServed(d.port);
  });
});

function rawBatch(vargs: PyValue): Buffer {
  return serialize(new PyTuple([OBJECT_ID, '<batch>', vargs, pyObject()]));
}

describe('daemon with an HMAC key: tampered and unsigned frames', { timeout: 60_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({ hmacKey: 'sesame' });
  });
  after(() => d?.daemon.close());

  test('a correctly signed client is served', async () => {
    await secondClientServed(d.port, 'sesame');
  });

  for (const [label, frame] of [
    ['unsigned CONNECT', () => rawFrame({ type: T.CONNECT, flags: F.META_ON_CONNECT, payload: hello() })],
    ['CONNECT signed with another key', () => rawFrame({ type: T.CONNECT, flags: F.META_ON_CONNECT, payload: hello(), hmacKey: 'wrong' })],
    [
      'CONNECT with a tampered payload',
      () => {
        const good = rawFrame({ type: T.CONNECT, flags: F.META_ON_CONNECT, payload: hello(), hmacKey: 'sesame' });
        good.writeUInt8(good.readUInt8(good.length - 3) ^ 0x01, good.length - 3);
        return good;
      },
    ],
  ] as const) {
    test(`${label} is refused and the daemon serves on`, async () => {
      const c = await RawConnection.open(d.port);
      c.send(frame());
      const frames = await expectClose(c, label);
      for (const f of frames) assert.equal(f.type, T.CONNECTFAIL);
      await secondClientServed(d.port, 'sesame');
    });
  }

  test('an unsigned request after a signed handshake is refused', async () => {
    const c = await connected(d.port, 'sesame');
    c.send(rawFrame({ type: T.INVOKE, seq: 9, payload: callPayload(OBJECT_ID, 'echo', [1]) }));
    const r = await c.next();
    assert.ok(r === 'closed' || r.flags & F.EXCEPTION, 'an unsigned request was executed');
    c.destroy();
    await secondClientServed(d.port, 'sesame');
  });
});
