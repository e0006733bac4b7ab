import pino, { type Logger } from 'pino';
import type { LogForwarder } from './forwarder.js';

/**
 * focusd's log: pino JSON lines on stdout (journald keeps them), with info, warning and error
 * lines also handed to the observatory log forwarder under the config's log_name.
 */
export interface FocusdLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warning(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Local only: never forwarded (used for the forwarder's own failures). */
  local: Logger;
}

export interface FocusdLogOptions {
  logName: string;
  forwarder?: LogForwarder | null;
  /** Defaults to stdout, written synchronously so nothing is lost on exit. */
  destination?: pino.DestinationStream;
  level?: string;
}

export function createFocusdLog(options: FocusdLogOptions): FocusdLog {
  const local = pino(
    { base: { log_name: options.logName }, level: options.level ?? process.env.FOCUSD_LOG_LEVEL ?? 'info', timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  const forwarder = options.forwarder ?? null;
  return {
    local,
    debug: (message, fields) => local.debug(fields ?? {}, message),
    info(message, fields) {
      local.info(fields ?? {}, message);
      forwarder?.forward('info', message);
    },
    warning(message, fields) {
      local.warn(fields ?? {}, message);
      forwarder?.forward('warning', message);
    },
    error(message, fields) {
      local.error(fields ?? {}, message);
      forwarder?.forward('error', message);
    },
  };
}
