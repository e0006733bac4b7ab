import { basename } from 'node:path';
import { ConfigFileError, ConfigSchemaError, PhoneBookError } from '../config/index.js';
import type { FocusdConfig } from '../config/index.js';
import { communicationFailureText, isCommunicationFailure, pyroConnector, remoteErrorText } from './focus/client.js';
import { codeHasMessage, codeMessage, ExitCode, exitStatus } from './focus/codes.js';
import { lastError, StopAbandonedError, UnexpectedReplyError, UnsupportedCommandError, type CommandContext } from './focus/commands.js';
import { ConfigDiscoveryError, discoverConfig } from './focus/config-discovery.js';
import { Interrupts } from './focus/interrupts.js';
import { parseCommandLine } from './focus/program.js';
import { styleFor } from './focus/style.js';
import { VERSION } from '../generated/version.js';

/**
 * `focus <command>`: rockit's focuser command line. Prints what the command returned and exits
 * with its status code (negative codes as the shell sees Python's sys.exit: -101 -> 155).
 */

const printErr = (line: string): void => void process.stderr.write(line + '\n');

function finish(code: number, reason: string | null = null): never {
  if (codeHasMessage(code)) printErr(reason === null ? codeMessage(code) : `${codeMessage(code)}: ${sentenceCase(reason)}`);
  process.exit(exitStatus(code));
}

/** The daemon's reason, without the words upstream's line already says (`Focuser not found: `). */
function reasonFor(code: number, lastError: string | null): string | null {
  if (lastError === null) return null;
  return code === ExitCode.DeviceNotFound ? lastError.replace(/^Focuser not found: /, '') : lastError;
}

/** `Move timed out ...` reads `move timed out ...` after a colon; `USB ...` stays as it is. */
const sentenceCase = (text: string): string => (/^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text);

/** Codes whose cause the daemon keeps (report_status's last_error): the line says why. */
const EXPLAINED: ReadonlySet<number> = new Set([ExitCode.Failed, ExitCode.DeviceNotFound]);

/** The message for an error thrown while running a command, and the code to exit with. */
function failure(e: unknown, config: FocusdConfig | null): { code: number; message: string | null } {
  if (e instanceof StopAbandonedError) return { code: ExitCode.TerminatedByUser, message: e.message };
  if (isCommunicationFailure(e)) return { code: ExitCode.NoDaemon, message: config === null ? null : communicationFailureText(config, e) };
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
  const parsed = parseCommandLine(process.argv.slice(2), VERSION, {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  }, scriptName);
  if (parsed.kind === 'exit') process.exit(exitStatus(parsed.code));

  let config: FocusdConfig | null = null;
  let ctx: CommandContext | null = null;
  let code: number;
  try {
    config = discoverConfig(process.env);
    ctx = {
      config,
      connect: pyroConnector(config),
      print: (line) => void process.stdout.write(line + '\n'),
      style: styleFor(process.stdout),
      progress: process.stderr.isTTY
        ? { write: (t) => void process.stderr.write(t), columns: () => process.stderr.columns ?? 80, style: styleFor(process.stderr) }
        : null,
      onInterrupt: (handler) => interrupts.on(handler),
      notice: printErr,
    };
    code = await parsed.run(ctx);
  } catch (e) {
    const { code: failed, message } = failure(e, config);
    if (message !== null) {
      printErr(message);
      process.exit(exitStatus(failed));
    }
    code = failed;
  }
  finish(code, ctx !== null && EXPLAINED.has(code) ? reasonFor(code, await lastError(ctx)) : null);
}

await main();
