import type { PyValue } from './serpent/index.js';

/**
 * Errors of the Pyro layer. Each names the Python class Pyro4 would raise (`pythonClass`), so a
 * daemon can send it back in the form a Python client rebuilds and a proxy can report it by the
 * name a rockit developer knows.
 */
export class PyroError extends Error {
  override name = 'PyroError';
  readonly pythonClass: string = 'Pyro4.errors.PyroError';
}

/** HMAC mismatch or a key configured on one side only. */
export class SecurityError extends PyroError {
  override name = 'SecurityError';
  override readonly pythonClass = 'Pyro4.errors.SecurityError';
}

/** The peer cannot be reached, refused us, or went away. */
export class CommunicationError extends PyroError {
  override name = 'CommunicationError';
  override readonly pythonClass: string = 'Pyro4.errors.CommunicationError';
}

export class ConnectionClosedError extends CommunicationError {
  override name = 'ConnectionClosedError';
  override readonly pythonClass = 'Pyro4.errors.ConnectionClosedError';
}

export class TimeoutError extends CommunicationError {
  override name = 'TimeoutError';
  override readonly pythonClass = 'Pyro4.errors.TimeoutError';
}

/** Broken or unexpected bytes on the wire (a CommunicationError, as in Pyro4). */
export class ProtocolError extends CommunicationError {
  override name = 'ProtocolError';
  override readonly pythonClass: string = 'Pyro4.errors.ProtocolError';
}

/** A message longer than the configured maximum; the connection is closed before reading it. */
export class MessageTooLargeError extends ProtocolError {
  override name = 'MessageTooLargeError';
  override readonly pythonClass = 'Pyro4.errors.MessageTooLargeError';
}

/** A value that cannot be (de)serialized, or a serializer that is not accepted. */
export class SerializeError extends ProtocolError {
  override name = 'SerializeError';
  override readonly pythonClass = 'Pyro4.errors.SerializeError';
}

/**
 * Thrown by an exposed method to raise a Python exception in the caller, e.g.
 * `new PythonError('builtins.ValueError', ['steps must be positive'])`.
 */
export class PythonError extends Error {
  override name = 'PythonError';
  constructor(
    readonly pythonClass: string,
    readonly args: PyValue[] = [],
  ) {
    super(`${pythonClass}: ${args.map((a) => (typeof a === 'string' ? a : String(a))).join(', ')}`);
  }
}

/** A Python exception raised by the remote side of a call, as Pyro4 sent it. */
export class RemotePythonError extends Error {
  override name = 'RemotePythonError';
  constructor(
    readonly pythonClass: string,
    readonly args: PyValue[],
    /** Pyro4's `_pyroTraceback`: the remote traceback, one string per line. */
    readonly remoteTraceback: string[],
  ) {
    const text = args.map((a) => (typeof a === 'string' ? a : String(a))).join(', ');
    super(text === '' ? pythonClass : `${pythonClass}: ${text}`);
  }
}
