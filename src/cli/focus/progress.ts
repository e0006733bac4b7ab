import { pad6, FocuserStatus, type StatusReport } from './status-format.js';
import type { Style } from './style.js';

export interface ProgressFrame {
  /** Where the move started (the first position seen). */
  start: number;
  current: number;
  target: number;
  /** Steps per second, null until two samples have been seen. */
  rate: number | null;
}

/** `2.4 s`, `1:05 min`: the time left at `rate`, or `--` when unknown. */
export function formatTimeLeft(remaining: number, rate: number | null): string {
  if (remaining === 0) return '0.0 s';
  if (rate === null || rate <= 0) return '-- s';
  const seconds = remaining / rate;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')} min`;
}

/**
 * One line of the live progress display, fitted to `columns`:
 * `[█████░░░░░] 004120 / 006000 steps  850 steps/s  2.2 s left`. The bar is dropped first, then
 * the rate and time, when the terminal is narrow.
 */
export function renderProgress(frame: ProgressFrame, columns: number, style: Style): string {
  const total = Math.abs(frame.target - frame.start);
  const done = Math.abs(frame.current - frame.start);
  const fraction = total === 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const remaining = Math.abs(frame.target - frame.current);
  const position = `${style.bold(pad6(frame.current))} / ${style.bold(pad6(frame.target))} steps`;
  const positionWidth = `${pad6(frame.current)} / ${pad6(frame.target)} steps`.length;
  const rate = frame.rate === null ? '-- steps/s' : `${Math.round(frame.rate)} steps/s`;
  const timing = `  ${rate}  ${formatTimeLeft(remaining, frame.rate)} left`;
  const width = Math.max(20, columns - 1);
  const fixed = positionWidth + timing.length;
  const barWidth = Math.min(40, width - fixed - 3);
  if (barWidth >= 10) {
    const filled = Math.round(fraction * barWidth);
    const bar = '█'.repeat(filled) + '░'.repeat(barWidth - filled);
    return `[${style.boldColour(bar, 'yellow')}] ${position}${timing}`;
  }
  return fixed <= width ? position + timing : position;
}

/** Estimates steps per second from successive positions, smoothed so one slow poll does not jump. */
export class RateEstimator {
  private last: { position: number; at: number } | null = null;
  private estimate: number | null = null;

  constructor(private readonly smoothing = 0.5) {}

  get rate(): number | null {
    return this.estimate;
  }

  sample(position: number, atMs: number): void {
    if (this.last !== null && atMs > this.last.at) {
      const speed = (Math.abs(position - this.last.position) * 1000) / (atMs - this.last.at);
      this.estimate = this.estimate === null ? speed : this.smoothing * this.estimate + (1 - this.smoothing) * speed;
    }
    this.last = { position, at: atMs };
  }
}

export interface ProgressDisplayOptions {
  /** Fetches a status report (on its own connection, so it runs while the move call waits). */
  poll: () => Promise<StatusReport>;
  write: (text: string) => void;
  columns: () => number;
  style: Style;
  intervalMs?: number;
  now?: () => number;
}

const asNumber = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null;

/**
 * The live progress line for `set`, `offset` and `home` on a terminal: polls report_status,
 * redraws one line in place, and erases it when stopped. A failed poll just skips a frame.
 */
export class ProgressDisplay {
  private timer: NodeJS.Timeout | null = null;
  private start: number | null = null;
  private readonly rate = new RateEstimator();
  private drawn = false;
  private stopped = false;
  private polling = false;

  constructor(private readonly options: ProgressDisplayOptions) {}

  private setStart(position: number): void {
    this.start ??= position;
  }

  /** Reads where the move starts, before the command is sent (a failure leaves it to the first poll). */
  async prime(): Promise<void> {
    try {
      const position = asNumber((await this.options.poll()).current_steps);
      if (position !== null) this.setStart(position);
    } catch {
      // the first poll sets the start instead
    }
  }

  begin(): void {
    const interval = this.options.intervalMs ?? 200;
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const report = await this.options.poll();
      if (this.stopped) return;
      const current = asNumber(report.current_steps);
      const target = asNumber(report.target_steps);
      if (current === null || target === null) return;
      this.setStart(current);
      this.rate.sample(current, (this.options.now ?? Date.now)());
      if (report.status !== FocuserStatus.Moving && !this.drawn) return;
      const frame: ProgressFrame = { start: this.start ?? current, current, target, rate: this.rate.rate };
      this.options.write('\r' + renderProgress(frame, this.options.columns(), this.options.style) + '\x1b[K');
      this.drawn = true;
    } catch {
      // the next poll tries again; the move itself is reported by the command
    } finally {
      this.polling = false;
    }
  }

  /** Stops polling and erases the line. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.options.write('\r\x1b[K');
    this.drawn = false;
  }
}
