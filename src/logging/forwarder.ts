/**
 * Forwards log lines to rockit's observatory log daemon (`log_info(table, message)`,
 * `log_warning`, `log_error`), as rockit.common.log does, without ever holding up the caller:
 * lines go into a bounded queue and one sender drains it. A full queue drops the oldest line; a
 * failed send drops that line (rockit does the same) and is reported locally through `onFailure`.
 */
export type ForwardLevel = 'info' | 'warning' | 'error';

/** Sends one call to the log daemon; rejects on any failure. */
export type LogSender = (method: string, table: string, message: string) => Promise<void>;

export interface LogForwarderOptions {
  table: string;
  send: LogSender;
  /** Lines waiting beyond this are dropped, oldest first. */
  maxQueue?: number;
  /** Called (never throwing) when a line could not be delivered or was dropped. */
  onFailure?: (reason: string, level: ForwardLevel, message: string) => void;
}

const METHODS: Record<ForwardLevel, string> = { info: 'log_info', warning: 'log_warning', error: 'log_error' };

export class LogForwarder {
  private readonly queue: { level: ForwardLevel; message: string }[] = [];
  private readonly maxQueue: number;
  private sending: Promise<void> | null = null;
  private closed = false;
  delivered = 0;
  dropped = 0;

  constructor(private readonly options: LogForwarderOptions) {
    this.maxQueue = options.maxQueue ?? 256;
  }

  forward(level: ForwardLevel, message: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueue) {
      const lost = this.queue.shift();
      this.dropped++;
      if (lost) this.report('queue full, line dropped', lost.level, lost.message);
    }
    this.queue.push({ level, message });
    if (this.sending === null) this.sending = this.drain();
  }

  private report(reason: string, level: ForwardLevel, message: string): void {
    try {
      this.options.onFailure?.(reason, level, message);
    } catch {
      // reporting a failure must never become one
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let line = this.queue.shift(); line !== undefined; line = this.queue.shift()) {
        try {
          await this.options.send(METHODS[line.level], this.options.table, line.message);
          this.delivered++;
        } catch (e) {
          this.dropped++;
          this.report(e instanceof Error ? e.message : String(e), line.level, line.message);
        }
      }
    } finally {
      this.sending = null;
    }
  }

  /** Waits up to `timeoutMs` for queued lines to go out, then stops forwarding. */
  async close(timeoutMs = 1000): Promise<void> {
    const pending = this.sending;
    if (pending !== null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([pending, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.queue.length = 0;
  }
}
