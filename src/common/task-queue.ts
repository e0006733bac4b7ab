/** Runs tasks one at a time, in the order given: one exchange on a wire at a time. */
export class TaskQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task given before it has settled (succeeded or failed); its outcome. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves (never rejects) once every task given so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
