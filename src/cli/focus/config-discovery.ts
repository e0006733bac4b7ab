import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig, loadPhoneBook, type FocusdConfig } from '../../config/index.js';

/** Where the config is looked for when FOCUSD_CONFIG_PATH is not set. */
export const DEFAULT_CONFIG_DIR = '/etc/focusd';

/** `a.json`, `a.json and b.json`, `a.json, b.json and c.json`. */
const listed = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/**
 * Zero or several `*.json` in the config directory and no FOCUSD_CONFIG_PATH: upstream's message,
 * with what the directory holds between its two sentences.
 */
export class ConfigDiscoveryError extends Error {
  readonly code = 'CONFIG_DISCOVERY';
  constructor(readonly dir: string, readonly found: readonly string[] | null) {
    const holds =
      found === null ? `${dir} cannot be read` : found.length === 0 ? `${dir} holds no *.json` : `${dir} holds ${listed(found.map((f) => basename(f)))}`;
    super(`error: failed to guess the default config file (${holds}). Run as FOCUSD_CONFIG_PATH=/path/to/config.json focus <command>`);
    this.name = 'ConfigDiscoveryError';
  }
}

/**
 * The config file, as the Python tool finds it: FOCUSD_CONFIG_PATH when set (and not empty),
 * otherwise the one `*.json` in /etc/focusd (hidden files excluded, as Python's glob does).
 * FOCUSD_CONFIG_DIR replaces /etc/focusd; it exists for tests and packaging checks only.
 */
export function findConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.FOCUSD_CONFIG_PATH;
  if (explicit !== undefined && explicit !== '') return explicit;
  const dir = env.FOCUSD_CONFIG_DIR || DEFAULT_CONFIG_DIR;
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.isDirectory() && e.name.endsWith('.json') && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    throw new ConfigDiscoveryError(dir, null);
  }
  const found = names.map((n) => join(dir, n));
  if (found.length !== 1) throw new ConfigDiscoveryError(dir, found);
  return found[0] as string;
}

/** Finds, reads and validates the config (with the phone book it names). */
export function discoverConfig(env: NodeJS.ProcessEnv = process.env): FocusdConfig {
  const file = findConfigPath(env);
  return loadConfig(file, loadPhoneBook(env));
}
