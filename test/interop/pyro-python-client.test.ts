// Python's own Pyro4 4.82 proxies against our daemon: the promise that a rockit client cannot tell
// it from a Python daemon. Every check runs real /usr/bin/python3 processes over loopback TCP.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requirePythonPyro4 } from '../helpers/python.js';
import { pythonClient, startTestDaemon, type Attempt, type TestDaemon } from '../pyro/harness.js';

type Canon = unknown;

function failed(a: Attempt | undefined, label: string): Extract<Attempt, { ok: false }>['error'] {
  assert.ok(a, `${label}: no result`);
  assert.equal(a.ok, false, `${label}: expected an exception, got ${JSON.stringify(a)}`);
  return (a as Extract<Attempt, { ok: false }>).error;
}

function value(a: Attempt | undefined, label: string): unknown {
  assert.ok(a, `${label}: no result`);
  assert.equal(a.ok, true, `${label}: ${JSON.stringify(a)}`);
  return (a as Extract<Attempt, { ok: true }>).value;
}

const S = (s: string): Canon => ['S', s];
const I = (n: number): Canon => ['I', String(n)];
const N: Canon = ['N'];
const dict = (entries: [string, Canon][]): Canon => ['D', entries.map(([k, v]) => [S(k), v]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))];

describe('Python Pyro4.Proxy -> TypeScript daemon', { timeout: 240_000 }, () => {
  let d: TestDaemon;
  const memo = new Map<string, Promise<unknown>>();
  /** Runs a scenario once for all the tests that read its result. */
  const once = <T>(scenario: string): Promise<T> => {
    if (!memo.has(scenario)) memo.set(scenario, pythonClient<T>(scenario, d.uri));
    return memo.get(scenario) as Promise<T>;
  };
  before(async () => {
    requirePythonPyro4();
    d = await startTestDaemon();
  });
  after(() => d?.daemon.close());

  test('every serpent value a Python caller sends comes back equal (Python ==)', async () => {
    const r = await once<{ name: string; equal: boolean; sent: Canon; got: Canon }[]>('echo_corpus');
    assert.ok(r.length >= 40, `only ${r.length} values`);
    const wrong = r.filter((e) => !e.equal);
    assert.deepEqual(wrong, [], 'values not equal after the round trip');
  });

  test('echoed values keep their exact Python type (a float stays a float, a tuple a tuple)', async () => {
    const r = await once<{ name: string; equal: boolean; sent: Canon; got: Canon }[]>('echo_corpus');
    const wrong = r.filter((e) => e.sent !== null && JSON.stringify(e.sent) !== JSON.stringify(e.got));
    assert.deepEqual(wrong.map((e) => ({ name: e.name, sent: e.sent, got: e.got })), []);
  });

  test('values built in TS reach Python as the documented Python types', async () => {
    const r = await pythonClient<{ names: string[]; expected_names: string[]; mismatches: unknown[] }>('ts_values', d.uri);
    assert.deepEqual(r.names, r.expected_names);
    assert.deepEqual(r.mismatches, []);
  });

  test('keyword arguments bind as in Python, with Python TypeError messages', async () => {
    const r = await pythonClient<Record<string, Attempt>>('kwargs', d.uri);
    assert.deepEqual(value(r['positional'], 'positional'), dict([['a', I(1)], ['b', I(2)], ['c', N]]));
    assert.deepEqual(value(r['one kw'], 'one kw'), dict([['a', I(1)], ['b', I(2)], ['c', I(3)]]));
    assert.deepEqual(value(r['all kw'], 'all kw'), dict([['a', I(5)], ['b', I(6)], ['c', S('z')]]));
    assert.deepEqual(value(r['all positional'], 'all positional'), dict([['a', I(1)], ['b', I(2)], ['c', I(3)]]));
    const cases: [string, RegExp][] = [
      ['missing', /missing 1 required positional argument: 'a'/],
      ['missing with kw', /missing 1 required positional argument: 'a'/],
      // Python counts self, and so must we: this is the text a Python daemon sends.
      ['too many', /echo_kwargs\(\) takes from 2 to 4 positional arguments but 5 were given/],
      ['unknown kw', /got an unexpected keyword argument 'd'/],
      ['duplicate', /got multiple values for argument 'a'/],
      ['proto kw', /got an unexpected keyword argument '__proto__'/],
      ['no-params method given an arg', /count\(\) takes 1 positional argument but 2 were given/],
    ];
    for (const [name, pattern] of cases) {
      const e = failed(r[name], name);
      assert.equal(e.class, 'builtins.TypeError', name);
      assert.match(e.str, pattern, name);
    }
    assert.deepEqual(value(r['still served'], 'still served'), S('ok'));
  });

  test('exceptions are rebuilt as the right Python class with args and a remote traceback', async () => {
    const r = await once<Record<string, Attempt>>('exceptions');
    const expect: [string, string, unknown[]][] = [
      ['ValueError', 'builtins.ValueError', ['bad value', I(42)]],
      ['TypeError', 'builtins.TypeError', ['wrong type']],
      ['KeyError', 'builtins.KeyError', ['k']],
      ['AttributeError', 'builtins.AttributeError', ['no such thing']],
      ['RuntimeError no args', 'builtins.RuntimeError', []],
      ['PyroError', 'Pyro4.errors.PyroError', ['pyro says no']],
    ];
    for (const [name, cls, args] of expect) {
      const e = failed(r[name], name);
      assert.equal(e.class, cls, name);
      assert.deepEqual(e.args, args, name);
      assert.ok(e.remote_tb.length > 0, `${name}: no _pyroTraceback`);
      assert.ok(e.pyro_tb_has_remote, `${name}: Pyro4.util.getPyroTraceback shows no remote traceback`);
    }
    const js = failed(r['js error'], 'js error');
    assert.ok(js.class.startsWith('builtins.'), `a JS error becomes a builtins exception, got ${js.class}`);
    assert.ok(js.remote_tb.length > 0);
    assert.deepEqual(value(r['still served'], 'still served'), S('ok'));
  });

  test('unknown, private and JS-prototype method names are AttributeError from the daemon', async () => {
    const r = await once<Record<string, Attempt>>('exceptions');
    assert.equal(failed(r['unknown method (client side)'], 'client side').class, 'builtins.AttributeError');
    for (const name of ['unknown method (daemon)', 'private method (daemon)', '__getattr__ (daemon)', 'toString (daemon)', 'constructor (daemon)', '__proto__ (daemon)']) {
      const e = failed(r[name], name);
      assert.equal(e.class, 'builtins.AttributeError', `${name}: ${e.str}`);
    }
  });

  test('an unknown object is refused at the handshake, and is DaemonError("unknown object") on invoke', async () => {
    const r = await once<Record<string, Attempt>>('exceptions');
    const hs = failed(r['unknown object (handshake)'], 'handshake');
    assert.equal(hs.class, 'Pyro4.errors.CommunicationError');
    assert.match(hs.str, /rejected: .*unknown object/);
    for (const oid of ['no.such.object', 'constructor', '__proto__', 'toString']) {
      const e = failed(r[`unknown object ${oid} (invoke)`], oid);
      assert.equal(e.class, 'Pyro4.errors.DaemonError', oid);
      assert.match(e.str, /unknown object/, oid);
    }
  });

  test('oneway: the caller returns before the handler finishes, and the daemon sees the call', async () => {
    const before = d.state.records.length;
    const r = await pythonClient<{ oneway_set: string[]; records_right_after: Canon; records_later: Canon; records_end: Canon }>('oneway', d.uri);
    assert.deepEqual(r.oneway_set, ['record', 'slow_record']);
    const strings = (c: Canon): string[] => ((c as [string, [string, string][]])[1]).map((x) => x[1]);
    assert.ok(!strings(r.records_right_after).includes('slow'), 'the oneway call returned only after the handler finished');
    assert.ok(strings(r.records_later).includes('slow'));
    assert.ok(strings(r.records_end).includes('still works'));
    assert.deepEqual(d.state.records.slice(before), ['first', 'slow', 'still works']);
  });

  test('batch: results in order, an exception stops the batch, oneway batches', async () => {
    const r = await pythonClient<{ results: Canon; error: { class: string; args: unknown[] }; before_error: Canon[]; count_after: number; oneway_result: Canon; records: Canon }>('batch', d.uri);
    assert.deepEqual(r.results, ['L', [I(1), dict([['a', I(2)], ['b', I(2)], ['c', I(3)]]), ['T', [I(1), S('t')]]]]);
    assert.equal(r.error.class, 'builtins.ValueError');
    assert.deepEqual(r.error.args, ['in batch']);
    assert.equal(r.before_error.length, 1);
    const firstCount = Number((r.before_error[0] as [string, string])[1]);
    assert.equal(r.count_after, firstCount + 1, 'the call after the failing one in the batch must not run');
    assert.deepEqual(r.oneway_result, N);
    assert.ok(JSON.stringify(r.records).includes('batched oneway'));
  });

  test('_pyroBind metadata and the built-in Pyro.Daemon object', async () => {
    const r = await pythonClient<Record<string, unknown>>('metadata', d.uri);
    const methods = ['count', 'echo', 'echo_kwargs', 'fail', 'js_error', 'records', 'sleep', 'sleeping', 'values', 'whoami'];
    assert.deepEqual(r['methods'], [...methods, 'record', 'slow_record'].sort());
    assert.deepEqual(r['oneway'], ['record', 'slow_record']);
    assert.deepEqual(r['attrs'], []);
    assert.equal(r['ping'], true);
    assert.deepEqual(r['daemon_ping'], N);
    assert.deepEqual(r['registered'], ['Pyro.Daemon', 'test.object']);
    assert.equal(typeof r['info'], 'string');
    assert.deepEqual(r['get_metadata'], { attrs: [], methods: [...methods, 'record', 'slow_record'].sort(), oneway: ['record', 'slow_record'] });
    assert.deepEqual(r['get_metadata_sets'], r['get_metadata']);
    const unknown = failed(r['get_metadata_unknown'] as Attempt, 'get_metadata unknown');
    assert.equal(unknown.class, 'Pyro4.errors.DaemonError');
    assert.deepEqual(value(r['without_metadata'] as Attempt, 'METADATA=False'), S('plain'));
  });

  test('correlation id and caller address reach the handler', async () => {
    const r = await pythonClient<{ host: string; port: number; local_host: string; local_port: number; correlation: string; expected_correlation: string }>('caller', d.uri);
    assert.equal(r.host, '127.0.0.1');
    assert.equal(r.port, r.local_port);
    assert.equal(r.correlation.replace(/-/g, '').toLowerCase(), r.expected_correlation.replace(/-/g, '').toLowerCase());
  });

  test('zlib compression: compressed requests are read, replies are readable', async () => {
    const r = await pythonClient<{ small: boolean; big: boolean; kw: boolean; sent: { type: number; flags: number }[]; received: { type: number; flags: number }[] }>('compression', d.uri);
    assert.ok(r.small && r.big && r.kw);
    assert.ok(r.sent.some((m) => m.type === 4 && (m.flags & 2) !== 0), 'Python sent no compressed INVOKE');
    // A compressed request gets a compressed reply when that is smaller, as Pyro4 with COMPRESSION does.
    assert.ok(r.received.some((m) => m.type === 5 && (m.flags & 2) !== 0), 'the daemon never compressed a large reply');
  });

  test('json serializer is accepted', async () => {
    const r = await pythonClient<Record<string, Attempt>>('serializer', d.uri, { serializer: 'json' });
    assert.deepEqual(value(r['echo'], 'json echo'), dict([['a', ['L', [I(1), ['F', '4004000000000000'], S('x'), N, ['B', true]]]]]));
    assert.deepEqual(value(r['kwargs'], 'json kwargs'), dict([['a', I(1)], ['b', I(2)], ['c', S('z')]]));
    const e = failed(r['error'], 'json error');
    assert.equal(e.class, 'builtins.ValueError');
    assert.deepEqual(e.args, ['json err', I(1)]);
  });

  for (const serializer of ['pickle', 'marshal']) {
    test(`${serializer} serializer is refused with a message naming the problem`, async () => {
      const r = await pythonClient<Record<string, Attempt>>('serializer', d.uri, { serializer });
      const e = failed(r['echo'], serializer);
      assert.ok(e.is_communication_error || e.class.startsWith('Pyro4.errors.'), `${e.class}: ${e.str}`);
      assert.match(e.str, /serializ/i);
      assert.equal(d.daemon.connectionCount >= 0, true);
    });
  }
});

