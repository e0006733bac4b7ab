/**
 * report_status round trips from our PyroProxy, in its own process (so it can be pinned to a CPU
 * like the Python client): `node dist/bench/latency-client.js URI CALLS WARMUP` prints one JSON
 * line {"p50_us", "p99_us", "mean_us", "calls"}.
 */
import { PyroProxy } from '../src/pyro/index.js';
import { quantile } from './stats.js';

async function main(): Promise<void> {
  const [uri, callsText, warmupText] = process.argv.slice(2);
  if (!uri) throw new Error('usage: latency-client.js URI CALLS WARMUP');
  const calls = Number(callsText ?? 2000);
  const warmup = Number(warmupText ?? 200);
  const proxy = new PyroProxy(uri, { timeoutMs: 10_000 });
  for (let i = 0; i < warmup; i++) await proxy.call('report_status');
  // For a profiler watching from outside: the timed calls start now.
  process.stderr.write('warm\n');
  const samples = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await proxy.call('report_status');
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  proxy.close();
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  process.stdout.write(JSON.stringify({ p50_us: quantile(samples, 0.5), p99_us: quantile(samples, 0.99), mean_us: mean, calls }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`latency-client: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
