import { readFileSync } from 'node:fs';
import { Ajv, type SchemaValidateFunction } from 'ajv';
import { ConfigFileError, ConfigSchemaError, type Violation } from './errors.js';
import { loadPhoneBook, type DaemonEntry, type PhoneBook } from './phonebook.js';
import { toViolations } from './violations.js';

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

/**
 * Upstream's CONFIG_SCHEMA, keyword for keyword, with the custom keywords `daemon_name` and
 * `machine_name` checking names against the phone book. One addition: `move_timeout` must be
 * positive (upstream accepts any number, and a timeout of 0 or less fails every move).
 */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['daemon', 'log_name', 'control_machines', 'move_timeout'],
  properties: {
    daemon: { type: 'string', daemon_name: true },
    log_name: { type: 'string' },
    control_machines: { type: 'array', items: { type: 'string', machine_name: true } },
    move_timeout: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

interface RawConfig {
  daemon: string;
  log_name: string;
  control_machines: string[];
  move_timeout: number;
}

function nameKeyword(keyword: string, what: string, known: (name: string) => boolean) {
  const validate: SchemaValidateFunction = (_schema: unknown, data: unknown) => {
    if (typeof data !== 'string' || known(data)) return true;
    validate.errors = [{ keyword, message: `'${data}' is not a valid ${what} name`, params: { name: data } }];
    return false;
  };
  return { keyword, type: 'string' as const, schemaType: 'boolean' as const, errors: true, validate };
}

/** Validates a parsed config document; returns the violations (empty when valid). */
export function validateConfig(document: unknown, phoneBook: PhoneBook): Violation[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword(nameKeyword('daemon_name', 'daemon', (n) => phoneBook.daemons.has(n)));
  ajv.addKeyword(nameKeyword('machine_name', 'machine', (n) => phoneBook.machines.has(n)));
  const validate = ajv.compile(CONFIG_SCHEMA);
  return validate(document) ? [] : toViolations(validate.errors);
}

/** Parses and validates config JSON text. Throws `ConfigFileError` or `ConfigSchemaError`. */
export function parseConfig(text: string, file: string, phoneBook: PhoneBook = loadPhoneBook()): FocusdConfig {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError(file, `not valid JSON (${(e as Error).message})`);
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
