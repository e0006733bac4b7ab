import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PyroDaemon, PyroProxy, PythonError, RemotePythonError } from '../../src/pyro/index.js';

test('replies json cannot carry become exceptions, and the daemon keeps serving', async () => {
  const daemon = new PyroDaemon({ host: '127.0.0.1', port: 0 });
  daemon.register('o', {
    methods: {
      bytesResult: { call: () => new Uint8Array([1, 2]) },
      bytesInException: {
        call: () => {
          throw new PythonError('builtins.ValueError', [new Uint8Array([1])]);
        },
      },
      ok: { call: () => 'fine' },
    },
  });
  const { port } = await daemon.start();
  const proxy = new PyroProxy(`PYRO:o@127.0.0.1:${port}`, { serializer: 'json', timeoutMs: 5000 });
  try {
    await assert.rejects(proxy.call('bytesResult'), (e: unknown) => e instanceof RemotePythonError && e.pythonClass === 'Pyro4.errors.SerializeError');
    await assert.rejects(
      proxy.call('bytesInException'),
      (e: unknown) => e instanceof RemotePythonError && e.pythonClass === 'Pyro4.errors.PyroError' && /Error serializing exception/.test(String(e.args[0])),
    );
    assert.equal(await proxy.call('ok'), 'fine');
  } finally {
    proxy.close();
    await daemon.close();
  }
});
