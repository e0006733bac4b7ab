// Our PyroProxy against real Python Pyro4 4.82 daemons: our own fixture (test/fixtures/pyro/daemon.py)
// and Pyro4's shipped `python3 -m Pyro4.test.echoserver`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  CommunicationError,
  PyTuple,
  PyroProxy,
  RemotePythonError,
  TimeoutError,
  parse,
  pyObject,
  serialize,
  type PyValue,
} from '../../src/pyro/index.js';
import { fromRoot } from '../helpers/paths.js';
import { PYTHON, requirePythonPyro4 } from '../helpers/python.js';
import { canon, normalize, pythonCorpus } from '../serpent/oracle.js';
import { startTestDaemon, type TestDaemon } from '../pyro/harness.js';
import { start, type Running } from '../helpers/process.js';
import { tsValues } from '../pyro/test-object.js';

interface PyDaemon {
  run: Running;
  uri: string;
  hostPort: string;
}

async function startPythonDaemon(opts: object = {}): Promise<PyDaemon> {
  requirePythonPyro4();
  const run = start(PYTHON, [fromRoot('test', 'fixtures', 'pyro', 'daemon.py'), JSON.stringify({ lifetime: 150, ...opts })], { lifetimeMs: 160_000 });
  const m = await run.waitFor(/URI (PYRO:\S+)/, 20_000);
  const uri = m[1] as string;
  return { run, uri, hostPort: uri.split('@')[1] as string };
}

/** Resolves with the error a promise rejects with; fails the test if it resolves. */
async function rejection(p: Promise<unknown>, label = 'call'): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error, `${label}: rejected with a non-Error ${String(e)}`);
    return e;
  }
  assert.fail(`${label}: expected an error, got a result`);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** What a value is after one trip through serpent text (how Python sees it, mapped back to TS). */
function viaSerpent(v: PyValue): string {
  return JSON.stringify(normalize(canon(parse(serialize(v), { preserveFloats: true }))));
}
const canonOf = (v: PyValue): string => JSON.stringify(normalize(canon(v)));

