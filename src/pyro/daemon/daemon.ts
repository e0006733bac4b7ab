import { createServer, type Server, type Socket } from 'node:net';
import { toHmacKey, type HmacKey } from '../message/index.js';
import { Connection, type ConnectionHost } from './connection.js';
import { resolveLimits, type DaemonLimits } from './limits.js';
import { silentLogger, type PyroLogger } from './logger.js';
import { DAEMON_OBJECT_ID, Registration, daemonObject, type ExposedObject } from './objects.js';

export interface DaemonOptions {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  /** Pyro4's `_pyroHmacKey`: every message is signed and checked with it. */
  hmacKey?: string | Uint8Array | undefined;
  limits?: Partial<DaemonLimits> | undefined;
  logger?: PyroLogger | undefined;
  /** Keep received integral floats as `PyFloat` (default true), so `2.0` goes back as `2.0`. */
  preserveFloats?: boolean;
}

/** Denied connections beyond this many are closed without a handshake: a flood costs nothing. */
const DENIAL_BACKLOG = 64;

/**
 * A Pyro4 (protocol 48) daemon on one TCP address. Objects are registered under ids with an
 * explicit table of exposed methods; `Pyro.Daemon` is always there. Calls are async: a call
 * that lasts minutes delays only later requests on its own connection, never other connections.
 */
export class PyroDaemon implements ConnectionHost {
  readonly limits: DaemonLimits;
  readonly hmacKey: HmacKey | undefined;
  readonly logger: PyroLogger;
  readonly preserveFloats: boolean;
  private readonly registrations = new Map<string, Registration>();
  private readonly connections = new Set<Connection>();
  private server: Server | null = null;
  private bound: { host: string; port: number } | null = null;
  private nextConnectionId = 1;

  constructor(private readonly options: DaemonOptions) {
    this.limits = resolveLimits(options.limits);
    this.hmacKey = toHmacKey(options.hmacKey);
    this.logger = options.logger ?? silentLogger;
    this.preserveFloats = options.preserveFloats ?? true;
    this.register(
      DAEMON_OBJECT_ID,
      daemonObject({ location: () => this.location(), registrations: () => this.registrations }),
    );
  }

  /** Registers an object; returns its URI once the daemon is bound, else its id. */
  register(objectId: string, object: ExposedObject): string {
    if (this.registrations.has(objectId)) throw new Error(`object id ${objectId} is already registered`);
    this.registrations.set(objectId, new Registration(objectId, object));
    return this.bound ? this.uriFor(objectId) : objectId;
  }

  lookup(objectId: string): Registration | undefined {
    return this.registrations.get(objectId);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  uriFor(objectId: string): string {
    return `PYRO:${objectId}@${this.location()}`;
  }

  location(): string {
    const where = this.bound ?? { host: this.options.host, port: this.options.port };
    return where.host.includes(':') ? `[${where.host}]:${where.port}` : `${where.host}:${where.port}`;
  }

  /** Binds and listens; rejects with the system error (code EADDRINUSE, EADDRNOTAVAIL...) when it cannot. */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error('daemon already started'));
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.server = null;
        reject(e);
      });
      server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.logger.error({ err: e.message }, 'server error'));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.options.port;
        this.bound = { host: this.options.host, port };
        this.logger.info({ location: this.location() }, 'Pyro daemon listening');
        resolve(this.bound);
      });
    });
  }

  /** Stops listening and closes every connection; calls in progress see their signal abort. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const connection of [...this.connections]) connection.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  closed(connection: Connection): void {
    this.connections.delete(connection);
  }

  private accept(socket: Socket): void {
    const count = this.connections.size;
    if (count >= this.limits.maxConnections + DENIAL_BACKLOG) {
      this.logger.warn({ client: socket.remoteAddress }, 'connection flood: closing without handshake');
      socket.destroy();
      return;
    }
    const denied = count >= this.limits.maxConnections ? `too many connections (this daemon serves at most ${this.limits.maxConnections})` : null;
    const connection = new Connection(socket, this.nextConnectionId++, this, denied);
    this.connections.add(connection);
  }
}
