import { PythonError } from '../errors.js';
import { pyTruthy } from '../python.js';
import { PySet, pyObject, type PyObject, type PyValue } from '../serpent/index.js';
import type { ParamSpec } from './binding.js';

/** What a handler learns about the call it serves. */
export interface CallContext {
  /** The caller's IP address, IPv4-mapped IPv6 addresses written as plain IPv4. */
  clientHost: string;
  clientPort: number;
  /** The request's correlation id (Pyro4's `current_context.correlation_id`), as a UUID string. */
  correlationId?: string;
  /** Distinct for every client connection the daemon has accepted. */
  connectionId: number;
  /** Aborts when the caller's connection closes. */
  signal: AbortSignal;
}

export interface MethodSpec {
  /** Python-style parameters; none means the method takes no arguments. */
  params?: ParamSpec[];
  /** Pyro4's @oneway: the caller does not wait and gets no reply. */
  oneway?: boolean;
  call(args: Record<string, PyValue>, ctx: CallContext): PyValue | Promise<PyValue>;
}

/** An object served by the daemon: only the methods listed here can ever be called. */
export interface ExposedObject {
  /** The Python class name used in TypeError messages (`AtlasFocuserDaemon.set_focus()`). */
  className?: string;
  methods: Record<string, MethodSpec>;
}

/**
 * A registered object with its exposed methods copied into a Map, so a request can only ever
 * name one of them: never an inherited property (`constructor`, `__proto__`, `toString`), never a
 * private (`_`-prefixed) name.
 */
export class Registration {
  readonly methods: ReadonlyMap<string, MethodSpec>;
  readonly className: string;

  constructor(
    readonly objectId: string,
    object: ExposedObject,
  ) {
    const methods = new Map<string, MethodSpec>();
    for (const name of Object.keys(object.methods)) {
      if (name.startsWith('_')) throw new Error(`${objectId}: method ${name} cannot be exposed (private names never are in Pyro4)`);
      methods.set(name, object.methods[name] as MethodSpec);
    }
    this.methods = methods;
    this.className = object.className ?? objectId;
  }

  /** The method for a requested name, or Pyro4's AttributeError. */
  method(name: string): MethodSpec {
    if (name.startsWith('_')) throw new PythonError('builtins.AttributeError', [`attempt to access private attribute '${name}'`]);
    const found = this.methods.get(name);
    if (!found) throw new PythonError('builtins.AttributeError', [`attempt to access unexposed or unknown method '${name}'`]);
    return found;
  }

  /** Pyro4's get_metadata: sorted method names, the oneway ones, no attributes. */
  metadata(asLists: boolean): PyObject {
    const methods = [...this.methods.keys()].sort();
    const oneway = methods.filter((m) => this.methods.get(m)?.oneway === true);
    const wrap = (names: string[]): PyValue => (asLists ? names : new PySet(names));
    return pyObject([
      ['methods', wrap(methods)],
      ['oneway', wrap(oneway)],
      ['attrs', wrap([])],
    ]);
  }
}

export const DAEMON_OBJECT_ID = 'Pyro.Daemon';

export interface DaemonFacts {
  location(): string;
  registrations(): ReadonlyMap<string, Registration>;
}

/** The daemon's own object, `Pyro.Daemon`, as Pyro4's DaemonObject answers. */
export function daemonObject(daemon: DaemonFacts): ExposedObject {
  return {
    className: 'DaemonObject',
    methods: {
      ping: { call: () => null },
      registered: { call: () => [...daemon.registrations().keys()] },
      info: {
        call: () =>
          `${DAEMON_OBJECT_ID} bound on ${daemon.location()}, NAT None, ${daemon.registrations().size} objects registered. ` +
          `Servertype: focusd TypeScript daemon (Node.js ${process.version})`,
      },
      get_metadata: {
        params: [{ name: 'objectId' }, { name: 'as_lists', default: false }],
        call: (args) => {
          const id = args.objectId;
          const found = typeof id === 'string' ? daemon.registrations().get(id) : undefined;
          if (!found) throw new PythonError('Pyro4.errors.DaemonError', ['unknown object']);
          return found.metadata(pyTruthy(args.as_lists));
        },
      },
    },
  };
}
