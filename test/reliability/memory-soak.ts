// `npm run soak:memory`: at least 2 million report_status calls against focusd --simulate from
// connections that come and go (100 at a time, each living 1-1000 calls), a move every 3 s, and
// focusd's memory sampled after a full GC (memory-soak-core.ts). Fails (exit 1) on any wrong
// answer, on heap used after GC drifting 1 MB or more from its value after the warm-up, or on RSS
// after GC more than 15 MB from it.
//
//   node dist/test/reliability/memory-soak.js [--calls N] [--warmup N] [--seed N] [--sample-s N]
//        [--deadline-s N] [--node-flag FLAG]... (e.g. --node-flag=--max-semi-space-size=1)
//        [--heap-snapshots DIR] (focusd's heap at the baseline and after the load, to compare)
import { describeMemorySoak, describeSample, memoryFigures, runMemorySoak, mb } from './memory-soak-core.js';

const MB = 1024 * 1024;
function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}
const nodeFlags = process.argv.filter((a) => a.startsWith('--node-flag=')).map((a) => a.slice('--node-flag='.length));
const calls = option('--calls', 2_000_000);
const warmupCalls = option('--warmup', Math.min(200_000, Math.floor(calls / 10)));
const summary = await runMemorySoak({
  calls,
  warmupCalls,
  concurrency: 100,
  maxLifetime: 1000,
  moveEveryMs: 3_000,
  sampleEveryMs: option('--sample-s', 10) * 1000,
  seed: option('--seed', 1),
  deadlineMs: option('--deadline-s', 3600) * 1000,
  nodeFlags,
  ...(process.argv.includes('--heap-snapshots') ? { heapSnapshots: process.argv[process.argv.indexOf('--heap-snapshots') + 1] as string } : {}),
  progress: (l) => process.stdout.write(`  ${l}\n`),
});
for (const line of describeMemorySoak(summary)) process.stdout.write(line + '\n');
process.stdout.write('samples (after GC):\n');
for (const s of summary.samples) process.stdout.write(`  ${describeSample(s)}\n`);
const f = memoryFigures(summary);
const problems = [...summary.violations];
if (Math.abs(f.heapDrift) >= MB || f.heapMaxAbove >= MB) problems.push(`heap used after GC drifted ${mb(f.heapDrift)} (at most ${mb(f.heapMaxAbove)} above) from the baseline (limit 1 MB)`);
if (Math.abs(f.rssDrift) > 15 * MB || f.rssMaxAbove > 15 * MB) problems.push(`RSS after GC moved ${mb(f.rssDrift)} (at most ${mb(f.rssMaxAbove)} above) from the baseline (limit 15 MB)`);
process.stdout.write(problems.length === 0 ? 'MEMORY SOAK PASSED\n' : `MEMORY SOAK FAILED:\n  ${problems.join('\n  ')}\n`);
process.exit(problems.length === 0 ? 0 : 1);
