// `npm run soak`: 200 connections x 1,000 mixed calls against `focusd --simulate` on loopback,
// bounded in time. Exits 1 on any violation (a request not answered exactly once with the right
// kind of answer, an error line in the daemon log, RSS after the soak more than 20% above the
// baseline taken after a warm-up).
//
//   node dist/test/reliability/soak.js [--connections N] [--calls N] [--seed N] [--deadline-s N]
import { describeSoak, runSoak } from './soak-core.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

const connections = option('--connections', 200);
const calls = option('--calls', 1000);
const seed = option('--seed', 1);
const deadlineMs = option('--deadline-s', 600) * 1000;
process.stdout.write(`soak: ${connections} connections x ${calls} calls against focusd --simulate on 127.0.0.1, seed ${seed}, deadline ${deadlineMs / 1000} s\n`);
const summary = await runSoak({ connections, callsPerConnection: calls, seed, deadlineMs, progress: (l) => process.stdout.write(l + '\n') });
for (const line of describeSoak(summary)) process.stdout.write(line + '\n');
const problems = [...summary.violations];
if (summary.calls !== connections * calls) problems.push(`${summary.calls} of ${connections * calls} calls answered`);
if (summary.logErrors.length > 0) problems.push(`daemon log errors: ${summary.logErrors.slice(0, 5).join('; ')}`);
if (summary.rssAfter > summary.rssBefore * 1.2) problems.push('RSS after the soak is more than 20% above the baseline');
if (summary.rssAfter < summary.rssBefore * 0.8) problems.push('RSS after the soak is more than 20% below the baseline');
process.stdout.write(problems.length === 0 ? 'SOAK PASSED\n' : `SOAK FAILED:\n  ${problems.join('\n  ')}\n`);
process.exit(problems.length === 0 ? 0 : 1);
