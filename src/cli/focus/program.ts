import { Command, CommanderError } from 'commander';
import { parseStepArgument } from './arguments.js';
import * as commands from './commands.js';
import type { CommandContext } from './commands.js';

/** A parsed command line: the command to run against the daemon, or an exit code already decided. */
export type Parsed = { kind: 'run'; name: string; run: (ctx: CommandContext) => Promise<number> } | { kind: 'exit'; code: number };

export interface ProgramOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Every command, in the order the help lists them (the bash completion lists the same names). */
export const COMMAND_NAMES = ['set', 'offset', 'stop', 'home', 'status', 'json', 'init', 'kill'] as const;

/**
 * The `focus` command line. Parsing never exits the process: help and --version give code 0, bad
 * arguments print the command's usage (`usage: focus set <step position>`) and give -1.
 */
export function parseCommandLine(argv: readonly string[], version: string, io: ProgramOutput, scriptName = 'focus'): Parsed {
  let parsed: Parsed | null = null;
  const select = (name: string, run: (ctx: CommandContext) => Promise<number>): void => {
    parsed = { kind: 'run', name, run };
  };

  const program = new Command(scriptName)
    .description('Command line client for the FLI Atlas focuser daemon (focusd)')
    .usage('<command> [<args>]')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help (focus <command> --help for one command)')
    .helpCommand(false)
    .addHelpText(
      'after',
      '\nThe daemon is the one named in FOCUSD_CONFIG_PATH, or in the single /etc/focusd/*.json.\n' +
        "The exit status is the command's status code (0 on success; 155 when the daemon cannot be reached).\n" +
        'A failed command says why when the daemon knows (error: command failed: <reason>); 155 names the\n' +
        "daemon's address and the cause. Ctrl-C during set/offset/home sends stop() at once and waits for it;\n" +
        'a second Ctrl-C says it is waiting, a third exits without waiting and says whether the stop was sent.',
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showSuggestionAfterError(true);

  const general = 'general commands:';
  const engineering = 'engineering commands:';
  const add = (name: string, description: string, group: string): Command =>
    program
      .command(name)
      .description(description)
      .helpGroup(group)
      .helpOption('-h, --help', 'show this help')
      .exitOverride()
      .configureOutput({ writeOut: io.out, writeErr: io.err });

  add('set', 'request the focuser to move to a given absolute position', general)
    .argument('<position>', 'the step position to move to', parseStepArgument)
    .usage('<step position>')
    .action((position: bigint | number) => select('set', (ctx) => commands.set(ctx, position)));
  add('offset', 'request the focuser to move by a given offset delta', general)
    .argument('<delta>', 'the number of steps to move by (negative moves in)', parseStepArgument)
    .usage('<step delta>')
    .action((delta: bigint | number) => select('offset', (ctx) => commands.offset(ctx, delta)));
  add('stop', 'stop the focuser moving', general).action(() => select('stop', commands.stop));
  add('home', 'move to the home position (if the daemon offers it)', general).action(() => select('home', commands.home));
  add('status', 'print a human-readable summary of the focuser status', general).action(() => select('status', commands.status));
  add('json', 'print a machine-readable summary of the focuser status', general).action(() => select('json', commands.json));
  add('init', 'connect to the focuser', engineering).action(() => select('init', commands.init));
  add('kill', 'disconnect from the focuser', engineering).action(() => select('kill', commands.kill));

  if (argv.length === 0) {
    program.outputHelp();
    return { kind: 'exit', code: 0 };
  }

  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
      return { kind: 'exit', code: 0 };
    }
    const failing = program.commands.find((c) => c.name() === argv.find((a) => !a.startsWith('-')));
    const usage = failing
      ? [failing.name(), ...(failing.registeredArguments.length > 0 ? [failing.usage()] : [])].join(' ')
      : program.usage();
    io.err(`usage: ${scriptName} ${usage}\n`);
    return { kind: 'exit', code: -1 };
  }
  return parsed ?? { kind: 'exit', code: 0 };
}
