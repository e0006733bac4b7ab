// Serialization and HMAC security against a daemon in this process (so the test can look at what
// a handler really received and at Object.prototype afterwards) and against a real focusd:
// code-executing serializers are refused before their payload is looked at, serpent and json input
// become plain data only, prototype pollution attempts touch nothing, HMAC mismatches are refused
// (and, as SECURITY.md says, a recorded signed frame can be replayed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Flags,
  MessageType,
  PyDict,
  PyroDaemon,
  PyTuple,
  encodeMessage,
  isPlainObject,
  pyObject,
  type PyValue,
} from '../../src/pyro/index.js';
import { assertNoPollution, assertPlainData } from '../fuzz/checks.js';
import { startFocusd, type Focusd } from '../e2e/harness.js';
import { runPython } from '../helpers/python.js';
import { PY_PRELUDE, pythonJson, type PyAttempt } from '../reliability/python-async.js';
import { WireClient, callPayload, helloFrame, invokeFrame } from '../reliability/wire.js';

const OBJ = 'security.probe';
const received: { vargs: PyValue; kwargs: PyValue }[] = [];
let daemon: PyroDaemon;
let port = 0;
let keyed: PyroDaemon;
let keyedPort = 0;
let keyedCalls = 0;
const focusds: Focusd[] = [];

before(async () => {
  daemon = new PyroDaemon({ host: '127.0.0.1', port: 0 });
  daemon.register(OBJ, {
    methods: {
      take: {
        params: [{ name: 'value', default: null }, { name: 'other', default: null }],
        call: (a) => {
          received.push({ vargs: [a.value ?? null, a.other ?? null], kwargs: null });
          return 'taken';
        },
      },
    },
  });
  port = (await daemon.start()).port;
  keyed = new PyroDaemon({ host: '127.0.0.1', port: 0, hmacKey: 'secret' });
  keyed.register(OBJ, { methods: { count: { call: () => ++keyedCalls } } });
  keyedPort = (await keyed.start()).port;
});
after(async () => {
  await daemon.close();
  await keyed.close();
  for (const f of focusds) await f.proc.stop();
});

/** A pickle that runs `touch <marker>` when loaded (built by Python's own pickle). */
function evilPickle(marker: string): Buffer {
  const hex = runPython(`
import pickle, os
class Evil:
    def __reduce__(self):
        return (os.system, (${JSON.stringify('touch ' + marker)},))
print(pickle.dumps(('${OBJ}', 'take', (Evil(),), {}), protocol=2).hex())
`).trim();
  return Buffer.from(hex, 'hex');
}

