import type { Socket } from 'node:net';

/** How long a peer may keep its side open after we have ended ours. */
const LINGER_MS = 2000;

/**
 * Ends our side of `socket` once what is queued has been sent; a peer that never closes its side
 * (or never reads) is cut off after `lingerMs`, so the socket, counted until it closes, goes.
 */
export function endSocket(socket: Socket, lingerMs = LINGER_MS): void {
  socket.end();
  const linger = setTimeout(() => socket.destroy(), lingerMs).unref();
  socket.once('close', () => clearTimeout(linger));
}
