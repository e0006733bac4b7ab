import { Command } from 'commander';
import { IndiAddressError, parseIndiAddress } from '../indi/index.js';
import { runFocusd, type RunningFocusd } from '../service/daemon.js';
import { DEFAULT_INDI_DEVICE } from '../service/indi-focuser.js';
import { packageVersion } from './package-root.js';

/**
 * `focusd [--simulate [--simulator-socket PATH]] [--serial SN] [--indi [HOST:]PORT [--indi-device NAME]] <config.json>`: the FLI Atlas focuser daemon.
 * Errors that stop it from starting are one `focusd: ...` message on stderr and exit status 1.
 */
const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

async function main(argv: string[]): Promise<void> {
  const program = new Command('focusd')
    .description('FLI Atlas focuser daemon for rockit (Pyro4 protocol 48, serpent)')
    .argument('<config>', 'path to the configuration json file (e.g. /etc/focusd/warwick.json)')
    .option('--simulate', 'use the simulated Atlas instead of USB hardware (also FOCUSD_SIMULATE=1)')
    .option('--simulator-socket <path>', "with --simulate: use the simulated Atlas atlas-sim serves on this socket (the one libusb programs can share)")
    .option('--serial <serial>', 'open the focuser with this USB serial number instead of the first found')
    .option('--indi <[host:]port>', 'also serve the focuser over INDI on this address (host 127.0.0.1 when omitted; also FOCUSD_INDI)')
    .option('--indi-device <name>', `the INDI device name (default "${DEFAULT_INDI_DEVICE}"; also FOCUSD_INDI_DEVICE)`)
    .showHelpAfterError();
  program.parse(argv);
  const configPath = program.args[0] as string;
  const opts = program.opts<{ simulate?: boolean; simulatorSocket?: string; serial?: string; indi?: string; indiDevice?: string }>();

  let running: RunningFocusd;
  try {
    const indiAddress = opts.indi ?? (process.env.FOCUSD_INDI?.trim() || undefined);
    const indiDevice = opts.indiDevice ?? (process.env.FOCUSD_INDI_DEVICE?.trim() || DEFAULT_INDI_DEVICE);
    if (indiAddress === undefined && opts.indiDevice !== undefined) throw new IndiAddressError('--indi-device names the INDI device: it needs --indi [HOST:]PORT');
    if (indiDevice.trim() === '') throw new IndiAddressError('the INDI device name (--indi-device) cannot be empty');
    running = await runFocusd({
      ...(indiAddress !== undefined ? { indi: { ...parseIndiAddress(indiAddress), deviceName: indiDevice } } : {}),
      version: packageVersion(),
      configPath,
      simulate: opts.simulate === true || truthy(process.env.FOCUSD_SIMULATE),
      ...(opts.serial !== undefined ? { serial: opts.serial } : {}),
      ...(opts.simulatorSocket !== undefined ? { simulatorSocket: opts.simulatorSocket } : {}),
    });
  } catch (e) {
    process.stderr.write(`focusd: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`focusd: ${signal} again, exiting at once\n`);
      process.exit(1);
    }
    signalled = true;
    running.log.local.info({ signal }, 'stopping: halting any move and closing the focuser');
    running.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`focusd: error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await main(process.argv);
