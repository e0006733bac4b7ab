import { createServer, type Server, type Socket } from 'node:net';
import type { NetLogger } from './logger.js';

/**
 * Connections past the maximum that are still told why they are refused; past this many more, a
 * new connection is closed at once without a word, so a flood costs a file descriptor for a moment
 * only.
 */
export const DENIAL_BACKLOG = 64;

/** What a listener's connection needs: a way to close it at once (shutdown). */
export interface ListenerConnection {
  destroy(): void;
}

export interface TcpListenerOptions<C extends ListenerConnection> {
  host: string;
  /** 0 picks a free port; `start()` reports the one bound. */
  port: number;
  maxConnections: number;
  logger: NetLogger;
  /** Names the server in errors and log lines (`Pyro daemon`, `INDI server`). */
  name: string;
  /** Serves an accepted socket; `refusal` is set when the server is full: say it and close. */
  serve(socket: Socket, refusal: string | null): C;
  /** The refusal for a connection past `max`. */
  tooMany(max: number): string;
}

/**
 * A TCP server's listening socket and the connections it accepted. A connection counts from its
 * accept until its socket has closed, whatever state its protocol is in (refused and closing ones
 * included), so the count is the file descriptors held: past `maxConnections` a new one is refused
 * with a reason, past DENIAL_BACKLOG more it is closed at once.
 */
export class TcpListener<C extends ListenerConnection> {
  private readonly open = new Set<C>();
  private server: Server | null = null;

  constructor(private readonly options: TcpListenerOptions<C>) {}

  /** Sockets accepted and not yet closed. */
  get size(): number {
    return this.open.size;
  }

  connections(): IterableIterator<C> {
    return this.open.values();
  }

  /** Binds and listens; rejects with the system error (code EADDRINUSE, EADDRNOTAVAIL...) when it cannot. */
  start(): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.reject(new Error(`${this.options.name} already started`));
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.server = null;
        reject(e);
      });
      server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.options.logger.error({ err: e.message }, `${this.options.name} error`));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.options.port;
        resolve({ host: this.options.host, port });
      });
    });
  }

  /** Stops listening and closes every connection at once. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const connection of [...this.open]) connection.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const { maxConnections, logger } = this.options;
    if (this.open.size >= maxConnections + DENIAL_BACKLOG) {
      logger.warn({ client: socket.remoteAddress }, 'connection flood: closing a new connection at once');
      socket.destroy();
      return;
    }
    const refusal = this.open.size >= maxConnections ? this.options.tooMany(maxConnections) : null;
    const connection = this.options.serve(socket, refusal);
    this.open.add(connection);
    // 'close' comes after any destroy, even one inside serve(): never before this line.
    socket.once('close', () => this.open.delete(connection));
  }
}
