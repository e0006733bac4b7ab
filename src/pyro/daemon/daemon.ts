import { TcpListener } from '../../net/index.js';
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
  private readonly listener: TcpListener<Connection>;
  private bound: { host: string; port: number } | null = null;
  private nextConnectionId = 1;

  constructor(private readonly options: DaemonOptions) {
    this.limits = resolveLimits(options.limits);
    this.hmacKey = toHmacKey(options.hmacKey);
    this.logger = options.logger ?? silentLogger;
    this.preserveFloats = options.preserveFloats ?? true;
    this.listener = new TcpListener({
      host: options.host,
      port: options.port,
      maxConnections: this.limits.maxConnections,
      logger: this.logger,
      name: 'Pyro daemon',
      serve: (socket, refusal) => new Connection(socket, this.nextConnectionId++, this, refusal),
      tooMany: (max) => `too many connections (this daemon serves at most ${max})`,
    });
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
    return this.listener.size;
  }

  uriFor(objectId: string): string {
    return `PYRO:${objectId}@${this.location()}`;
  }

  location(): string {
    const where = this.bound ?? { host: this.options.host, port: this.options.port };
    return where.host.includes(':') ? `[${where.host}]:${where.port}` : `${where.host}:${where.port}`;
  }

  /** Binds and listens; rejects with the system error (code EADDRINUSE, EADDRNOTAVAIL...) when it cannot. */
  async start(): Promise<{ host: string; port: number }> {
    this.bound = await this.listener.start();
    this.logger.info({ location: this.location() }, 'Pyro daemon listening');
    return this.bound;
  }

  /** Stops listening and closes every connection; calls in progress see their signal abort. */
  close(): Promise<void> {
    return this.listener.close();
  }
}
