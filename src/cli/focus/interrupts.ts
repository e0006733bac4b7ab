/**
 * Ctrl-C routing. While a move waits, every SIGINT goes to the move's handler with how many it has
 * had (the first sends stop(), a second waits for it, a third gives up waiting); any other SIGINT
 * goes to `unhandled`.
 */
export class Interrupts {
  private handler: ((count: number) => void) | null = null;
  private count = 0;

  constructor(private readonly unhandled: () => void) {}

  /** Call on every SIGINT. */
  readonly signal = (): void => {
    if (this.handler === null) return this.unhandled();
    this.count++;
    this.handler(this.count);
  };

  /** Routes each Ctrl-C to `handler`, counting from 1, until the returned function is called. */
  on(handler: (count: number) => void): () => void {
    this.handler = handler;
    this.count = 0;
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }
}
