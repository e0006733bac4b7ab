/**
 * A server's limits: its defaults with what was given laid over them. Every limit is a count, a
 * size or a time, so each must be a non-negative number; `what` names the server in the error.
 */
export function resolveLimits<L extends { [K in keyof L]: number }>(defaults: L, given: Partial<L> | undefined, what: string): L {
  const limits: L = { ...defaults, ...given };
  for (const [name, value] of Object.entries<number>(limits)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} limit ${name} must be a non-negative number, not ${String(value)}`);
  }
  return limits;
}
