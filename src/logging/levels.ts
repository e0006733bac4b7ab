/**
 * Log levels by the names an operator types: Python's (DEBUG, INFO, WARNING, ERROR, CRITICAL), as a
 * rockit operator knows them, and pino's own (trace, warn, fatal, silent), in any case.
 */
export type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const NAMES: ReadonlyMap<string, PinoLevel> = new Map([
  ['trace', 'trace'],
  ['debug', 'debug'],
  ['info', 'info'],
  ['warning', 'warn'],
  ['warn', 'warn'],
  ['error', 'error'],
  ['critical', 'fatal'],
  ['fatal', 'fatal'],
  ['silent', 'silent'],
]);

export const LEVEL_NAMES_HELP = 'DEBUG, INFO, WARNING, ERROR or CRITICAL (any case; also TRACE, WARN, FATAL, SILENT)';

export class LogLevelError extends Error {
  readonly code = 'LOG_LEVEL';
  constructor(readonly given: string, source: string) {
    super(`${source}=${given} is not a log level: use ${LEVEL_NAMES_HELP}`);
    this.name = 'LogLevelError';
  }
}

/** The pino level for a name; `source` names where it came from, for the error. */
export function parseLogLevel(name: string, source = 'FOCUSD_LOG_LEVEL'): PinoLevel {
  const level = NAMES.get(name.trim().toLowerCase());
  if (level === undefined) throw new LogLevelError(name, source);
  return level;
}

/** syslog priorities, as journald files them: `journalctl -p warning` shows 4 and below. */
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2; // crit
  if (pinoLevel >= 50) return 3; // err
  if (pinoLevel >= 40) return 4; // warning
  if (pinoLevel >= 30) return 6; // info
  return 7; // debug
}

/** The Python name of a pino level number, for readable lines. */
export function levelLabel(pinoLevel: number): string {
  if (pinoLevel >= 60) return 'CRITICAL';
  if (pinoLevel >= 50) return 'ERROR';
  if (pinoLevel >= 40) return 'WARNING';
  if (pinoLevel >= 30) return 'INFO';
  if (pinoLevel >= 20) return 'DEBUG';
  return 'TRACE';
}
