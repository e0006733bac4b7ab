// Bounded daemon fuzzing (npm test): mutated valid frames over real loopback sockets against a
// PyroDaemon in a child process; after each batch the daemon must be alive and serving, and at the
// end a real Python Pyro4 proxy is served too. The long version is part of `npm run fuzz`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runPython } from '../helpers/python.js';
import { FUZZ_OBJECT } from './generators.js';
import { fuzzDaemon, startFuzzChild, type FuzzChild } from './daemon-fuzz.js';

const children: FuzzChild[] = [];
after(async () => {
  for (const c of children) await c.stop();
});

function pythonEcho(port: number, hmacKey = ''): string {
  return runPython(
    `
import Pyro4, sys
p = Pyro4.Proxy('PYRO:${FUZZ_OBJECT}@127.0.0.1:${port}')
p._pyroTimeout = 10
${hmacKey ? `p._pyroHmacKey = ${JSON.stringify(hmacKey)}.encode()` : ''}
print(p.echo({'after': 'fuzz', 'n': (1, 2.5, None)}))
print(p.connections())
`,
  ).trim();
}

describe('fuzz: daemon request handling over loopback (bounded)', { timeout: 300_000 }, () => {
  for (const hmacKey of ['', 'fuzz-key']) {
    test(`mutated frames${hmacKey ? ' against a daemon with an HMAC key' : ''}: the daemon keeps serving, no uncaught exception`, async () => {
      const child = await startFuzzChild(hmacKey);
      children.push(child);
      const stats = await fuzzDaemon(child, { batches: 6, perBatch: 40, seed: hmacKey ? 5100 : 4100, hmacKey });
      assert.equal(stats.batches, 6);
      assert.equal(stats.connections, 240);
      assert.ok(stats.replies > 0, 'the daemon never answered anything: the frames never got through');
      assert.deepEqual(pythonEcho(child.port, hmacKey).split('\n'), ["{'after': 'fuzz', 'n': (1, 2.5, None)}", '1']);
      assert.doesNotMatch(child.stderr(), /UNCAUGHT/);
      assert.equal(child.child.exitCode, null);
    });
  }
});
