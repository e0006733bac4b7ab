import { createServer, type Server, type Socket } from 'node:net';
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

const silent: IndiLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * An INDI server (protocol 1.7, XML over TCP) for one device. Clients and an indiserver that
 * chains it as a remote driver (`indiserver "Device@host:port"`) are served alike.
 */
export class IndiServer implements ConnectionHost {
  readonly limits: IndiLimits;
  readonly logger: IndiLogger;
  readonly device: IndiDevice;
  private readonly connections = new Set<IndiConnection>();
  private server: Server | null = null;
  private unsubscribe: (() => void) | null = null;
  private nextId = 1;

  constructor(private readonly options: IndiServerOptions) {
    this.limits = resolveIndiLimits(options.limits);
    this.logger = options.logger ?? silent;
    this.device = options.device;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  write(request: WriteRequest, client: IndiClient): void {
    this.options.onWrite(request, client);
  }

  closed(connection: IndiConnection): void {
    this.connections.delete(connection);
  }

  /** Binds and listens; rejects with the system error (EADDRINUSE, EADDRNOTAVAIL...) when it cannot. */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error('INDI server already started'));
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.server = null;
        reject(e);
      });
      server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.logger.error({ err: e.message }, 'INDI server error'));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.options.port;
        this.unsubscribe = this.device.subscribe((event) => this.broadcast(event));
        resolve({ host: this.options.host, port });
      });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const server = this.server;
    this.server = null;
    for (const connection of [...this.connections]) connection.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Each change is written once and sent to every client following that property. */
  private broadcast(event: DeviceEvent): void {
    let text: string | null = null;
    for (const connection of [...this.connections]) {
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

  private accept(socket: Socket): void {
    // A refused client gets one message and is closed at once, so it never counts here.
    const denied =
      this.connections.size >= this.limits.maxConnections ? `too many INDI clients (this server serves at most ${this.limits.maxConnections})` : null;
    const connection = new IndiConnection(socket, this.nextId++, this, denied);
    if (!connection.isClosed) this.connections.add(connection);
  }
}
