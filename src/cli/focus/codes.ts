/**
 * The focus tool's return codes: the daemon's CommandStatus codes plus the two the tool itself
 * produces, with the messages rockit's `CommandStatus.message()` prints for them.
 */
export const ExitCode = {
  Succeeded: 0,
  Failed: 1,
  DeviceNotFound: 4,
  /** Bad arguments: the usage has been printed, no message follows. */
  Usage: -1,
  TerminatedByUser: -100,
  NoDaemon: -101,
} as const;

const MESSAGES: ReadonlyMap<number, string> = new Map([
  [1, 'error: command failed'],
  [2, 'error: another command is already running'],
  [3, 'error: command not accepted from this IP'],
  [4, 'error: device not found'],
  [6, 'error: requested position outside range'],
  [7, 'error: focuser is not connected'],
  [8, 'error: focuser is already connected'],
  [-100, 'error: terminated by user'],
  [-101, 'error: unable to communicate with focus daemon'],
]);

/** The line printed for a nonzero code (upstream's wording, including for codes it does not know). */
export function codeMessage(code: number): string {
  return MESSAGES.get(code) ?? `error: Unknown error code ${code}`;
}

/** Whether a code gets a message: everything but success and -1 (whose usage is already printed). */
export const codeHasMessage = (code: number): boolean => code !== 0 && code !== ExitCode.Usage;

/** The exit status the shell sees for a code, as for Python's `sys.exit(code)`: -101 -> 155. */
export function exitStatus(code: number): number {
  return ((Math.trunc(code) % 256) + 256) % 256;
}