describe('serializers: data only', { timeout: 120_000 }, () => {
  test('pickle, marshal, dill, msgpack, cloudpickle and unknown ids are refused by name; a real exploit pickle never runs', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'focusd-pickle-')), 'pwned');
    const evil = evilPickle(marker);
    const f = await startFocusd();
    focusds.push(f);
    const focusdPort = Number(/:(\d+)$/.exec(f.uri)?.[1]);
    for (const [target, objectId] of [[port, OBJ], [focusdPort, 'e2e_focuser_daemon']] as const) {
      // As a request after a serpent handshake.
      for (const id of [3, 4, 5, 6, 7, 99]) {
        const c = await WireClient.connected(target, objectId);
        c.send(invokeFrame(1, objectId, 'take', [], { serializerId: id, payload: evil }));
        const r = await c.reply();
        assert.equal(r.exception?.cls, 'Pyro4.errors.SerializeError', `serializer ${id}`);
        assert.match(r.exception?.text ?? '', new RegExp(`serializer that is not accepted: ${id}`));
        c.destroy();
      }
      // As the handshake itself: CONNECTFAIL naming pickle.
      const h = await WireClient.open(target);
      h.send(helloFrame(objectId, { serializerId: 4, payload: evil }));
      const frames = await h.untilClosed();
      assert.equal(frames[0]?.type, MessageType.CONNECTFAIL);
      assert.match(frames[0]?.payload.toString() ?? '', /not accepted: 4 \(pickle\)/);
    }
    // A real Pyro4 client configured for pickle is refused too.
    const py = await pythonJson<PyAttempt>(
      PY_PRELUDE +
        `Pyro4.config.SERIALIZER = 'pickle'\np = Pyro4.Proxy('PYRO:${OBJ}@127.0.0.1:${port}')\np._pyroTimeout = 10\n` +
        `print('RESULT ' + json.dumps(attempt(lambda: p.take(1))))`,
    );
    assert.equal(py.ok, false);
    if (!py.ok) assert.match(py.text, /not accepted: 4 \(pickle\)/);
    await sleep(200);
    assert.equal(existsSync(marker), false, 'the pickle payload was executed');
    assert.equal(received.length, 0, 'a handler ran for a refused serializer');
  });

  test("class dicts stay dicts, prototype names stay data: serpent and json from a real Python client", async () => {
    received.length = 0;
    const code =
      PY_PRELUDE +
      `
R = {}
for ser in ('serpent', 'json'):
    Pyro4.config.SERIALIZER = ser
    p = Pyro4.Proxy('PYRO:${OBJ}@127.0.0.1:${port}')
    p._pyroTimeout = 10
    R[ser] = [
        attempt(lambda: p.take({'__class__': 'Pyro4.core.URI', 'state': ['PYRO', 'x', None, 'h', 1]})),
        attempt(lambda: p.take({'__class__': 'builtins.ValueError', '__exception__': True, 'args': ['boom'], 'attributes': {}})),
        attempt(lambda: p.take({'__proto__': {'polluted': 1}}, {'constructor': {'prototype': {'polluted': 1}}})),
        attempt(lambda: p.take(value={'__proto__': {'polluted': 1}, 'toString': 'x', 'hasOwnProperty': 1})),
        attempt(lambda: p._pyroInvoke('take', (), {'__proto__': {'polluted': 1}})),
    ]
    p._pyroRelease()
print('RESULT ' + json.dumps(R))
`;
    const r = await pythonJson<Record<string, PyAttempt[]>>(code);
    for (const ser of ['serpent', 'json']) {
      const results = r[ser] as PyAttempt[];
      assert.deepEqual(results.slice(0, 4).map((x) => x.ok && x.value), ['taken', 'taken', 'taken', 'taken'], `${ser}: ${JSON.stringify(results)}`);
      const kw = results[4] as PyAttempt;
      assert.equal(kw.ok, false);
      if (!kw.ok) assert.match(kw.text, /unexpected keyword argument '__proto__'/);
    }
    assert.equal(received.length, 8);
    for (const { vargs } of received) assertPlainData(vargs);
    const first = (i: number, at = 0): PyValue | undefined => (received[i]?.vargs as PyValue[])[at];
    const [uriDict, excDict, protoDict, ctorDict] = [first(0), first(1), first(2), first(2, 1)];
    assert.ok(isPlainObject(uriDict) && uriDict['__class__'] === 'Pyro4.core.URI', 'the __class__ dict arrived as a plain dict');
    assert.ok(isPlainObject(excDict) && excDict['__class__'] === 'builtins.ValueError' && !(excDict instanceof Error));
    assert.ok(isPlainObject(protoDict) && Object.getPrototypeOf(protoDict) === null && Object.hasOwn(protoDict, '__proto__'));
    assert.deepEqual(Object.keys(protoDict['__proto__'] as object), ['polluted']);
    assert.ok(isPlainObject(ctorDict) && isPlainObject(ctorDict['constructor']) && Object.getPrototypeOf(ctorDict) === null);
    assertNoPollution();
  });

  test("json ints past Python's 4300 digits are refused as Python's json refuses them, even compressed into a few KB; the daemon serves on", async () => {
    received.length = 0;
    // Ten million digits deflate to about 10 KB; reading them into a BigInt would take seconds.
    const hostile = deflateSync(Buffer.from(`{"handshake": ${'9'.repeat(10_000_000)}, "object": "${OBJ}"}`));
    assert.ok(hostile.length < 64 * 1024);
    const h = await WireClient.open(port);
    h.send(encodeMessage({ type: MessageType.CONNECT, flags: Flags.META_ON_CONNECT | Flags.COMPRESSED, seq: 0, serializerId: 2, payload: hostile }));
    const refused = await h.next();
    h.destroy();
    assert.ok(refused === 'closed' || refused.type === MessageType.CONNECTFAIL, 'the handshake is refused');
    if (refused !== 'closed') assert.match(refused.payload.toString(), /int of 10000000 digits exceeds Python's limit of 4300 digits/);

    const c = await WireClient.connected(port, OBJ);
    const jsonCall = (n: string): Buffer => Buffer.from(`{"object": "${OBJ}", "method": "take", "params": [${n}], "kwargs": {}}`);
    const longest = '9'.repeat(4300);
    assert.equal((await c.call(1, OBJ, 'take', [], { payload: jsonCall(longest), serializerId: 2 })).value, 'taken');
    assert.equal((received[0]?.vargs as PyValue[])[0], BigInt(longest), 'a 4300-digit int is read exactly');
    const tooLong = await c.call(2, OBJ, 'take', [], { payload: jsonCall('-' + '9'.repeat(4301)), serializerId: 2 });
    assert.match(tooLong.exception?.text ?? '', /int of 4301 digits exceeds Python's limit of 4300 digits/);
    assert.equal(received.length, 1, 'the refused call never ran');
    c.destroy();
    const judge = runPython(`import json\nfor n in ('${longest}', '-' + '9' * 4301):\n    try: print(len(str(json.loads(n))))\n    except ValueError as e: print('refused', e)`);
    assert.match(judge, /^4300\nrefused Exceeds the limit \(4300 digits\)/, 'Python draws the line at the same place');
  });

  test('raw serpent and json payloads with __proto__ keys, PyDict keys and deep prototype paths pollute nothing', async () => {
    received.length = 0;
    const c = await WireClient.connected(port, OBJ);
    const serpentDoc = Buffer.from(
      "# serpent utf-8 python3.2\n('security.probe','take',({'__proto__':{'polluted':1},'constructor':{'prototype':{'polluted':2}}},{1:2,'__proto__':3}),{})",
    );
    const jsonDoc = Buffer.from('{"object": "security.probe", "method": "take", "params": [{"__proto__": {"polluted": 1}}, {"constructor": {"prototype": {"polluted": 1}}}], "kwargs": {}}');
    assert.equal((await c.call(1, OBJ, 'take', [], { payload: serpentDoc })).value, 'taken');
    assert.equal((await c.call(2, OBJ, 'take', [], { payload: jsonDoc, serializerId: 2 })).value, 'taken');
    assert.equal((await c.call(3, OBJ, 'take', [new PyDict([['__proto__', pyObject([['polluted', 1]])], [1, 2]]), new PyTuple(['constructor'])])).value, 'taken');
    const payload = callPayload(OBJ, 'take', [pyObject([['__proto__', pyObject([['polluted', 1]])]])]);
    assert.equal((await c.call(4, OBJ, 'take', [], { payload })).value, 'taken');
    c.destroy();
    assert.equal(received.length, 4);
    for (const { vargs } of received) assertPlainData(vargs);
    const mixed = (received[0]?.vargs as PyValue[])[1];
    assert.ok(mixed instanceof PyDict, 'a dict with a non-str key stays a PyDict');
    assertNoPollution();
  });
});

