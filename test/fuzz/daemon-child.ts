// A PyroDaemon in its own process for the daemon fuzzer: a crash or an uncaught exception ends
// this process (and is reported on stderr), so the fuzzer sees it instead of dying with it.
// argv: [hmacKey]. Prints `LISTENING <port>`; exits when stdin closes (its parent went away).
import { setTimeout as sleep } from 'node:timers/promises';
import { PyroDaemon, PythonError, type PyValue } from '../../src/pyro/index.js';
import { FUZZ_OBJECT } from './generators.js';

process.on('uncaughtException', (err) => {
  process.stderr.write(`UNCAUGHT exception: ${err.stack ?? String(err)}\n`);
  process.exit(70);
});
process.on('unhandledRejection', (err) => {
  process.stderr.write(`UNCAUGHT rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(71);
});

const hmacKey = process.argv[2] || undefined;
const counts = { error: 0, warn: 0 };
const daemon = new PyroDaemon({
  host: '127.0.0.1',
  port: 0,
  hmacKey,
  limits: { maxMessageSize: 64 * 1024, maxDepth: 100, maxConnections: 300, handshakeTimeoutMs: 1500, idleTimeoutMs: 400, maxPipelined: 16 },
  logger: {
    debug: () => undefined,
    info: () => undefined,
    warn: () => void counts.warn++,
    error: (fields, message) => {
      counts.error++;
      process.stderr.write(`DAEMON-ERROR ${message} ${JSON.stringify(fields)}\n`);
    },
  },
});

let counted = 0;
daemon.register(FUZZ_OBJECT, {
  className: 'FuzzObject',
  methods: {
    echo: { params: [{ name: 'value' }], call: (a) => a.value ?? null },
    // Deliberately naive: `a + b` of two arbitrary values may throw a JS TypeError (a handler bug),
    // which must become a Python exception reply, never a crash.
    add: {
      params: [{ name: 'a' }, { name: 'b', default: 0 }],
      call: (a) => {
        const x = a.a as unknown as number;
        const y = a.b as unknown as number;
        const sum: unknown = x + y;
        return typeof sum === 'number' || typeof sum === 'string' || typeof sum === 'bigint' ? sum : null;
      },
    },
    fail: {
      params: [{ name: 'value', default: null }],
      call: (a): PyValue => {
        throw new PythonError('builtins.ValueError', [a.value ?? null]);
      },
    },
    slow: {
      params: [{ name: 'ms', default: 50 }],
      call: async (a, ctx) => {
        const ms = typeof a.ms === 'number' && Number.isFinite(a.ms) ? Math.min(Math.max(a.ms, 0), 200) : 50;
        await sleep(ms, null, { signal: ctx.signal }).catch(() => null);
        return ms;
      },
    },
    count: { call: () => ++counted },
    connections: { call: () => daemon.connectionCount },
    log_counts: { call: () => [counts.error, counts.warn] },
    rss: { call: () => process.memoryUsage().rss },
  },
});

const { port } = await daemon.start();
process.stdout.write(`LISTENING ${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => void daemon.close().then(() => process.exit(0)));
