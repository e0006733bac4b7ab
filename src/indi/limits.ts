import { resolveLimits } from '../net/index.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-reader.js';

/**
 * Protective limits of the INDI server; each has a safe default and can be set per server. The
 * reader's (XmlLimits) bound what a client sends: INDI commands are a few hundred bytes.
 */
export interface IndiLimits extends XmlLimits {
  /** Open client connections; one more gets a message saying so and is closed. */
  maxConnections: number;
  /**
   * Bytes waiting to be sent to one client that is not reading them. Past this the client is
   * dropped: updates are pushed to every client, so a stalled one cannot be merely paused. The
   * focuser's full definition set is about 3 KiB and a move's updates about 2 KiB a second, and a
   * client sending commands is no longer read from past the socket's 16 KiB high-water mark: 64 KiB
   * holds all that with room, after what the kernel's socket buffers hold, and bounds every client
   * stalled at once to about 67 MiB (maxConnections x (64 KiB + one definition set)).
   */
  maxUnsentBytes: number;
  /**
   * While part of an element is waiting, some element must be completed within this time of the
   * last one (or of the waiting one's start), or the connection is dropped (0: never).
   */
  elementTimeoutMs: number;
}

export const DEFAULT_INDI_LIMITS: IndiLimits = {
  ...DEFAULT_XML_LIMITS,
  maxConnections: 1024,
  maxUnsentBytes: 64 * 1024,
  elementTimeoutMs: 30_000,
};

export function resolveIndiLimits(given: Partial<IndiLimits> | undefined): IndiLimits {
  return resolveLimits(DEFAULT_INDI_LIMITS, given, 'INDI');
}