describe('HMAC', { timeout: 60_000 }, () => {
  test('a wrong key, a missing key, or a tampered signed frame is refused and the method never runs', async () => {
    const before = keyedCalls;
    const wrong = await WireClient.open(keyedPort);
    wrong.send(helloFrame(OBJ, { hmacKey: 'not the secret' }));
    const refused = await wrong.untilClosed();
    assert.equal(refused[0]?.type, MessageType.CONNECTFAIL);
    assert.match(refused[0]?.payload.toString() ?? '', /hmac/i);

    const good = await WireClient.connected(keyedPort, OBJ, { hmacKey: 'secret' });
    const signed = invokeFrame(1, OBJ, 'count', [], { hmacKey: 'secret' });
    const tampered = Buffer.from(signed);
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] as number) ^ 0x01;
    good.send(tampered);
    const r = await good.reply();
    assert.equal(r.exception?.cls, 'Pyro4.errors.SecurityError');
    assert.deepEqual(await good.untilClosed(), []);

    const unsigned = await WireClient.connected(keyedPort, OBJ, { hmacKey: 'secret' });
    unsigned.send(invokeFrame(2, OBJ, 'count'));
    assert.equal((await unsigned.reply()).exception?.cls, 'Pyro4.errors.SecurityError');
    unsigned.destroy();

    const py = await pythonJson<Record<string, PyAttempt>>(
      PY_PRELUDE +
        `R = {}\nfor label, key in (('wrong', b'nope'), ('none', None)):\n    p = Pyro4.Proxy('PYRO:${OBJ}@127.0.0.1:${keyedPort}')\n    p._pyroTimeout = 10\n` +
        `    p._pyroHmacKey = key\n    R[label] = attempt(lambda: p.count())\nprint('RESULT ' + json.dumps(R))`,
    );
    for (const label of ['wrong', 'none']) {
      const a = py[label] as PyAttempt;
      assert.equal(a.ok, false, label);
      if (!a.ok) assert.ok(a.mro.includes('SecurityError') || a.mro.includes('CommunicationError'), `${label}: ${a.cls}: ${a.text}`);
    }
    assert.equal(keyedCalls, before, 'a refused request ran the method');
  });

  test('documented limit: a recorded signed request replays on a new connection (Pyro4 HMAC has no nonce)', async () => {
    const signed = invokeFrame(9, OBJ, 'count', [], { hmacKey: 'secret' });
    const first = await WireClient.connected(keyedPort, OBJ, { hmacKey: 'secret' });
    first.send(signed);
    const n = (await first.reply()).value as number;
    first.destroy();
    const replay = await WireClient.connected(keyedPort, OBJ, { hmacKey: 'secret' });
    replay.send(signed);
    assert.equal((await replay.reply()).value, n + 1);
    replay.destroy();
    // Keep encodeMessage in use for a frame signed by nobody but with a forged HMAC annotation.
    const forged = encodeMessage({ type: MessageType.INVOKE, seq: 3, payload: callPayload(OBJ, 'count'), annotations: new Map([['HMAC', Buffer.alloc(20)]]) });
    const c = await WireClient.connected(keyedPort, OBJ, { hmacKey: 'secret' });
    c.send(forged);
    assert.equal((await c.reply()).exception?.cls, 'Pyro4.errors.SecurityError');
    c.destroy();
  });
});
