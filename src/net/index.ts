/**
 * What the Pyro daemon and the INDI server share: the listening socket with its connection count
 * and flood guard, client address normalisation, limit resolution and the log's shape. Imports
 * nothing outside node.
 */
export { TcpListener, DENIAL_BACKLOG, type ListenerConnection, type TcpListenerOptions } from './listener.js';
export { normaliseAddress } from './address.js';
export { endSocket } from './socket.js';
export { resolveLimits } from './limits.js';
export { silentLogger, type NetLogger } from './logger.js';
