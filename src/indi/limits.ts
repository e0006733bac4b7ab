/** Protective limits of the INDI server; each has a safe default and can be set per server. */
export interface IndiLimits {
  /** Bytes of one top-level element a client sends (INDI commands are a few hundred bytes). */
  maxElementBytes: number;
  /** Elements open at once in what a client sends. */
  maxDepth: number;
  /** Attributes on one element. */
  maxAttributes: number;
  /** Open client connections; one more gets a message saying so and is closed. */
  maxConnections: number;
  /**
   * Bytes waiting to be sent to one client that is not reading them. Past this the client is
   * dropped: updates are pushed to every client, so a stalled one cannot be merely paused.
   */
  maxUnsentBytes: number;
  /** A started element must be complete within this time, or the connection is dropped (0: never). */
  elementTimeoutMs: number;
}

export const DEFAULT_INDI_LIMITS: IndiLimits = {
  maxElementBytes: 64 * 1024,
  maxDepth: 8,
  maxAttributes: 32,
  maxConnections: 1024,
  maxUnsentBytes: 1024 * 1024,
  elementTimeoutMs: 30_000,
};

export function resolveIndiLimits(given: Partial<IndiLimits> | undefined): IndiLimits {
  const limits = { ...DEFAULT_INDI_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`INDI limit ${name} must be a non-negative number, not ${String(value)}`);
  }
  return limits;
}
