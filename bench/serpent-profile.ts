/**
 * Serpent decode micro-benchmark for profiling the parser alone (no daemons):
 * `node dist/bench/serpent-profile.js [BUDGET_MS] [--python] [--only=status|nested]`.
 * Decodes the benchmark payloads (bench/measures.ts) with parse() as the daemon calls it and prints
 * MB/s and ops/s; with --python also runs Python serpent 1.41 (bench/reference/serpent_bench.py)
 * on the same bytes and prints the ratio. Run under `node --cpu-prof` to find the hot spots.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nestedPayload, pythonSerpent, statusPayload } from './measures.js';
import { parse, serialize } from '../src/pyro/serpent/index.js';

const args = process.argv.slice(2);
const budget = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const withPython = args.includes('--python');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);

const payloads: Record<string, Buffer> = { status: serialize(statusPayload()), nested: serialize(nestedPayload()) };
const options = { maxDepth: 1000, maxLength: Number.MAX_SAFE_INTEGER, preserveFloats: true };

function rate(fn: () => unknown, budgetMs: number): number {
  const warm = performance.now();
  do fn();
  while (performance.now() - warm < budgetMs / 4);
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    fn();
    n++;
    const elapsed = performance.now() - t0;
    if (n >= 3 && elapsed >= budgetMs) return (n * 1000) / elapsed;
  }
}

let py: Record<string, { decodeOps: number }> = {};
if (withPython) {
  const dir = mkdtempSync(join(tmpdir(), 'serpent-profile-'));
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(payloads)) {
    files[name] = join(dir, `${name}.serpent`);
    writeFileSync(files[name], data);
  }
  py = pythonSerpent(files, budget);
}
for (const [name, data] of Object.entries(payloads)) {
  if (only !== undefined && name !== only) continue;
  const ops = rate(() => parse(data, options), budget);
  const mbs = (ops * data.length) / 1e6;
  const p = py[name];
  const ratio = p ? ` ${(ops / p.decodeOps).toFixed(1)}x Python (${p.decodeOps.toFixed(0)} ops/s)` : '';
  process.stdout.write(`${name.padEnd(7)} ${String(data.length).padStart(7)} B  ${ops.toFixed(0).padStart(8)} ops/s  ${mbs.toFixed(1).padStart(6)} MB/s${ratio}\n`);
}
