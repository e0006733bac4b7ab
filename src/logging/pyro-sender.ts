import { PyroProxy } from '../pyro/index.js';
import type { LogSender } from './forwarder.js';

/**
 * A LogSender over our Pyro proxy, keeping one connection open between lines and dropping it after
 * any failure so the next line reconnects (a restarted log daemon is picked up again).
 */
export function pyroLogSender(uri: string, timeoutSeconds: number): { send: LogSender; close(): void } {
  let proxy: PyroProxy | null = null;
  const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
  return {
    async send(method, table, message) {
      proxy ??= new PyroProxy(uri, { timeoutMs, connectTimeoutMs: timeoutMs });
      try {
        await proxy.call(method, [table, message]);
      } catch (e) {
        const broken = proxy;
        proxy = null;
        try {
          broken?.close();
        } catch {
          // already gone
        }
        throw e;
      }
    },
    close() {
      try {
        proxy?.close();
      } catch {
        // already gone
      }
      proxy = null;
    },
  };
}
