/** The exit status after an internal error (sysexits' EX_SOFTWARE): systemd's Restart=on-failure restarts focusd. */
export const INTERNAL_ERROR_EXIT = 70;

export interface LastResortOptions {
  /** Where the failure is written, at critical (pino's fatal, the journal's crit). */
  log: { fatal(fields: object, message: string): void };
  /** Halts any move and closes the focuser and the servers (focusd's orderly stop). */
  stop(): Promise<void>;
  exit(code: number): void;
  /** How long `stop` may take before the process exits anyway. */
  graceMs?: number;
}

/**
 * What focusd does with an exception nothing caught (a bug): no state is trusted after one, so
 * it is logged at critical with its stack, the focuser is halted and closed as on SIGTERM (bounded
 * by `graceMs`), and the process exits with INTERNAL_ERROR_EXIT for systemd to start it afresh.
 * Node's default would also exit, but without halting a moving focuser and with the stack on
 * stderr only, at no priority. A second failure while stopping exits at once.
 */
export function installLastResort(processLike: Pick<NodeJS.EventEmitter, 'on'>, options: LastResortOptions): void {
  const graceMs = options.graceMs ?? 3000;
  let failing = false;
  const fail = (kind: string, error: unknown): void => {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const what = error instanceof Error ? error.message : String(error);
    if (failing) {
      options.log.fatal({ err: stack }, `another internal error (${kind}) while stopping: ${what}; exiting now`);
      options.exit(INTERNAL_ERROR_EXIT);
      return;
    }
    failing = true;
    options.log.fatal(
      { err: stack },
      `internal error (${kind}): ${what}; halting the focuser and exiting with status ${INTERNAL_ERROR_EXIT} (systemd restarts focusd)`,
    );
    const timer = setTimeout(() => options.exit(INTERNAL_ERROR_EXIT), graceMs);
    const done = (): void => {
      clearTimeout(timer);
      options.exit(INTERNAL_ERROR_EXIT);
    };
    options.stop().then(done, done);
  };
  processLike.on('uncaughtException', (error: unknown) => fail('uncaught exception', error));
  processLike.on('unhandledRejection', (reason: unknown) => fail('unhandled promise rejection', reason));
}
