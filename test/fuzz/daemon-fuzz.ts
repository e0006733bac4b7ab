// The daemon fuzzer: a PyroDaemon in a child process (daemon-child.ts) is fed mutated valid frames
// over real loopback sockets, many connections at a time, in random chunkings, with the client
// ending each connection in one of several rude ways. After every batch the child must still be
// alive, a clean PyroProxy call must be answered, and the daemon's connection count must fall back
// (no leaked connection). Everything the daemon sends back must be a well-formed reply frame.
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { MessageDecoder, MessageType, PyroProxy, ProtocolError, pyObject, serialize } from '../../src/pyro/index.js';
import { fromRoot } from '../helpers/paths.js';
import { start } from '../helpers/process.js';
import { FUZZ_OBJECT, chunk, chunking, encodeSpec, mutatedFrame, mutation, mutate } from './generators.js';

export interface FuzzChild {
  child: ChildProcess;
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts dist/test/fuzz/daemon-child.js and waits for its port. */
export async function startFuzzChild(hmacKey = ''): Promise<FuzzChild> {
  const run = start(process.execPath, [fromRoot('dist', 'test', 'fuzz', 'daemon-child.js'), hmacKey], { lifetimeMs: 3_600_000 });
  const m = await run.waitFor(/LISTENING (\d+)/, 15_000);
  return {
    child: run.child,
    port: Number(m[1]),
    stderr: run.stderr,
    async stop() {
      run.child.stdin?.end(); // the child exits when its stdin closes
      const t = setTimeout(() => run.child.kill('SIGKILL'), 3_000);
      await run.exited;
      clearTimeout(t);
    },
  };
}

interface ConnectionScript {
  handshake: 'valid' | 'mutated' | 'none';
  frames: Buffer[];
  cuts: number[];
  ending: 'end' | 'wait' | 'destroy';
}

const handshakeFrame = (hmacKey: string): Buffer =>
  encodeSpec(
    {
      type: MessageType.CONNECT,
      flags: 16,
      seq: 0,
      serializerId: 1,
      annotations: [],
      payload: serialize(pyObject([['handshake', 'hello'], ['object', FUZZ_OBJECT]])),
      hmac: true,
    },
    hmacKey,
  );

const connectionScript = (hmacKey: string): fc.Arbitrary<ConnectionScript> =>
  fc
    .record({
      handshake: fc.constantFrom('valid', 'valid', 'valid', 'mutated', 'none') as fc.Arbitrary<ConnectionScript['handshake']>,
      handshakeMutations: fc.array(mutation, { minLength: 1, maxLength: 2 }),
      frames: fc.array(mutatedFrame, { minLength: 1, maxLength: 5 }),
      cuts: chunking,
      ending: fc.constantFrom('end', 'wait', 'wait', 'destroy') as fc.Arbitrary<ConnectionScript['ending']>,
    })
    .map((s) => {
      const hello = handshakeFrame(hmacKey);
      const first = s.handshake === 'valid' ? [hello] : s.handshake === 'mutated' ? [mutate(hello, s.handshakeMutations)] : [];
      return { handshake: s.handshake, frames: [...first, ...s.frames], cuts: s.cuts, ending: s.ending };
    });

export interface FuzzStats {
  connections: number;
  frames: number;
  replies: number;
  daemonClosed: number;
  batches: number;
}

const REPLY_TYPES: ReadonlySet<number> = new Set([MessageType.CONNECTOK, MessageType.CONNECTFAIL, MessageType.RESULT, MessageType.PING]);

/** Runs one connection's script; resolves with the replies seen and whether the daemon closed. */
function runConnection(port: number, script: ConnectionScript): Promise<{ replies: number; closedByDaemon: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const decoder = new MessageDecoder({ maxMessageSize: 1 << 24 });
    let replies = 0;
    let problem: Error | null = null;
    let weEnded = false;
    const hardStop = setTimeout(() => socket.destroy(), 5_000);
    socket.on('data', (d: Buffer) => {
      try {
        for (const m of decoder.push(d)) {
          replies++;
          if (!REPLY_TYPES.has(m.type)) problem ??= new Error(`daemon sent message type ${m.type}`);
        }
      } catch (e) {
        problem ??= new Error(`daemon sent a malformed frame: ${(e as ProtocolError).message}`);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(hardStop);
      if (problem) reject(problem);
      else resolve({ replies, closedByDaemon: !weEnded });
    });
    socket.once('connect', () => {
      void (async () => {
        for (const piece of chunk(Buffer.concat(script.frames), script.cuts)) {
          if (socket.destroyed) return;
          socket.write(piece);
          await new Promise((r) => setImmediate(r));
        }
        if (script.ending === 'destroy') {
          weEnded = true;
          socket.destroy();
        } else if (script.ending === 'end') {
          socket.end();
        } else {
          await sleep(150);
          weEnded = !socket.destroyed;
          socket.destroy();
        }
      })();
    });
  });
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(workers);
}

/**
 * Fuzzes a running child daemon with `batches` batches of `perBatch` connections; throws at the
 * first violation, naming the batch and seed so it can be replayed.
 */
export async function fuzzDaemon(
  child: FuzzChild,
  options: { batches: number; perBatch: number; seed: number; hmacKey?: string; concurrency?: number; onBatch?: (stats: FuzzStats) => void },
): Promise<FuzzStats> {
  const stats: FuzzStats = { connections: 0, frames: 0, replies: 0, daemonClosed: 0, batches: 0 };
  const hmacKey = options.hmacKey ?? '';
  const proxy = new PyroProxy(`PYRO:${FUZZ_OBJECT}@127.0.0.1:${child.port}`, { timeoutMs: 10_000, hmacKey: hmacKey || undefined });
  try {
    for (let b = 0; b < options.batches; b++) {
      const seed = options.seed + b;
      const scripts = fc.sample(connectionScript(hmacKey), { numRuns: options.perBatch, seed });
      await pool(scripts, options.concurrency ?? 25, async (s) => {
        const r = await runConnection(child.port, s);
        stats.connections++;
        stats.frames += s.frames.length;
        stats.replies += r.replies;
        if (r.closedByDaemon) stats.daemonClosed++;
      });
      if (child.child.exitCode !== null || child.child.signalCode !== null) {
        throw new Error(`fuzz daemon died in batch ${b} (seed ${seed}): ${child.stderr()}`);
      }
      const tag = `alive ${b}`;
      const echoed = await proxy.call('echo', [tag]);
      if (echoed !== tag) throw new Error(`after batch ${b} (seed ${seed}) echo answered ${String(echoed)}`);
      // Every fuzz connection is gone: the count falls back to the proxy's own connection.
      const until = Date.now() + 5_000;
      for (;;) {
        const open = await proxy.call('connections');
        if (open === 1) break;
        if (Date.now() > until) throw new Error(`after batch ${b} (seed ${seed}) the daemon still counts ${String(open)} connections`);
        await sleep(50);
      }
      stats.batches++;
      options.onBatch?.(stats);
    }
  } finally {
    proxy.close();
  }
  if (/UNCAUGHT/.test(child.stderr())) throw new Error(`fuzz daemon reported: ${child.stderr()}`);
  return stats;
}