describe('TypeScript PyroProxy -> Python Pyro4 daemon', { timeout: 180_000 }, () => {
  let py: PyDaemon;
  let proxy: PyroProxy;
  before(async () => {
    py = await startPythonDaemon();
    proxy = new PyroProxy(py.uri, { timeoutMs: 20_000, preserveFloats: true });
  });
  after(async () => {
    proxy?.close();
    await py?.run.stop();
  });

  test('every TS corpus value is echoed back as the same value', async () => {
    for (const [name, value] of Object.entries(tsValues())) {
      const got = await proxy.call('echo', [value]);
      assert.equal(canonOf(got), viaSerpent(value), name);
    }
  });

  test('every value of the Python serpent corpus is echoed back as the same value', async () => {
    // Pyro4 rebuilds dicts with a __class__ key as objects, so the class-dict entries are left out.
    const entries = pythonCorpus().filter((e) => !/exception|decimal|uuid|ordereddict|pyro|CommunicationError/i.test(e.name));
    assert.ok(entries.length >= 70, `only ${entries.length} entries`);
    for (const entry of entries) {
      const value = parse(Buffer.from(entry.dump, 'base64'), { preserveFloats: true });
      const got = await proxy.call('echo', [value]);
      assert.equal(canonOf(got), viaSerpent(value), entry.name);
    }
  });

  test('keyword arguments reach the Python method', async () => {
    const got = await proxy.call('echo_kwargs', [1], pyObject([['c', new PyTuple([2, 'x'])]]));
    assert.equal(canonOf(got), canonOf(pyObject([['a', 1], ['b', 2], ['c', new PyTuple([2, 'x'])]])));
  });

  test('Python exceptions become RemotePythonError with class, args and remote traceback', async () => {
    const cases: [string, PyValue[]][] = [
      ['builtins.ValueError', ['bad value', 42]],
      ['builtins.KeyError', ['k']],
      ['builtins.TypeError', []],
      ['Pyro4.errors.DaemonError', ['daemon says no']],
    ];
    for (const [cls, args] of cases) {
      const e = await rejection(proxy.call('fail', [cls, args]), cls);
      assert.ok(e instanceof RemotePythonError, `${cls}: ${e.name}: ${e.message}`);
      assert.equal(e.pythonClass, cls);
      assert.equal(canonOf(e.args), canonOf(args), cls);
      assert.ok(e.remoteTraceback.length > 0, `${cls}: empty remote traceback`);
      assert.match(e.remoteTraceback.join(''), /Traceback \(most recent call last\)/);
      assert.match(e.remoteTraceback.join(''), new RegExp(cls.split('.').pop() as string));
    }
    // and a Python TypeError from argument binding
    const bad = await rejection(proxy.call('echo_kwargs', [1, 2, 3, 4]));
    assert.ok(bad instanceof RemotePythonError);
    assert.equal(bad.pythonClass, 'builtins.TypeError');
    assert.equal(await proxy.call('echo', ['still served']), 'still served');
  });

  test('a call longer than its timeout is a TimeoutError, and the next call works', async () => {
    const e = await rejection(proxy.call('slow', [3], undefined, { timeoutMs: 300 }));
    assert.ok(e instanceof TimeoutError, `${e.name}: ${e.message}`);
    assert.ok(e instanceof CommunicationError);
    assert.equal(await proxy.call('echo', ['after timeout']), 'after timeout');
    const short = new PyroProxy(py.uri, { timeoutMs: 300 });
    try {
      assert.ok((await rejection(short.call('slow', [3]))) instanceof TimeoutError, 'proxy-wide timeoutMs');
      assert.equal(await short.call('slow', [0]), 0);
    } finally {
      short.close();
    }
  });

  test('unknown and private methods are refused as AttributeError', async () => {
    for (const name of ['no_such_method', '_private', 'toString', 'constructor']) {
      const e = await rejection(proxy.call(name), name);
      assert.equal((e as Error & { pythonClass?: string }).pythonClass, 'builtins.AttributeError', `${name}: ${e.name}: ${e.message}`);
    }
    assert.equal(await proxy.call('echo', [1]), 1);
  });

  test('metadata lists the methods, oneway methods and attributes', async () => {
    const meta = await proxy.metadata();
    assert.deepEqual([...meta.methods].sort(), ['caller', 'compressed_reply', 'correlation', 'echo', 'echo_kwargs', 'fail', 'record', 'records', 'slow']);
    assert.deepEqual(meta.oneway, ['record']);
    assert.deepEqual(meta.attrs, ['answer']);
  });

  test('oneway calls are delivered without a reply', async () => {
    await proxy.oneway('record', ['one']);
    await proxy.call('record', ['two']); // listed as oneway by the daemon: resolves without a reply
    const deadline = Date.now() + 10_000;
    let records: PyValue = [];
    while (Date.now() < deadline) {
      records = await proxy.call('records');
      if (Array.isArray(records) && records.includes('two')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(records, ['one', 'two']);
  });

  test('batch: results in order; a failure in the batch rejects', async () => {
    const results = await proxy.batch([
      { method: 'echo', args: [1] },
      { method: 'echo_kwargs', args: [2], kwargs: pyObject([['c', 3]]) },
      { method: 'echo', args: [new PyTuple(['t'])] },
    ]);
    assert.equal(canonOf(results), canonOf([1, pyObject([['a', 2], ['b', 2], ['c', 3]]), new PyTuple(['t'])]));
    const e = await rejection(proxy.batch([{ method: 'echo', args: [1] }, { method: 'fail', args: ['builtins.ValueError', ['in batch']] }]));
    assert.ok(e instanceof RemotePythonError);
    assert.equal(e.pythonClass, 'builtins.ValueError');
    assert.deepEqual(e.args, ['in batch']);
  });

  test('the caller address the Python daemon sees is loopback', async () => {
    const got = await proxy.call('caller');
    assert.ok(Array.isArray(got));
    assert.equal(got[0], '127.0.0.1');
  });

  test('an unknown object id is refused at connect with a CommunicationError', async () => {
    const p = new PyroProxy(`PYRO:no.such.object@${py.hostPort}`, { timeoutMs: 5_000 });
    try {
      const e = await rejection(p.call('echo', [1]));
      assert.ok(e instanceof CommunicationError, `${e.name}: ${e.message}`);
      assert.match(e.message, /unknown object/);
    } finally {
      p.close();
    }
  });

  test('a refused connection is a CommunicationError', async () => {
    const port = await closedPort();
    const p = new PyroProxy(`PYRO:test.pyobject@127.0.0.1:${port}`, { timeoutMs: 5_000 });
    try {
      const e = await rejection(p.call('echo', [1]));
      assert.ok(e instanceof CommunicationError, `${e.name}: ${e.message}`);
      assert.ok(!(e instanceof TimeoutError));
    } finally {
      p.close();
    }
  });

  test('a class dict Python cannot rebuild is its SerializeError, and the next call is served', async () => {
    const p = new PyroProxy(py.uri, { timeoutMs: 10_000 });
    try {
      const e = await rejection(p.call('echo', [pyObject([['__class__', 'collections.OrderedDict'], ['items', []]])]));
      assert.ok(e instanceof RemotePythonError, `${e.name}: ${e.message}`);
      assert.equal(e.pythonClass, 'Pyro4.errors.SerializeError');
      // The Python daemon closes the connection after a SerializeError (a CommunicationError).
      assert.equal(await p.call('echo', ['next']), 'next');
    } finally {
      p.close();
    }
  });

  test('after the daemon drops the connection, the next call reconnects', async () => {
    const p = new PyroProxy(py.uri, { timeoutMs: 10_000 });
    try {
      assert.equal(await p.call('echo', ['a']), 'a');
      // Break the stream with a timeout: the proxy must throw the socket away and open a new one.
      await rejection(p.call('slow', [1], undefined, { timeoutMs: 100 }));
      assert.equal(await p.call('echo', ['b']), 'b');
    } finally {
      p.close();
    }
  });
});

describe('TypeScript PyroProxy -> Python Pyro4 daemon: HMAC and compression', { timeout: 120_000 }, () => {
  let keyed: PyDaemon;
  let packed: PyDaemon;
  before(async () => {
    // One after the other: with Promise.all, a failed start would leave the other unassigned and
    // never stopped by after().
    keyed = await startPythonDaemon({ hmac: 'sesame' });
    packed = await startPythonDaemon({ compression: true });
  });
  after(async () => {
    await keyed?.run.stop();
    await packed?.run.stop();
  });

  test('the same HMAC key on both sides works', async () => {
    const p = new PyroProxy(keyed.uri, { timeoutMs: 10_000, hmacKey: 'sesame' });
    try {
      assert.equal(await p.call('echo', ['signed']), 'signed');
      assert.equal(await p.call('echo', [Buffer.alloc(1000, 7)]) instanceof Uint8Array, true);
    } finally {
      p.close();
    }
  });

  for (const [label, key] of [
    ['a wrong HMAC key', 'wrong'],
    ['no HMAC key against a keyed daemon', undefined],
  ] as const) {
    test(`${label} is refused with a Pyro error, not a result`, async () => {
      const p = new PyroProxy(keyed.uri, { timeoutMs: 5_000, connectTimeoutMs: 5_000, ...(key ? { hmacKey: key } : {}) });
      try {
        const e = await rejection(p.call('echo', ['x']));
        assert.ok('pythonClass' in e, `${e.name}: ${e.message}`);
        assert.match(String((e as Error & { pythonClass: string }).pythonClass), /Pyro4\.errors\.(SecurityError|CommunicationError|ConnectionClosedError)/);
      } finally {
        p.close();
      }
    });
  }

  test('a key only on our side against an unkeyed daemon is refused', async () => {
    const p = new PyroProxy(packed.uri, { timeoutMs: 5_000, hmacKey: 'sesame' });
    try {
      const e = await rejection(p.call('echo', ['x']));
      assert.ok(e instanceof CommunicationError || (e as { pythonClass?: string }).pythonClass === 'Pyro4.errors.SecurityError', `${e.name}: ${e.message}`);
    } finally {
      p.close();
    }
  });

  test('compressed replies from a COMPRESSION=True daemon are decompressed; compressed requests are read', async () => {
    const p = new PyroProxy(packed.uri, { timeoutMs: 10_000 });
    const q = new PyroProxy(packed.uri, { timeoutMs: 10_000, compress: true });
    try {
      assert.equal(await p.call('compressed_reply', [200_000]), 'z'.repeat(200_000));
      const big = 'compress me '.repeat(20_000);
      assert.equal(await q.call('echo', [big]), big);
    } finally {
      p.close();
      q.close();
    }
  });
});

describe("TypeScript PyroProxy -> Pyro4's own test echoserver", { timeout: 60_000 }, () => {
  let server: Running;
  let uri: string;
  before(async () => {
    requirePythonPyro4();
    server = start(PYTHON, ['-m', 'Pyro4.test.echoserver', '-H', '127.0.0.1', '-p', '0'], { lifetimeMs: 60_000 });
    uri = (await server.waitFor(/echo uri: (PYRO:\S+)/, 20_000))[1] as string;
  });
  after(async () => {
    await server?.stop();
  });

  test('echo, error, oneway, nan and inf', async () => {
    const p = new PyroProxy(uri, { timeoutMs: 10_000, preserveFloats: true });
    try {
      for (const value of Object.values(tsValues())) {
        assert.equal(canonOf(await p.call('echo', [value])), viaSerpent(value));
      }
      const e = await rejection(p.call('error'));
      assert.ok(e instanceof RemotePythonError);
      assert.equal(e.pythonClass, 'builtins.ValueError');
      assert.deepEqual(e.args, ['expected error from echoserver error() method']);
      await p.oneway('oneway_echo', ['x']);
      assert.ok(Number.isNaN(await p.call('nan')));
      assert.equal(await p.call('inf'), Infinity);
      const meta = await p.metadata();
      assert.ok(meta.oneway.includes('oneway_slow') && meta.oneway.includes('oneway_echo'));
      assert.ok(meta.attrs.includes('verbose'));
    } finally {
      p.close();
    }
  });
});

describe('TypeScript PyroProxy -> TypeScript daemon', { timeout: 60_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon();
  });
  after(() => d?.daemon.close());

  test('reconnects on the next call after the daemon went away and came back on the same port', async () => {
    const p = new PyroProxy(d.uri, { timeoutMs: 5_000 });
    try {
      assert.equal(await p.call('echo', ['before']), 'before');
      await d.daemon.close();
      const e = await rejection(p.call('echo', ['while down']));
      assert.ok(e instanceof CommunicationError, `${e.name}: ${e.message}`);
      d = await startTestDaemon({ port: d.port });
      assert.equal(await p.call('echo', ['after']), 'after');
    } finally {
      p.close();
    }
  });
});

