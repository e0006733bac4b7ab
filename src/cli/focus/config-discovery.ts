import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadPhoneBook, type FocusdConfig } from '../../config/index.js';

/** Where the config is looked for when FOCUSD_CONFIG_PATH is not set. */
export const DEFAULT_CONFIG_DIR = '/etc/focusd';

/** Zero or several `*.json` in the config directory and no FOCUSD_CONFIG_PATH. */
export class ConfigDiscoveryError extends Error {
  readonly code = 'CONFIG_DISCOVERY';
  constructor(readonly found: readonly string[]) {
    super('error: failed to guess the default config file. Run as FOCUSD_CONFIG_PATH=/path/to/config.json focus <command>');
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
    names = [];
  }
  const found = names.map((n) => join(dir, n));
  if (found.length !== 1) throw new ConfigDiscoveryError(found);
  return found[0] as string;
}

/** Finds, reads and validates the config (with the phone book it names). */
export function discoverConfig(env: NodeJS.ProcessEnv = process.env): FocusdConfig {
  const file = findConfigPath(env);
  return loadConfig(file, loadPhoneBook(env));
}
