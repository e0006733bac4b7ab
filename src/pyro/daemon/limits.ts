import { resolveLimits as resolveNetLimits } from '../../net/index.js';

/** Protective limits of the daemon; each has a safe default and can be set per daemon. */
export interface DaemonLimits {
  /** Annotations plus payload of one message, checked from the header before the body is read. */
  maxMessageSize: number;
  /** Nesting depth of a received serpent or json value. */
  maxDepth: number;
  /** Open client connections; one more is refused with CONNECTFAIL "too many connections". */
  maxConnections: number;
  /** A new connection must complete the CONNECT handshake within this time. */
  handshakeTimeoutMs: number;
  /** A connection holding part of a message with no progress for this long is dropped (0: never). */
  idleTimeoutMs: number;
  /** Requests one connection may queue while an earlier one runs; more closes the connection. */
  maxPipelined: number;
}

export const DEFAULT_LIMITS: DaemonLimits = {
  maxMessageSize: 64 * 1024 * 1024,
  maxDepth: 1000,
  maxConnections: 1024,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxPipelined: 64,
};

export function resolveLimits(given: Partial<DaemonLimits> | undefined): DaemonLimits {
  return resolveNetLimits(DEFAULT_LIMITS, given, 'daemon');
}
