// Preloaded into focusd by the memory soak only (`node --expose-gc --import=<this file>`), never in
// production: on the soak's 'sample' message over the IPC channel it runs a full garbage collection
// and answers with the process's memory, so the soak reads what is live, not what is garbage; on
// { snapshot: path } it writes a heap snapshot there (for finding what grows).
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { MemorySample } from './memory-soak-core.js';

const gc = (globalThis as { gc?: () => void }).gc;
const send = process.send?.bind(process);
if (gc === undefined || send === undefined) {
  process.stderr.write('memory-probe: needs --expose-gc and an IPC channel (it is for the memory soak only)\n');
  process.exit(70);
}

process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m !== null && 'snapshot' in m && typeof m.snapshot === 'string') {
    gc();
    send({ snapshot: writeHeapSnapshot(m.snapshot) });
    return;
  }
  if (m !== 'sample') return;
  gc();
  const u = process.memoryUsage();
  const h = getHeapStatistics();
  const sample: Omit<MemorySample, 'calls' | 'seconds'> = {
    rss: u.rss,
    heapUsed: u.heapUsed,
    heapTotal: u.heapTotal,
    external: u.external,
    arrayBuffers: u.arrayBuffers,
    mallocedMemory: h.malloced_memory,
  };
  send(sample);
});
// The channel never keeps focusd alive: focusd decides when it ends.
process.channel?.unref();
