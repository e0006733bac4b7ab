import { isIP } from 'node:net';

/** INDI's customary port, for messages that suggest one. */
export const INDI_PORT = 7624;

export class IndiAddressError extends Error {
  readonly code = 'INDI_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'IndiAddressError';
  }
}

/**
 * `[HOST:]PORT` as --indi and FOCUSD_INDI take it: `7630`, `127.0.0.1:7630`, `0.0.0.0:7630`,
 * `[::1]:7630`. The host is 127.0.0.1 when omitted (only this machine's clients); port 0 picks a
 * free one.
 */
export function parseIndiAddress(text: string): { host: string; port: number } {
  const given = text.trim();
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(given);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new IndiAddressError(`INDI address '${text}' is not [HOST:]PORT (for example ${INDI_PORT + 6} or 127.0.0.1:${INDI_PORT + 6})`);
  }
  const rawHost = m[1];
  const host = rawHost === undefined ? '127.0.0.1' : rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new IndiAddressError(`INDI address '${text}': the host must be an IP address of this machine (or localhost), not '${host}'`);
  }
  return { host, port };
}
