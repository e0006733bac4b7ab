/** Small statistics for the benchmark tables. All inputs are plain numbers; nothing here times anything. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The `q` quantile (0..1) by linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** The figure of a measure taken over several runs: the median, with the runs' min and max. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number;
  values: number[];
}

export function figure(values: readonly number[]): Figure {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0, values: [...values] };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), runs: finite.length, values: [...values] };
}
