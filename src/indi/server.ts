import { silentLogger, TcpListener } from '../net/index.js';
import { IndiConnection, type ConnectionHost, type IndiLogger } from './connection.js';
import type { DeviceEvent, IndiClient, IndiDevice, WriteRequest } from './device.js';
import { resolveIndiLimits, type IndiLimits } from './limits.js';
import { defineXml, deleteXml, indiTimestamp, messageXml, setXml } from './properties.js';

export interface IndiServerOptions {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  device: IndiDevice;
  /** A client's checked write; the device answers through its properties. */
  onWrite(request: WriteRequest, client: IndiClient): void;
  limits?: Partial<IndiLimits> | undefined;
  logger?: IndiLogger | undefined;
}

/**
 * An INDI server (protocol 1.7, XML over TCP) for one device. Clients and an indiserver that
 * chains it as a remote driver (`indiserver "Device@host:port"`) are served alike.
 */
export class IndiServer implements ConnectionHost {
  readonly limits: IndiLimits;
  readonly logger: IndiLogger;
  readonly device: IndiDevice;
  private readonly listener: TcpListener<IndiConnection>;
  private unsubscribe: (() => void) | null = null;
  private nextId = 1;

  constructor(private readonly options: IndiServerOptions) {
    this.limits = resolveIndiLimits(options.limits);
    this.logger = options.logger ?? silentLogger;
    this.device = options.device;
    this.listener = new TcpListener({
      host: options.host,
      port: options.port,
      maxConnections: this.limits.maxConnections,
      logger: this.logger,
      name: 'INDI server',
      serve: (socket, refusal) => new IndiConnection(socket, this.nextId++, this, refusal),
      tooMany: (max) => `too many INDI clients (this server serves at most ${max})`,
    });
  }

  /** Client sockets open, refused ones that are still closing included. */
  get connectionCount(): number {
    return this.listener.size;
  }

  write(request: WriteRequest, client: IndiClient): void {
    this.options.onWrite(request, client);
  }

  /** Binds and listens; rejects with the system error (EADDRINUSE, EADDRNOTAVAIL...) when it cannot. */
  async start(): Promise<{ host: string; port: number }> {
    const bound = await this.listener.start();
    this.unsubscribe = this.device.subscribe((event) => this.broadcast(event));
    return bound;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.listener.close();
  }

  /** Each change is written once and sent to every client following that property. */
  private broadcast(event: DeviceEvent): void {
    let text: string | null = null;
    for (const connection of [...this.listener.connections()]) {
      if (!connection.wants(event)) continue;
      text ??= this.encode(event);
      connection.send(text);
    }
  }

  private encode(event: DeviceEvent): string {
    const device = this.device.name;
    const timestamp = indiTimestamp();
    switch (event.kind) {
      case 'define':
        return defineXml(device, event.vector, timestamp, event.message);
      case 'set':
        return setXml(device, event.vector, timestamp, event.message);
      case 'delete':
        return deleteXml(device, event.name, timestamp, event.message);
      case 'message':
        return messageXml(device, event.text, timestamp);
    }
  }
}
