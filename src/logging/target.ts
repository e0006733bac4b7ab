import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import type { PhoneBook } from '../config/index.js';

/** Where log lines are forwarded: a Pyro URI and the default timeout (seconds), or nowhere. */
export type LogTarget = { uri: string; timeout: number; source: string } | null;

export class LogTargetError extends Error {
  readonly code = 'LOG_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'LogTargetError';
  }
}

/** rockit.common.log's rule: a host on 10.2.6.x logs to observatory_log, on 172.19.0.x to warwick_log. */
export function logDaemonForAddress(ip: string): 'observatory_log' | 'warwick_log' | null {
  if (ip.startsWith('10.2.6.')) return 'observatory_log';
  if (ip.startsWith('172.19.0.')) return 'warwick_log';
  return null;
}

async function thisMachinesAddresses(): Promise<string[]> {
  const found: string[] = [];
  try {
    // rockit asks socket.gethostbyname(socket.gethostname()); do the same first.
    found.push((await lookup(hostname(), { family: 4 })).address);
  } catch {
    // no resolvable hostname: fall back to the interfaces below
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) found.push(a.address);
  }
  return found;
}

/**
 * Chooses the log daemon. FOCUSD_LOG_DAEMON, when set, decides: `none` (or empty) turns
 * forwarding off, a `PYRO:` URI is used as is, anything else names a phone book daemon.
 * Otherwise rockit's rule applies to this machine's address.
 */
export async function chooseLogTarget(book: PhoneBook, env: NodeJS.ProcessEnv = process.env): Promise<LogTarget> {
  const setting = env.FOCUSD_LOG_DAEMON;
  if (setting !== undefined) {
    const value = setting.trim();
    if (value === '' || value.toLowerCase() === 'none') return null;
    if (value.startsWith('PYRO:')) return { uri: value, timeout: 5, source: 'FOCUSD_LOG_DAEMON' };
    const entry = book.daemons.get(value);
    if (!entry) throw new LogTargetError(`FOCUSD_LOG_DAEMON=${value} is neither a PYRO: URI nor a phone book daemon name`);
    return { uri: entry.uri, timeout: entry.defaultTimeout, source: `FOCUSD_LOG_DAEMON (${value})` };
  }
  for (const ip of await thisMachinesAddresses()) {
    const name = logDaemonForAddress(ip);
    const entry = name === null ? undefined : book.daemons.get(name);
    if (entry) return { uri: entry.uri, timeout: entry.defaultTimeout, source: `${name} (this machine is ${ip})` };
  }
  return null;
}
