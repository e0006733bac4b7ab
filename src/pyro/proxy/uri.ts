import { PyroError } from '../errors.js';

/** A direct Pyro4 URI, `PYRO:<object id>@<host>:<port>` (IPv6 hosts in brackets). */
export interface PyroURI {
  objectId: string;
  host: string;
  port: number;
}

export class InvalidURIError extends PyroError {
  override name = 'InvalidURIError';
}

export function parseURI(text: string): PyroURI {
  const m = /^PYRO:([^@]+)@(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  if (!m) {
    const hint = /^PYRONAME:/i.test(text) ? ' (PYRONAME needs a name server; give the PYRO:<id>@<host>:<port> address)' : '';
    throw new InvalidURIError(`invalid Pyro URI ${JSON.stringify(text)}: expected PYRO:<object id>@<host>:<port>${hint}`);
  }
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidURIError(`invalid Pyro URI ${JSON.stringify(text)}: port ${port} is out of range`);
  return { objectId: m[1] as string, host: (m[2] as string).replace(/^\[|\]$/g, ''), port };
}

export function formatURI(uri: PyroURI): string {
  const host = uri.host.includes(':') ? `[${uri.host}]` : uri.host;
  return `PYRO:${uri.objectId}@${host}:${uri.port}`;
}