describe('Python Pyro4.Proxy -> TypeScript daemon: HMAC', { timeout: 120_000 }, () => {
  let keyed: TestDaemon;
  let open: TestDaemon;
  before(async () => {
    requirePythonPyro4();
    keyed = await startTestDaemon({ hmacKey: 'sesame' });
    open = await startTestDaemon();
  });
  after(async () => {
    await keyed?.daemon.close();
    await open?.daemon.close();
  });

  test('same key on both sides: calls work', async () => {
    const r = await pythonClient<Record<string, Attempt>>('hmac', keyed.uri, { key: 'sesame' });
    assert.deepEqual(value(r['echo'], 'echo'), S('secret'));
    assert.deepEqual(value(r['kwargs'], 'kwargs'), dict([['a', I(1)], ['b', I(2)], ['c', S('x')]]));
  });

  test('no key on either side: calls work', async () => {
    const r = await pythonClient<Record<string, Attempt>>('hmac', open.uri, {});
    assert.deepEqual(value(r['echo'], 'echo'), S('secret'));
  });

  for (const [label, which, key] of [
    ['mismatched keys', 'keyed', 'wrong'],
    ['key on the daemon only', 'keyed', undefined],
    ['key on the client only', 'open', 'sesame'],
  ] as const) {
    test(`${label}: the Python caller gets a security/communication error`, async () => {
      const target = which === 'keyed' ? keyed : open;
      const r = await pythonClient<Record<string, Attempt>>('hmac', target.uri, key === undefined ? {} : { key });
      const e = failed(r['echo'], label);
      assert.ok(e.is_communication_error || e.is_security_error, `${e.class}: ${e.str}`);
      // and a correct client is still served afterwards
      const ok = await pythonClient<Record<string, Attempt>>('hmac', target.uri, which === 'keyed' ? { key: 'sesame' } : {});
      assert.deepEqual(value(ok['echo'], 'after'), S('secret'));
    });
  }
});

