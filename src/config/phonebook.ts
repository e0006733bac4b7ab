import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseJson } from './json.js';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhoneBookError } from './errors.js';
import { validatePhoneBookDocument } from './validators.js';
import { toViolations } from './violations.js';

/**
 * rockit's phone book: `rockit.common.daemons` (daemon name -> Pyro object id, host, port) and
 * `rockit.common.IP` (machine name -> IP) as data. The built-in book is config/phonebook.json;
 * a site extends or overrides it with more files of the same shape (see `phoneBookSources`).
 */
export interface DaemonEntry {
  /** The phone book name, e.g. `warwick_focuser`. */
  name: string;
  /** The Pyro object id, e.g. `warwick_focuser_daemon`. */
  objectId: string;
  host: string;
  /** 0 means "any free port" (useful for tests: the daemon prints the port it got). */
  port: number;
  /** Seconds, as rockit's `PyroDaemon.default_timeout`. */
  defaultTimeout: number;
  defaultRetries: number;
  uri: string;
}

export interface PhoneBook {
  daemons: ReadonlyMap<string, DaemonEntry>;
  machines: ReadonlyMap<string, string>;
  /** The files merged, in order (later ones win). */
  sources: readonly string[];
}

/** Where a site's extra phone book files are read from unless FOCUSD_PHONEBOOK_DIR says otherwise. */
export const DEFAULT_PHONEBOOK_DIR = '/etc/focusd/phonebook.d';

interface RawDaemon {
  object_id: string;
  host: string;
  port: number;
  default_timeout?: number;
  default_retries?: number;
}
interface RawPhoneBook {
  machines?: Record<string, string>;
  daemons?: Record<string, RawDaemon>;
}


/** The directory holding config/phonebook.json, found from this module in src/ or dist/src/. */
function findBuiltInPhoneBook(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'config', 'phonebook.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new PhoneBookError('config/phonebook.json', 'the built-in phone book is missing');
    dir = parent;
  }
}

/** The built-in phone book's path. */
export const builtInPhoneBookPath = (): string => findBuiltInPhoneBook();

/**
 * The files merged into the phone book, in order: the built-in config/phonebook.json, then every
 * `*.json` in FOCUSD_PHONEBOOK_DIR (default /etc/focusd/phonebook.d) in name order, then each path
 * in FOCUSD_PHONEBOOK (separated by `:`). An entry in a later file replaces the same name before it.
 */
export function phoneBookSources(env: NodeJS.ProcessEnv = process.env): string[] {
  const sources = [findBuiltInPhoneBook()];
  const dir = env.FOCUSD_PHONEBOOK_DIR ?? DEFAULT_PHONEBOOK_DIR;
  if (dir !== '' && existsSync(dir)) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) sources.push(join(dir, name));
  }
  for (const file of (env.FOCUSD_PHONEBOOK ?? '').split(delimiter)) if (file !== '') sources.push(file);
  return sources;
}

function readPhoneBookFile(file: string): RawPhoneBook {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PhoneBookError(file, (e as Error).message);
  }
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (e) {
    throw new PhoneBookError(file, (e as Error).message);
  }
  if (!validatePhoneBookDocument(json)) throw new PhoneBookError(file, 'schema violations', toViolations(validatePhoneBookDocument.errors));
  return json as RawPhoneBook;
}

/** Builds a phone book from raw documents (later documents override earlier ones). */
export function mergePhoneBooks(documents: ReadonlyArray<{ file: string; book: RawPhoneBook }>): PhoneBook {
  const machines = new Map<string, string>();
  const raw = new Map<string, { file: string; entry: RawDaemon }>();
  for (const { file, book } of documents) {
    for (const [name, ip] of Object.entries(book.machines ?? {})) machines.set(name, ip);
    for (const [name, entry] of Object.entries(book.daemons ?? {})) raw.set(name, { file, entry });
  }
  const daemons = new Map<string, DaemonEntry>();
  for (const [name, { entry }] of raw) {
    // A site file may name the host by machine (e.g. "WarwickTCS") instead of by IP.
    const host = machines.get(entry.host) ?? entry.host;
    daemons.set(name, {
      name,
      objectId: entry.object_id,
      host,
      port: entry.port,
      defaultTimeout: entry.default_timeout ?? 5,
      defaultRetries: entry.default_retries ?? 0,
      uri: `PYRO:${entry.object_id}@${host}:${entry.port}`,
    });
  }
  return { daemons, machines, sources: documents.map((d) => d.file) };
}

/** Loads and merges the phone book from `phoneBookSources(env)`. Throws `PhoneBookError`. */
export function loadPhoneBook(env: NodeJS.ProcessEnv = process.env): PhoneBook {
  return mergePhoneBooks(phoneBookSources(env).map((file) => ({ file, book: readPhoneBookFile(file) })));
}
