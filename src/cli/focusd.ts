import { Command } from 'commander';
import { VERSION } from '../generated/version.js';
import { IndiAddressError, parseIndiAddress } from '../indi/index.js';
import { errorLine } from '../logging/index.js';
import { runFocusd, type RunningFocusd } from '../service/daemon.js';
import { systemdNotifier } from '../service/systemd-notify.js';
import { DEFAULT_INDI_DEVICE } from '../service/indi-focuser.js';
import { printFocusers } from './focuser-list.js';
import { installLastResort } from './last-resort.js';
import { parseOrExit, usageError } from './usage.js';

/**
 * `focusd [--simulate [--simulator-socket PATH]] [--serial SN] [--indi [HOST:]PORT [--indi-device NAME]] <config.json>`:
 * the FLI Atlas focuser daemon (also an INDI device with --indi);
 * `focusd [--simulate [--simulator-socket PATH]] --list`: the focusers on the bus.
 * Errors that stop it from starting are one `focusd: ...` message on stderr and exit status 1.
 */
const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

async function main(argv: string[]): Promise<void> {
  const program = new Command('focusd')
    .description('FLI Atlas focuser daemon for rockit (Pyro4 protocol 48, serpent)')
    .argument('[config]', 'path to the configuration json file (e.g. /etc/focusd/warwick.json)')
    .option('--list', 'list the FLI focusers on the USB bus (serial, model, firmware, whether another program holds one) and exit')
    .option('--simulate', 'use the simulated Atlas instead of USB hardware (also FOCUSD_SIMULATE=1)')
    .option('--simulator-socket <path>', "with --simulate: use the simulated Atlas atlas-sim serves on this socket (the one libusb programs can share)")
    .option('--serial <serial>', 'open the focuser with this USB serial number instead of the first found')
    .option('--indi <[host:]port>', 'also serve the focuser over INDI on this address (host 127.0.0.1 when omitted; also FOCUSD_INDI)')
    .option('--indi-device <name>', `the INDI device name (default "${DEFAULT_INDI_DEVICE}"; also FOCUSD_INDI_DEVICE)`)
    .version(VERSION, '-V, --version', 'print the version and exit')
    .addHelpText(
      'after',
      '\nEnvironment: FOCUSD_SIMULATE=1 (as --simulate), FOCUSD_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR; default INFO),\n' +
        'FOCUSD_LOG_FORMAT (journal, text, json; default: journal when stdout is the journal, else text),\n' +
        'FOCUSD_LOG_DAEMON (observatory log: a PYRO: URI, a phone book name, or none),\n' +
        'FOCUSD_INDI ([HOST:]PORT, as --indi), FOCUSD_INDI_DEVICE (as --indi-device).',
    );
  parseOrExit(program, argv);
  const opts = program.opts<{ simulate?: boolean; simulatorSocket?: string; serial?: string; list?: boolean; indi?: string; indiDevice?: string }>();
  const simulate = opts.simulate === true || truthy(process.env.FOCUSD_SIMULATE);
  if (opts.simulatorSocket !== undefined && !simulate) {
    process.stderr.write(errorLine('focusd: --simulator-socket names a simulator: it needs --simulate (focusd never simulates unless told to)'));
    process.exit(1);
  }
  if (opts.list === true) {
    const line = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text + '\n');
    process.exit(await printFocusers({ simulate, ...(opts.simulatorSocket !== undefined ? { simulatorSocket: opts.simulatorSocket } : {}) }, line(process.stdout), line(process.stderr)));
  }
  const configPath = program.args[0];
  if (configPath === undefined) usageError('focusd', "missing required argument 'config'");

  let running: RunningFocusd;
  try {
    const indiAddress = opts.indi ?? (process.env.FOCUSD_INDI?.trim() || undefined);
    const indiDevice = opts.indiDevice ?? (process.env.FOCUSD_INDI_DEVICE?.trim() || DEFAULT_INDI_DEVICE);
    if (indiAddress === undefined && opts.indiDevice !== undefined) throw new IndiAddressError('--indi-device names the INDI device: it needs --indi [HOST:]PORT');
    if (indiDevice.trim() === '') throw new IndiAddressError('the INDI device name (--indi-device) cannot be empty');
    running = await runFocusd({
      ...(indiAddress !== undefined ? { indi: { ...parseIndiAddress(indiAddress), deviceName: indiDevice } } : {}),
      configPath,
      simulate,
      ...(opts.serial !== undefined ? { serial: opts.serial } : {}),
      ...(opts.simulatorSocket !== undefined ? { simulatorSocket: opts.simulatorSocket } : {}),
    });
  } catch (e) {
    process.stderr.write(errorLine(`focusd: ${e instanceof Error ? e.message : String(e)}`));
    process.exit(1);
  }

  // Under systemd (Type=notify): ready once the port listens, then a watchdog heartbeat.
  const systemd = systemdNotifier({ warn: (message) => running.log.local.warn(message) });
  systemd.ready(`serving ${running.uri}`);
  installLastResort(process, {
    log: running.log.local,
    stop: () => {
      systemd.stopping();
      return running.stop();
    },
    exit: (code) => process.exit(code),
  });

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(errorLine(`focusd: ${signal} again, exiting at once`));
      process.exit(1);
    }
    signalled = true;
    systemd.stopping();
    running.log.local.info({ signal }, 'stopping: halting any move and closing the focuser');
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(errorLine(`focusd: error while stopping: ${e instanceof Error ? e.message : String(e)}`));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await main(process.argv);