describe('Python Pyro4.Proxy -> TypeScript daemon: load', { timeout: 240_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    requirePythonPyro4();
    d = await startTestDaemon();
  });
  after(() => d?.daemon.close());

  test('a 10 MB bytes and a 10 MB str payload make the round trip', async () => {
    const r = await pythonClient<Record<string, unknown>>('large', d.uri, { size: 10 * 1024 * 1024 }, 180_000);
    assert.deepEqual(r, { bytes_len: 10 * 1024 * 1024, bytes_equal: true, str_len: 10 * 1024 * 1024, str_equal: true, after: true });
  });

  test('50 concurrent Python proxies are all answered while one call sleeps 5 s on another connection', async () => {
    const r = await pythonClient<{ events: string[]; errors: string[]; slow: unknown }>('concurrency', d.uri, { n: 50, seconds: 5 }, 120_000);
    assert.deepEqual(r.errors, []);
    assert.equal(r.slow, 5);
    const slowDone = r.events.indexOf('slow done');
    const allFast = r.events.indexOf('all fast joined');
    assert.equal(r.events.indexOf('slow started'), 0, r.events.join(', '));
    assert.equal(r.events.filter((e) => /^fast \d+$/.test(e)).length, 50);
    assert.ok(allFast >= 0 && slowDone > allFast, `the slow call finished before the 50 fast ones: ${r.events.join(', ')}`);
  });
});
