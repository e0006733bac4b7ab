import { basename } from 'node:path';
import { ConfigFileError, ConfigSchemaError, PhoneBookError } from '../config/index.js';
import { pyroConnector, isCommunicationFailure, remoteErrorText } from './focus/client.js';
import { codeHasMessage, codeMessage, ExitCode, exitStatus } from './focus/codes.js';
import { UnexpectedReplyError, UnsupportedCommandError } from './focus/commands.js';
import { ConfigDiscoveryError, discoverConfig } from './focus/config-discovery.js';
import { Interrupts } from './focus/interrupts.js';
import { parseCommandLine } from './focus/program.js';
import { styleFor } from './focus/style.js';
import { packageVersion } from './package-root.js';

/**
 * `focus <command>`: rockit's focuser command line. Prints what the command returned and exits
 * with its status code (negative codes as the shell sees Python's sys.exit: -101 -> 155).
 */

const printErr = (line: string): void => void process.stderr.write(line + '\n');

function finish(code: number): never {
  if (codeHasMessage(code)) printErr(codeMessage(code));
  process.exit(exitStatus(code));
}

/** The message for an error thrown while running a command, and the code to exit with. */
function failure(e: unknown): { code: number; message: string | null } {
  if (isCommunicationFailure(e)) return { code: ExitCode.NoDaemon, message: null };
  if (e instanceof ConfigDiscoveryError || e instanceof UnexpectedReplyError || e instanceof UnsupportedCommandError) {
    return { code: ExitCode.Failed, message: e.message };
  }
  if (e instanceof ConfigFileError || e instanceof ConfigSchemaError || e instanceof PhoneBookError) {
    return { code: ExitCode.Failed, message: `error: ${e.message}` };
  }
  const remote = remoteErrorText(e);
  if (remote !== null) return { code: ExitCode.Failed, message: remote };
  return { code: ExitCode.Failed, message: `error: ${e instanceof Error ? e.message : String(e)}` };
}

async function main(): Promise<never> {
  const interrupts = new Interrupts(() => finish(ExitCode.TerminatedByUser));
  process.on('SIGINT', interrupts.signal);

  const scriptName = basename(process.argv[1] ?? 'focus');
  const parsed = parseCommandLine(process.argv.slice(2), packageVersion(), {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  }, scriptName);
  if (parsed.kind === 'exit') process.exit(exitStatus(parsed.code));

  let code: number;
  try {
    const config = discoverConfig(process.env);
    code = await parsed.run({
      config,
      connect: pyroConnector(config),
      print: (line) => void process.stdout.write(line + '\n'),
      style: styleFor(process.stdout),
      progress: process.stderr.isTTY
        ? { write: (t) => void process.stderr.write(t), columns: () => process.stderr.columns ?? 80, style: styleFor(process.stderr) }
        : null,
      onInterrupt: (listener) => interrupts.on(listener),
    });
  } catch (e) {
    const { code: failed, message } = failure(e);
    if (message !== null) {
      printErr(message);
      process.exit(exitStatus(failed));
    }
    code = failed;
  }
  finish(code);
}

await main();
