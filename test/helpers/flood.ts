import { connect, type Socket } from 'node:net';

/** One connection of a flood: what the server sent before it ended the connection. */
export interface FloodClient {
  socket: Socket;
  bytes: number;
  /** The server ended (or reset) the connection. */
  ended: boolean;
}

/**
 * Opens `count` connections at once to 127.0.0.1:`port`, each sending `hello` (when given) and
 * never closing its own side: a client that lingers as long as the server lets it. Resolves once
 * every connection is open (bounded by `timeoutMs`); `close()` destroys them all.
 */
export async function halfOpenFlood(port: number, count: number, hello?: Buffer | string, timeoutMs = 10_000): Promise<{ clients: FloodClient[]; close(): void }> {
  const clients: FloodClient[] = [];
  const close = (): void => {
    for (const c of clients) c.socket.destroy();
  };
  const opening = Array.from(
    { length: count },
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        const client: FloodClient = { socket, bytes: 0, ended: false };
        clients.push(client);
        socket.on('data', (d: Buffer) => (client.bytes += d.length));
        socket.on('end', () => (client.ended = true));
        socket.on('close', () => (client.ended = true));
        socket.on('error', () => undefined);
        socket.once('connect', () => {
          if (hello !== undefined) socket.write(hello);
          resolve();
        });
        socket.once('error', reject);
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${count} connections not open within ${timeoutMs} ms`)), timeoutMs)));
  try {
    await Promise.race([Promise.all(opening), late]);
  } catch (e) {
    close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { clients, close };
}
