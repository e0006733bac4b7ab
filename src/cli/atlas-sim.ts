import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../generated/version.js';
import { packageRoot } from './package-root.js';
import { parseOrExit, usageError } from './usage.js';
import { AtlasSimServer, SimulatedAtlas, SocketPathTakenError, hexBytes, statusName, type TranscriptEntry } from '../hardware/index.js';

/**
 * `atlas-sim [options] [socket]`: serves the simulated FLI Atlas on a Unix socket, so any libusb-1.0
 * program run with the stand-in library (build/usb-shim) sees it on the bus, and focusd reaches it
 * with `--simulate --simulator-socket`. Faults are set by flags at start and by commands on stdin.
 */

const SHIM_DIR = join(packageRoot() ?? '.', 'build', 'usb-shim');

const integer = (name: string, min = 0) => (value: string): number => {
  const n = /^0x[0-9a-f]+$/i.test(value) ? Number.parseInt(value, 16) : /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min} (decimal or 0x hex)`);
  return n;
};
const temperatures = (value: string): number[] => {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.length > 2 || list.some((t) => !Number.isFinite(t))) throw new InvalidArgumentError('give one or two degrees C, comma-separated');
  return list;
};

const COMMANDS = `commands (one per line on stdin):
  status                  the focuser's state as one JSON line
  unplug | replug         the USB device goes away / comes back
  unplug-after <ms>       unplug that many ms from now (e.g. mid-move)
  stall on|off            the motor stops advancing but reports moving
  short-reply on|off      every reply comes back one byte short
  wrong-echo on|off       replies that carry an echo echo the wrong byte
  reply-delay <ms>        hold each reply back this long
  step-rate <n>           motor speed, steps per second
  temperature <ch> <C>    set a sensor's reading
  help                    this list`;

interface Options {
  firmware: number;
  hardwareType: number;
  extent?: number;
  stepRate: number;
  position: number;
  serial: string;
  model: string;
  temperatures?: number[];
  transcript?: string;
  stalled?: boolean;
  shortReply?: boolean;
  wrongEcho?: boolean;
  replyDelay?: number;
  unplugAfter?: number;
}

function parse(argv: string[]): { socket: string; options: Options } {
  const program = new Command('atlas-sim')
    .description(
      'Serve a simulated FLI Atlas focuser (USB 0f18:0006, the same byte protocol as the real one) on a Unix socket.\n' +
        `Run any libusb-1.0 program against it:  ATLAS_SIM_SOCKET=<socket> LD_LIBRARY_PATH=${SHIM_DIR} <program>\n` +
        'or focusd:  focusd --simulate --simulator-socket <socket> <config.json>',
    )
    .argument('[socket]', 'Unix socket path to serve (default: $ATLAS_SIM_SOCKET)')
    .addOption(new Option('--firmware <revision>', 'firmware revision, the 80 01 reply and bcdDevice').argParser(integer('firmware', 0)).default(0x8043, '0x8043'))
    .addOption(new Option('--hardware-type <type>', '0xff (Atlas board), 0xfe, or 0x07 (older focuser)').argParser(integer('hardware type', 0)).default(0xff, '0xff'))
    .option('--extent <steps>', 'maximum position (default 100000; 0x07 boards: 2100/7000 from the firmware)', integer('extent', 1))
    .option('--step-rate <n>', 'motor speed, steps per second', integer('step rate', 1), 1000)
    .option('--position <steps>', 'starting position', integer('position', 0), 1000)
    .option('--serial <serial>', 'USB serial number (iSerialNumber)', 'SIM-ATLAS-0001')
    .option('--model <name>', 'model name, the 80 03 reply', 'Atlas Focuser')
    .option('--temperatures <c[,c]>', 'internal[,external] sensor readings in degrees C (default 21.5,18.25)', temperatures)
    .option('--transcript <file>', 'append every bulk transfer to <file> ("-": stdout)')
    .option('--stalled', 'start with the motor stalled')
    .option('--short-reply', 'start with every reply one byte short')
    .option('--wrong-echo', 'start with wrong echo bytes')
    .option('--reply-delay <ms>', 'hold each reply back this long', integer('reply delay', 0))
    .option('--unplug-after <ms>', 'unplug this long after starting', integer('unplug delay', 0))
    .version(VERSION, '-V, --version', 'print the version and exit')
    .addHelpText('after', `\n${COMMANDS}\n\nSIGINT or SIGTERM stops it and removes the socket.`);
  parseOrExit(program, argv);
  const socket = program.args[0] ?? process.env.ATLAS_SIM_SOCKET;
  if (socket === undefined || socket === '') usageError('atlas-sim', 'give the socket path (or set ATLAS_SIM_SOCKET)');
  return { socket, options: program.opts<Options>() };
}

const onOff = (word: string | undefined): boolean => {
  if (word === 'on' || word === undefined) return true;
  if (word === 'off') return false;
  throw new Error(`expected on or off, not "${word}"`);
};
const number = (word: string | undefined, what: string): number => {
  const n = Number(word);
  if (word === undefined || !Number.isFinite(n)) throw new Error(`${what} must be a number`);
  return n;
};

function command(sim: SimulatedAtlas, server: AtlasSimServer, line: string): string {
  const [verb, a, b] = line.trim().split(/\s+/);
  switch (verb) {
    case undefined:
    case '':
      return '';
    case 'status':
      return JSON.stringify({
        position: sim.position,
        moving: sim.moving,
        status: sim.status,
        extent: sim.extent,
        step_rate: sim.stepRate,
        unplugged: sim.unplugged,
        stalled: sim.isStalled,
        halts: sim.haltCount,
        connections: server.connections,
      });
    case 'unplug':
      sim.unplug();
      return 'ok';
    case 'replug':
      sim.replug();
      return 'ok';
    case 'unplug-after':
      sim.unplugAfter(number(a, 'ms'));
      return 'ok';
    case 'stall':
      sim.setStalled(onOff(a));
      return 'ok';
    case 'short-reply':
      sim.setShortReply(onOff(a));
      return 'ok';
    case 'wrong-echo':
      sim.setWrongEcho(onOff(a));
      return 'ok';
    case 'reply-delay':
      sim.setReplyDelay(number(a, 'ms'));
      return 'ok';
    case 'step-rate':
      sim.setStepRate(number(a, 'steps per second'));
      return 'ok';
    case 'temperature':
      sim.setTemperature(number(a, 'channel'), number(b, 'degrees'));
      return 'ok';
    case 'help':
      // One line, so a program driving atlas-sim reads one answer per command (--help has the list).
      return 'commands: status, unplug, replug, unplug-after <ms>, stall on|off, short-reply on|off, wrong-echo on|off, reply-delay <ms>, step-rate <n>, temperature <channel> <C>, help';
    default:
      throw new Error(`unknown command "${verb}" (try help)`);
  }
}

function transcriptLine(e: TranscriptEntry): string {
  const data = e.status === 0 ? hexBytes(e.bytes) : statusName(e.status);
  return `${e.connection} ${e.direction} ${e.endpoint.toString(16).padStart(2, '0')}: ${data}\n`;
}

async function main(argv: string[]): Promise<void> {
  const { socket, options } = parse(argv);
  const sim = new SimulatedAtlas({
    firmwareRevision: options.firmware,
    hardwareType: options.hardwareType,
    stepRate: options.stepRate,
    position: options.position,
    serialNumber: options.serial,
    model: options.model,
    ...(options.extent !== undefined ? { extent: options.extent } : {}),
    ...(options.temperatures ? { temperatures: options.temperatures } : {}),
  });
  if (options.stalled) sim.setStalled(true);
  if (options.shortReply) sim.setShortReply(true);
  if (options.wrongEcho) sim.setWrongEcho(true);
  if (options.replyDelay !== undefined) sim.setReplyDelay(options.replyDelay);

  const transcriptTo = options.transcript;
  const server = new AtlasSimServer({
    sim,
    log: (line) => process.stderr.write(`atlas-sim: ${line}\n`),
    ...(transcriptTo !== undefined
      ? { transcript: (e: TranscriptEntry) => (transcriptTo === '-' ? process.stdout.write(transcriptLine(e)) : appendFileSync(transcriptTo, transcriptLine(e))) }
      : {}),
  });
  // Installed before anything is served, so a signal at any moment stops it cleanly; a second
  // signal, or a close that takes more than two seconds, ends it at once.
  let stopping = false;
  let stdin: ReturnType<typeof createInterface> | null = null;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    stdin?.close();
    setTimeout(() => process.exit(1), 2000).unref();
    void server.close().then(() => {
      process.stdout.write('atlas-sim: stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    await server.listen(socket);
  } catch (e) {
    const why = e instanceof SocketPathTakenError ? e.message : `cannot serve ${socket}: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`atlas-sim: ${why}\n`);
    process.exit(1);
  }
  if (options.unplugAfter !== undefined) sim.unplugAfter(options.unplugAfter);

  const hw = `0x${sim.hardwareType.toString(16).padStart(2, '0')}`;
  process.stdout.write(
    `atlas-sim: serving ${sim.model} ${sim.serialNumber} (firmware 0x${sim.firmwareRevision.toString(16)}, hardware type ${hw}, extent ${sim.extent} steps, position ${sim.position}) on ${socket}\n`,
  );

  stdin = createInterface({ input: process.stdin, terminal: false });
  stdin.on('line', (line) => {
    let answer: string;
    try {
      answer = command(sim, server, line);
    } catch (e) {
      answer = `error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (answer !== '') process.stdout.write(answer + '\n');
  });
}

await main(process.argv);
