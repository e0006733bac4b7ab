import { CommanderError, type Command } from 'commander';
import { errorLine } from '../logging/index.js';

/** Exit status for a command line that could not be understood (as getopt and argparse use). */
export const USAGE_EXIT = 2;

/**
 * Parses `argv` (node's, program name first) with `program`. Help and --version print and exit 0;
 * a usage error is one line on stderr with a hint to --help, exit 2, instead of commander's
 * message followed by the whole help.
 */
export function parseOrExit(program: Command, argv: readonly string[]): void {
  const name = program.name();
  program.exitOverride().configureOutput({ outputError: () => undefined });
  try {
    program.parse([...argv]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
    usageError(name, e.message);
  }
}

/** Writes `<name>: <problem> (<name> --help shows the usage)` and exits with status 2. */
export function usageError(name: string, problem: string): never {
  const text = problem.replace(/^error:\s*/, '').split('\n')[0]?.trim() ?? problem;
  process.stderr.write(errorLine(`${name}: ${text} (${name} --help shows the usage)`));
  process.exit(USAGE_EXIT);
}
