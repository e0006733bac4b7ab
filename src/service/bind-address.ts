import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** focusd cannot listen where the phone book puts it. The message is one line a person can act on. */
export class BindError extends Error {
  readonly code = 'BIND';
  constructor(message: string) {
    super(message);
    this.name = 'BindError';
  }
}

/** True when this machine can listen on `host`: a wildcard, any loopback 127.x, or an interface's address. */
export function isLocalAddress(host: string): boolean {
  if (host === '0.0.0.0' || host === '::' || host === 'localhost') return true;
  if (isIPv4(host) && host.startsWith('127.')) return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.address === host) return true;
  }
  return false;
}

/** Explains a failed listen in one line, naming the address and what to do. */
export function explainBindFailure(error: unknown, host: string, port: number, daemonName: string): BindError {
  const err = error as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
  const code = String(err?.code ?? err?.cause?.code ?? '');
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE' || /EADDRINUSE/.test(String(err?.message))) {
    return new BindError(`cannot listen on ${where} for ${daemonName}: the port is already in use (is another focusd running?)`);
  }
  if (code === 'EADDRNOTAVAIL' || /EADDRNOTAVAIL/.test(String(err?.message))) {
    return new BindError(`cannot listen on ${where} for ${daemonName}: ${host} is not an address of this machine (check the phone book entry)`);
  }
  if (code === 'EACCES' || /EACCES/.test(String(err?.message))) {
    return new BindError(`cannot listen on ${where} for ${daemonName}: permission denied`);
  }
  const message = err instanceof Error ? err.message : String(error);
  return new BindError(`cannot listen on ${where} for ${daemonName}: ${message.split('\n')[0]}`);
}
