import { loadConfig, loadPhoneBook, type FocusdConfig } from '../config/index.js';
import {
  chooseLogFormat,
  chooseLogTarget,
  createFocusdLog,
  LogForwarder,
  parseLogLevel,
  pyroLogSender,
  type FocusdLog,
} from '../logging/index.js';
import { VERSION } from '../generated/version.js';
import { SimulatedAtlas, simSocketUsbBackend } from '../hardware/index.js';
import { PyroDaemon } from '../pyro/index.js';
import { deviceOpener } from './atlas-device.js';
import { BindError, explainBindFailure, isLocalAddress } from './bind-address.js';
import { controlIpCheck, focuserObject } from './focuser-object.js';
import { FocuserService } from './focuser-service.js';
import { simulatorObject } from './simulator-object.js';
import { startIndiFocuser, type IndiOptions, type RunningIndi } from './indi-focuser.js';

/** Options that do not go together. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FocusdOptions {
  configPath: string;
  /** Use the simulated Atlas instead of USB hardware. */
  simulate: boolean;
  /** With `simulate`: the simulated Atlas atlas-sim serves on this Unix socket instead of one in this process. */
  simulatorSocket?: string;
  /** Open the focuser with this serial number instead of the first one found. */
  serial?: string;
  /** Also serve the focuser over INDI (`--indi`). */
  indi?: IndiOptions;
  env?: NodeJS.ProcessEnv;
}

export interface RunningFocusd {
  uri: string;
  config: FocusdConfig;
  service: FocuserService;
  log: FocusdLog;
  /** Halts any move, closes the device, closes the Pyro daemon and flushes the log forwarder. */
  stop(): Promise<void>;
}

/**
 * Starts focusd as rockit's `config.daemon.launch(...)` does: bind the phone book's host:port,
 * register the focuser object under the daemon's object id (and `<id>.simulator` when simulating),
 * and announce `Starting daemon PYRO:<id>@<host>:<port>`.
 */
export async function runFocusd(options: FocusdOptions): Promise<RunningFocusd> {
  if (options.simulatorSocket !== undefined && !options.simulate) {
    throw new UsageError('--simulator-socket names a simulator: it needs --simulate (focusd never simulates unless told to)');
  }
  const env = options.env ?? process.env;
  const logFormat = chooseLogFormat(env);
  const logLevel = parseLogLevel(env.FOCUSD_LOG_LEVEL ?? 'info');
  const book = loadPhoneBook(env);
  const config = loadConfig(options.configPath, book);
  const { host, port, objectId } = config.daemon;
  if (!isLocalAddress(host)) {
    throw new BindError(
      `cannot listen on ${host}:${port} for ${config.daemonName}: ${host} is not an address of this machine (check the phone book entry)`,
    );
  }
  if (options.indi && !isLocalAddress(options.indi.host)) {
    throw new BindError(`cannot listen on ${options.indi.host}:${options.indi.port} for INDI (--indi): ${options.indi.host} is not an address of this machine`);
  }

  const target = await chooseLogTarget(book, env);
  const sender = target ? pyroLogSender(target.uri, target.timeout) : null;
  let log: FocusdLog | null = null;
  const forwarder = sender
    ? new LogForwarder({
        table: config.logName,
        send: sender.send,
        onFailure: (reason, level, message) =>
          log?.local.warn({ forward_to: target?.uri, forward_level: level, original: message }, `Failed to forward ${level} message to the log daemon: ${reason}`),
      })
    : null;
  log = createFocusdLog({ logName: config.logName, forwarder, format: logFormat, level: logLevel });
  const focusdLog = log;
  focusdLog.local.info({ log_daemon: target?.uri ?? null, via: target?.source ?? 'none' }, 'observatory log forwarding');

  const isControl = controlIpCheck(config.controlIps);
  const external = options.simulate && options.simulatorSocket !== undefined;
  const simulator = options.simulate && !external ? new SimulatedAtlas() : null;
  const service = new FocuserService({
    open: deviceOpener({
      simulator,
      usbBackend: external ? simSocketUsbBackend(options.simulatorSocket as string) : undefined,
      serialNumber: options.serial,
    }),
    log: {
      info: (m) => focusdLog.info(m),
      warning: (m) => focusdLog.warning(m),
      error: (m) => focusdLog.error(m),
    },
    moveTimeout: config.moveTimeout,
    isControl,
    audit: focusdLog.local.child({ component: 'audit' }),
  });

  // Wire-level trouble (bad frames, refused handshakes, dropped clients) goes to the journal only,
  // never to the observatory log: it is about a client, not the focuser.
  const daemon = new PyroDaemon({ host, port, logger: focusdLog.local.child({ component: 'pyro' }) });
  daemon.register(objectId, focuserObject(service));
  if (simulator) daemon.register(`${objectId}.simulator`, simulatorObject(simulator, isControl));
  let indi: RunningIndi | null = null;
  /** Halts any move, closes the focuser, then whatever has started (closing a daemon not yet listening is a no-op). */
  const closeAll = async (terminateMs: number, flushMs: number): Promise<void> => {
    await service.terminate(terminateMs);
    await indi?.close();
    await daemon.close();
    await forwarder?.close(flushMs);
    sender?.close();
  };
  let bound: { host: string; port: number };
  try {
    bound = await daemon.start();
  } catch (e) {
    await closeAll(1000, 0);
    throw explainBindFailure(e, host, port, config.daemonName);
  }
  const uri = `PYRO:${objectId}@${bound.host}:${bound.port}`;
  if (options.indi) {
    const { host: indiHost, port: indiPort, deviceName } = options.indi;
    try {
      indi = await startIndiFocuser({
        host: indiHost,
        port: indiPort,
        deviceName,
        service,
        driverVersion: VERSION,
        logger: focusdLog.local.child({ component: 'indi' }),
      });
    } catch (e) {
      await closeAll(1000, 0);
      throw explainBindFailure(e, indiHost, indiPort, 'INDI (--indi)');
    }
  }
  // The start and exit lines are written whatever the level, as upstream prints them: people and
  // tools wait for "Starting daemon" to learn the URI.
  const announce = focusdLog.local.child({}, { level: 'info' });
  announce.info(
    { version: VERSION, simulate: options.simulate, simulator_socket: options.simulatorSocket ?? null, config: config.file },
    `Starting daemon ${uri}`,
  );
  if (indi) announce.info({ indi: `${indi.host}:${indi.port}`, device: options.indi?.deviceName }, `Serving INDI device "${options.indi?.deviceName}" on ${indi.host}:${indi.port}`);

  let stopping: Promise<void> | null = null;
  return {
    uri,
    config,
    service,
    log: focusdLog,
    stop() {
      stopping ??= (async () => {
        await closeAll(5000, 1000);
        announce.info({}, `Exiting daemon ${uri}`);
      })();
      return stopping;
    },
  };
}
