import type { NetLogger } from '../../net/index.js';

/** The daemon's log: pino's method shape, so a pino logger can be passed straight in. */
export type PyroLogger = NetLogger;

export { silentLogger } from '../../net/index.js';
