import { writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { formatRecord, type LogFormat } from './format.js';
import type { LogForwarder } from './forwarder.js';
import type { PinoLevel } from './levels.js';

/**
 * focusd's log: records on stdout in the chosen format (journald, readable text or pino JSON), with
 * info, warning and error lines also handed to the observatory log forwarder under the config's
 * log_name.
 */
export interface FocusdLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warning(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Local only: never forwarded (wire trouble, the forwarder's own failures, the audit trail). */
  local: Logger;
}

export interface FocusdLogOptions {
  logName: string;
  forwarder?: LogForwarder | null;
  format?: LogFormat;
  level?: PinoLevel;
  /** Where finished lines go; defaults to stdout, written synchronously so nothing is lost on exit. */
  write?: (line: string) => void;
}

const writeStdout = (line: string): void => void writeSync(1, line);

/** Keys pino writes itself: a field of the same name would give a record two of them. */
const RESERVED = new Set(['level', 'time', 'msg', 'log_name']);

function renameReserved(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key of Object.keys(fields)) {
    if (!RESERVED.has(key)) continue;
    out ??= { ...fields };
    out[`field_${key}`] = out[key];
    delete out[key];
  }
  return out ?? fields;
}

/** pino's output stream: JSON lines as they are, or each record re-written as a readable line. */
function destination(format: LogFormat, write: (line: string) => void): pino.DestinationStream {
  if (format === 'json') return { write };
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          write(line + '\n');
          continue;
        }
        write(formatRecord(record, format) + '\n');
      }
    },
  };
}

export function createFocusdLog(options: FocusdLogOptions): FocusdLog {
  const format = options.format ?? 'text';
  const local = pino(
    {
      base: { log_name: options.logName },
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: renameReserved },
    },
    destination(format, options.write ?? writeStdout),
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
