/**
 * Ctrl-C routing: the first SIGINT while a move waits goes to that move (which sends stop());
 * any other SIGINT (none listening, or a second one) goes to `unhandled`.
 */
export class Interrupts {
  private listeners: Array<() => void> = [];
  private count = 0;

  constructor(private readonly unhandled: () => void) {}

  /** Call on every SIGINT. */
  readonly signal = (): void => {
    this.count++;
    const listeners = this.listeners;
    this.listeners = [];
    if (this.count === 1 && listeners.length > 0) for (const l of listeners) l();
    else this.unhandled();
  };

  /** Listens for the next Ctrl-C; returns the function that stops listening. */
  on(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
