import { fstatSync } from 'node:fs';
import { levelLabel, syslogPriority } from './levels.js';

/**
 * How focusd's log records are written on stdout:
 * - `journal`: one readable line per record, prefixed with its syslog priority (`<4>Focuser not
 *   found: ...`), which journald files as the entry's PRIORITY and strips from the message;
 * - `text`: a readable line with a UTC timestamp and the level's name, for a terminal or a file;
 * - `json`: pino's JSON lines, for log shippers.
 */
export type LogFormat = 'journal' | 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['journal', 'text', 'json'];

export class LogFormatError extends Error {
  readonly code = 'LOG_FORMAT';
  constructor(given: string) {
    super(`FOCUSD_LOG_FORMAT=${given} is not a log format: use journal, text, json or auto`);
    this.name = 'LogFormatError';
  }
}

/**
 * True when file descriptor `fd` is the journal stream systemd connected: JOURNAL_STREAM holds the
 * `device:inode` of that stream, and it only counts while `fd` still is that stream (a child whose
 * stdout was redirected inherits the variable but not the stream).
 */
export function isJournalStream(env: NodeJS.ProcessEnv, fd = 1): boolean {
  const expected = env.JOURNAL_STREAM;
  if (expected === undefined || expected === '') return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return `${stat.dev}:${stat.ino}` === expected.trim();
  } catch {
    return false;
  }
}

/**
 * A line for stderr saying why the program stops: with priority 3 (err) when stderr is the journal,
 * so `journalctl -p err` shows why a unit failed (journald files an unprefixed line as info).
 */
export function errorLine(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${isJournalStream(env, 2) ? '<3>' : ''}${text}\n`;
}

/** FOCUSD_LOG_FORMAT (journal, text, json, or auto/unset: journal when stdout is the journal, else text). */
export function chooseLogFormat(env: NodeJS.ProcessEnv, fd = 1): LogFormat {
  const given = (env.FOCUSD_LOG_FORMAT ?? '').trim().toLowerCase();
  if (given === '' || given === 'auto') return isJournalStream(env, fd) ? 'journal' : 'text';
  if ((LOG_FORMATS as readonly string[]).includes(given)) return given as LogFormat;
  throw new LogFormatError(env.FOCUSD_LOG_FORMAT ?? '');
}

/** Keys pino writes itself; the rest of a record are its fields. `log_name` is the same on every line. */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'log_name']);

const PLAIN = /^[^\s"=\\]+$/;

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return PLAIN.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** ` key=value key="two words"`: a record's fields in one line (newlines escaped). */
export function formatFields(record: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const [key, value] of Object.entries(record)) {
    if (OWN_KEYS.has(key) || value === undefined) continue;
    out += ` ${key}=${fieldValue(value)}`;
  }
  return out;
}

const oneLine = (text: string): string => text.replace(/\r?\n/g, '\\n');

/** One pino record as a readable line (without the newline), in the `journal` or `text` format. */
export function formatRecord(record: Readonly<Record<string, unknown>>, format: 'journal' | 'text'): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const message = oneLine(typeof record.msg === 'string' ? record.msg : '') + formatFields(record);
  if (format === 'journal') return `<${syslogPriority(level)}>${message}`;
  const time = typeof record.time === 'string' ? record.time : new Date().toISOString();
  return `${time} ${levelLabel(level).padEnd(7)} ${message}`;
}
