import type { FocusdConfig } from '../../config/index.js';
import { CommunicationError, PyroProxy, RemotePythonError, TimeoutError } from '../../pyro/index.js';
import type { Connect } from './commands.js';

/**
 * Connections to the daemon named in the config, as rockit's `PyroDaemon.connect(timeout)` makes
 * them: the call timeout is the one given (0 = none); connecting is always bounded by the phone
 * book's default timeout, so a daemon that is down or unreachable is reported, never waited on.
 */
export function pyroConnector(config: FocusdConfig): Connect {
  const connectTimeoutMs = config.daemon.defaultTimeout * 1000;
  return ({ timeoutMs }) => {
    const proxy = new PyroProxy(config.daemon.uri, { timeoutMs, connectTimeoutMs, preserveFloats: true });
    return {
      call: (method, args = [], kwargs) => proxy.call(method, args as never, kwargs as never),
      methods: async () => {
        const metadata = await proxy.metadata();
        return [...metadata.methods];
      },
      close: () => proxy.close(),
    };
  };
}

/** Pyro4's CommunicationError family (refused, closed, timed out): the tool's -101. */
export const isCommunicationFailure = (e: unknown): boolean => e instanceof CommunicationError || e instanceof TimeoutError;

/** A Python exception raised in the daemon, in one line. */
export function remoteErrorText(e: unknown): string | null {
  if (!(e instanceof RemotePythonError)) return null;
  const remote = e as { pythonClass: string; args: readonly unknown[] };
  const args = remote.args.map((a) => (typeof a === 'string' ? a : String(a))).join(', ');
  return `error: focus daemon raised ${remote.pythonClass}${args === '' ? '' : ': ' + args}`;
}
