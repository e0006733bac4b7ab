/**
 * The simulator's sense of time, in milliseconds. Only `now()` is required; without timer
 * functions the simulator uses the process's real timers for delayed replies and `unplugAfter`.
 */
export interface SimulatorClock {
  now(): number;
  setTimeout?(callback: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
}

export type SimulatorTimers = Required<SimulatorClock>;

/** Real time: `performance.now()` and the process's timers. */
export const realClock: SimulatorTimers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A clock that moves only when told to, for tests: `advance(ms)` runs the timers that fall due, in order. */
export class ManualClock implements SimulatorTimers {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Moves time forward by `ms`, running each timer that falls due at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.size;
  }
}

/** Fills in real timers for a clock that only has `now()`. */
export function withTimers(clock: SimulatorClock | undefined): SimulatorTimers {
  if (!clock) return realClock;
  const set = clock.setTimeout?.bind(clock);
  const clear = clock.clearTimeout?.bind(clock);
  return {
    now: () => clock.now(),
    setTimeout: set ?? realClock.setTimeout,
    clearTimeout: clear ?? realClock.clearTimeout,
  };
}
