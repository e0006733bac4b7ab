import type { FocusdConfig } from '../../config/index.js';
import { CommunicationError, ConnectionClosedError, ProtocolError, PyroProxy, RemotePythonError, TimeoutError } from '../../pyro/index.js';
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
      call: (method, args = [], kwargs, options) => proxy.call(method, args as never, kwargs as never, options),
      methods: async () => {
        const metadata = await proxy.metadata();
        return [...metadata.methods];
      },
      close: () => proxy.close(),
    };
  };
}

/** Pyro4's CommunicationError family (refused, reset, closed, timed out, not Pyro at all): the tool's -101. */
export const isCommunicationFailure = (e: unknown): e is CommunicationError => e instanceof CommunicationError;

/** What went wrong talking to the daemon, in a few words an operator can act on. */
export function communicationProblem(e: CommunicationError): string {
  const message = e.message.replace(/^cannot connect to \S+: /, '');
  if (e instanceof TimeoutError) return `no answer in time: ${message}`;
  if (e instanceof ConnectionClosedError) return 'the daemon closed the connection';
  if (e instanceof ProtocolError) return `not a Pyro4 daemon: ${message}`;
  const code = /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|EPIPE)\b/.exec(message)?.[1];
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is focusd running?';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host cannot be reached';
    default:
      return message;
  }
}

/** The -101 line, naming where the daemon was looked for and why it could not be used. */
export function communicationFailureText(config: FocusdConfig, e: CommunicationError): string {
  return `error: unable to communicate with focus daemon at ${config.daemon.host}:${config.daemon.port} (${communicationProblem(e)})`;
}

/** A Python exception raised in the daemon, in one line. */
export function remoteErrorText(e: unknown): string | null {
  if (!(e instanceof RemotePythonError)) return null;
  const remote = e as { pythonClass: string; args: readonly unknown[] };
  const args = remote.args.map((a) => (typeof a === 'string' ? a : String(a))).join(', ');
  return `error: focus daemon raised ${remote.pythonClass}${args === '' ? '' : ': ' + args}`;
}