describe('argument binding errors: our daemon says what a Python daemon says', { timeout: 60_000 }, () => {
  let py: PyDaemon;
  let ts: TestDaemon;
  before(async () => {
    // Python first: when it cannot start, no TypeScript daemon is left listening (and keeping this
    // file's process alive) unassigned.
    py = await startPythonDaemon();
    ts = await startTestDaemon();
  });
  after(async () => {
    await ts?.daemon.close();
    await py?.run.stop();
  });

  test('TypeError texts for missing, surplus, unknown and duplicate arguments match', async () => {
    const calls: [string, PyValue[], [string, PyValue][]][] = [
      ['echo_kwargs', [], []],
      ['echo_kwargs', [], [['b', 1]]],
      ['echo_kwargs', [], [['b', 1], ['c', 2]]],
      ['echo_kwargs', [1, 2, 3, 4], []],
      ['echo_kwargs', [1, 2, 3, 4, 5], []],
      ['echo_kwargs', [1], [['d', 1]]],
      ['echo_kwargs', [1], [['d', 1], ['e', 2]]],
      ['echo_kwargs', [1], [['a', 2]]],
      ['echo_kwargs', [1, 2], [['b', 3]]],
      ['echo', [], []],
      ['echo', [1, 2], []],
      ['echo', [], [['nope', 1]]],
      ['records', [1], []],
      ['records', [1, 2], []],
      ['records', [], [['x', 1]]],
    ];
    const pyProxy = new PyroProxy(py.uri, { timeoutMs: 10_000 });
    const tsProxy = new PyroProxy(ts.uri, { timeoutMs: 10_000 });
    const strip = (text: string): string => text.replace(/^[\w.]*?(\w+\(\))/, '$1');
    try {
      for (const [method, args, kwargs] of calls) {
        const label = `${method}(${JSON.stringify(args)}, ${JSON.stringify(kwargs)})`;
        const a = await rejection(pyProxy.call(method, args, pyObject(kwargs)), `python ${label}`);
        const b = await rejection(tsProxy.call(method, args, pyObject(kwargs)), `ts ${label}`);
        assert.ok(a instanceof RemotePythonError && b instanceof RemotePythonError, label);
        assert.equal(b.pythonClass, a.pythonClass, label);
        assert.equal(strip(String(b.args[0])), strip(String(a.args[0])), label);
      }
    } finally {
      pyProxy.close();
      tsProxy.close();
    }
  });
});
