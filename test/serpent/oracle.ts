// Shared by the serpent interop tests: the canonical value form both languages build (see
// test/fixtures/serpent/serpent_oracle.py) and a runner for one Python oracle process per batch.
import { fromRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';
import { isPlainObject, PyComplex, PyDict, PyFloat, PySet, PyTuple, type PyValue } from '../../src/pyro/serpent/index.js';

export type Canon = [string, ...unknown[]];

function fbits(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString('hex');
}

/**
 * The canonical tagged tree of a TS value, mapped the way serialize() writes it (so an empty set
 * is a tuple, unless `emptySetAsTuple` is false: parse() of `set()` gives an empty PySet).
 */
export function canon(v: PyValue, emptySetAsTuple = true): Canon {
  const c = (x: PyValue): Canon => canon(x, emptySetAsTuple);
  switch (typeof v) {
    case 'boolean':
      return ['B', v];
    case 'string':
      return ['S', v];
    case 'bigint':
      return ['I', v.toString()];
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? ['I', String(v)] : ['F', fbits(v)];
    default:
      break;
  }
  if (v === null) return ['N'];
  if (v instanceof Uint8Array) return ['Y', Buffer.from(v).toString('hex')];
  if (v instanceof PyFloat) return ['F', fbits(v.value)];
  if (v instanceof PyComplex) return ['C', fbits(v.real), fbits(v.imag)];
  if (Array.isArray(v)) return ['L', v.map(c)];
  if (v instanceof PyTuple) return ['T', v.items.map(c)];
  // serpent writes an empty set as () (there is no empty-set literal), so Python reads a tuple.
  if (v instanceof PySet) return v.items.length === 0 && emptySetAsTuple ? ['T', []] : ['E', v.items.map(c)];
  if (v instanceof Set) return v.size === 0 && emptySetAsTuple ? ['T', []] : ['E', [...v].map(c)];
  if (v instanceof PyDict) return ['D', v.entries.map(([k, x]) => [c(k), c(x)])];
  if (v instanceof Map) return ['D', [...v.entries()].map(([k, x]) => [c(k), c(x)])];
  if (isPlainObject(v)) return ['D', Object.keys(v).map((k) => [['S', k], c(v[k]!)])];
  throw new Error('no canonical form for ' + String(v));
}

/** Orders set items and dict entries (Python and JS iterate them differently) for comparison. */
export function normalize(c: unknown): unknown {
  if (!Array.isArray(c)) return c;
  const [tag, ...rest] = c as [string, ...unknown[]];
  if (tag === 'L' || tag === 'T') return [tag, (rest[0] as unknown[]).map(normalize)];
  if (tag === 'E') return [tag, (rest[0] as unknown[]).map(normalize).sort(byJson)];
  if (tag === 'D') {
    const entries = (rest[0] as [unknown, unknown][]).map(([k, x]) => [normalize(k), normalize(x)]);
    return [tag, entries.sort((a, b) => byJson(a[0], b[0]))];
  }
  return c;
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface CorpusEntry {
  name: string;
  dump: string;
  canon: Canon;
  exact: boolean;
}
/** `redump` is null when serpent refuses to write back what it read (e.g. None in a set). */
export type LoadResult = { canon: Canon; redump: string | null } | { error: string };

function oracle<T>(request: object): T {
  const script = fromRoot('test', 'fixtures', 'serpent', 'serpent_oracle.py');
  const code = `import runpy, sys; sys.argv = [${JSON.stringify(script)}]; runpy.run_path(${JSON.stringify(script)}, run_name='__main__')`;
  return JSON.parse(runPython(code, JSON.stringify(request), 120_000)) as T;
}

/** Values Python serpent dumps, with the canonical form Python reads back from each. */
export const pythonCorpus = (): CorpusEntry[] => oracle<CorpusEntry[]>({ mode: 'corpus' });

/** Python serpent.loads (and ast.literal_eval) on each document, in one process. */
export const pythonLoad = (docs: Buffer[]): LoadResult[] =>
  oracle<LoadResult[]>({ mode: 'load', docs: docs.map((d) => d.toString('base64')) });
