import { readFileSync } from 'node:fs';
import { parseJson } from './json.js';
import { ConfigFileError, ConfigSchemaError, type Violation } from './errors.js';
import { loadPhoneBook, type DaemonEntry, type PhoneBook } from './phonebook.js';
import { validateConfigDocument } from './validators.js';
import { sortViolations, toViolations } from './violations.js';

/** The focusd configuration, in upstream rockit's file format (`rockit.focuser.atlas.Config`). */
export interface FocusdConfig {
  file: string;
  /** The phone book name, e.g. `warwick_focuser`. */
  daemonName: string;
  daemon: DaemonEntry;
  logName: string;
  controlMachines: string[];
  /** The control machines' IPs: callers from anywhere else get InvalidControlIP. */
  controlIps: string[];
  /** Seconds, as in the file. */
  moveTimeout: number;
}

interface RawConfig {
  daemon: string;
  log_name: string;
  control_machines: string[];
  move_timeout: number;
}

/**
 * Validates a parsed config document; returns the violations (empty when valid). The keys and
 * types are checked by CONFIG_SCHEMA (compiled ahead of time); the daemon and machine names, which
 * upstream checks with its custom `daemon_name` and `machine_name` keywords, against the phone book
 * here, with the same messages.
 */
export function validateConfig(document: unknown, phoneBook: PhoneBook): Violation[] {
  const violations = validateConfigDocument(document) ? [] : toViolations(validateConfigDocument.errors);
  const doc = document as Partial<Record<keyof RawConfig, unknown>> | null;
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    if (typeof doc.daemon === 'string' && !phoneBook.daemons.has(doc.daemon)) {
      violations.push({ path: '/daemon', message: `'${doc.daemon}' is not a valid daemon name` });
    }
    if (Array.isArray(doc.control_machines)) {
      doc.control_machines.forEach((name: unknown, i) => {
        if (typeof name === 'string' && !phoneBook.machines.has(name)) {
          violations.push({ path: `/control_machines/${i}`, message: `'${name}' is not a valid machine name` });
        }
      });
    }
  }
  return sortViolations(violations);
}

/** Parses and validates config JSON text. Throws `ConfigFileError` or `ConfigSchemaError`. */
export function parseConfig(text: string, file: string, phoneBook: PhoneBook = loadPhoneBook()): FocusdConfig {
  let document: unknown;
  try {
    document = parseJson(text);
  } catch (e) {
    throw new ConfigFileError(file, (e as Error).message);
  }
  const violations = validateConfig(document, phoneBook);
  if (violations.length > 0) throw new ConfigSchemaError(file, violations);
  const raw = document as RawConfig;
  const daemon = phoneBook.daemons.get(raw.daemon) as DaemonEntry;
  return {
    file,
    daemonName: raw.daemon,
    daemon,
    logName: raw.log_name,
    controlMachines: [...raw.control_machines],
    controlIps: raw.control_machines.map((m) => phoneBook.machines.get(m) as string),
    moveTimeout: raw.move_timeout,
  };
}

/** Reads, parses and validates a config file. Throws `ConfigFileError` or `ConfigSchemaError`. */
export function loadConfig(file: string, phoneBook: PhoneBook = loadPhoneBook()): FocusdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigFileError(file, err.code === 'ENOENT' ? 'no such file' : err.message);
  }
  return parseConfig(text, file, phoneBook);
}
