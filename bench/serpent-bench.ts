/**
 * Our serpent's throughput in a fresh process, as bench/reference/serpent_bench.py measures
 * Python's: `node dist/bench/serpent-bench.js BUDGET_MS NAME=FILE ...` prints one JSON line
 * {NAME: {"bytes", "decode_ops", "encode_ops"}} in operations per second.
 */
import { readFileSync } from 'node:fs';
import { tsSerpent } from './measures.js';

const [budget, ...specs] = process.argv.slice(2);
const payloads: Record<string, Buffer> = {};
for (const spec of specs) {
  const at = spec.indexOf('=');
  payloads[spec.slice(0, at)] = readFileSync(spec.slice(at + 1));
}
const out: Record<string, { bytes: number; decode_ops: number; encode_ops: number }> = {};
for (const [name, r] of Object.entries(tsSerpent(payloads, Number(budget ?? 400)))) {
  out[name] = { bytes: r.bytes, decode_ops: r.decodeOps, encode_ops: r.encodeOps };
}
process.stdout.write(JSON.stringify(out) + '\n');
