// `npm run fuzz`: the fuzz properties of npm test with over a million cases in process (serpent
// parser, frame decoder and the daemon's decode path), plus a long daemon fuzz over loopback
// sockets against child-process daemons with and without an HMAC key. Prints the counts; exits
// 1 at the first failure with fast-check's report (seed and path replay it: add it to
// test/fuzz/regressions.test.ts).
//
//   node dist/test/fuzz/long-run.js [--cases N] [--daemon-batches N] [--seed N]
import { runPython } from '../helpers/python.js';
import { fuzzDaemon, startFuzzChild } from './daemon-fuzz.js';
import { FUZZ_OBJECT } from './generators.js';
import { fuzzProperties } from './properties.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a number`);
  return v;
}

const totalCases = option('--cases', 1_000_000);
const daemonBatches = option('--daemon-batches', 100);
const baseSeed = option('--seed', Date.now() % 1_000_000);
const CHUNK = 10_000;
const SLOW_CASE_MS = 2_000;

const started = Date.now();
let peakRss = process.memoryUsage().rss;
const rssAtStart = peakRss;
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;

function fail(message: string): never {
  process.stdout.write(`\nFUZZ FAILURE after ${elapsed()}\n${message}\n`);
  process.exit(1);
}

process.stdout.write(`fuzz long run: ${totalCases} in-process cases, ${daemonBatches} daemon batches per daemon, base seed ${baseSeed}\n`);

const properties = fuzzProperties({ slowCaseMs: SLOW_CASE_MS });
const totalWeight = properties.reduce((s, p) => s + p.weight, 0);
const counts: Record<string, number> = {};
let inProcess = 0;
for (const [i, p] of properties.entries()) {
  const target = i === properties.length - 1 ? totalCases - inProcess : Math.round((totalCases * p.weight) / totalWeight);
  let done = 0;
  let chunkIndex = 0;
  const t0 = Date.now();
  while (done < target) {
    const numRuns = Math.min(CHUNK, target - done);
    const seed = baseSeed + i * 100_000 + chunkIndex++;
    const outcome = p.run({ numRuns, seed });
    if (outcome.failed) fail(`property: ${p.name}\nseed: ${seed}, numRuns ${numRuns}\n${outcome.report}`);
    done += outcome.numRuns;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  counts[p.name] = done;
  inProcess += done;
  process.stdout.write(`  ${String(done).padStart(8)} cases  ${p.name}  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}

const daemonTotals = { connections: 0, frames: 0, replies: 0, daemonClosed: 0 };
for (const hmacKey of ['', 'fuzz-key']) {
  const child = await startFuzzChild(hmacKey);
  const label = hmacKey ? 'daemon with HMAC key' : 'daemon without key';
  try {
    const rssBefore = await childRss(child.port, hmacKey);
    const stats = await fuzzDaemon(child, { batches: daemonBatches, perBatch: 50, seed: baseSeed + (hmacKey ? 900_000 : 800_000), hmacKey });
    const echo = runPython(
      `import Pyro4\np = Pyro4.Proxy('PYRO:${FUZZ_OBJECT}@127.0.0.1:${child.port}')\np._pyroTimeout = 10\n` +
        (hmacKey ? `p._pyroHmacKey = b'${hmacKey}'\n` : '') +
        `print(p.echo('python after fuzz'))`,
    ).trim();
    if (echo !== 'python after fuzz') fail(`${label}: the Python proxy got ${echo}`);
    const rssAfter = await childRss(child.port, hmacKey);
    for (const k of Object.keys(daemonTotals) as (keyof typeof daemonTotals)[]) daemonTotals[k] += stats[k];
    process.stdout.write(
      `  ${String(stats.frames).padStart(8)} frames on ${stats.connections} connections  ${label}: ${stats.replies} replies, ` +
        `${stats.daemonClosed} closed by the daemon, RSS ${mb(rssBefore)} -> ${mb(rssAfter)}; Python proxy served after\n`,
    );
  } catch (e) {
    fail(`${label}: ${(e as Error).stack ?? String(e)}\nchild stderr:\n${child.stderr()}`);
  } finally {
    await child.stop();
  }
}

const total = inProcess + daemonTotals.frames;
process.stdout.write(
  `fuzz: ${total} cases in total, no failure: ${inProcess} in process + ${daemonTotals.frames} frames sent to daemons ` +
    `(${daemonTotals.connections} connections, ${daemonTotals.replies} replies); ${elapsed()}; ` +
    `this process's RSS ${mb(rssAtStart)} -> peak ${mb(peakRss)}\n`,
);
if (inProcess < 1_000_000 && totalCases >= 1_000_000) fail(`only ${inProcess} in-process cases ran`);

async function childRss(port: number, hmacKey: string): Promise<number> {
  const { PyroProxy } = await import('../../src/pyro/index.js');
  const p = new PyroProxy(`PYRO:${FUZZ_OBJECT}@127.0.0.1:${port}`, { timeoutMs: 10_000, hmacKey: hmacKey || undefined });
  try {
    return Number(await p.call('rss'));
  } finally {
    p.close();
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
