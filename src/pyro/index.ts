/**
 * Pyro4 (protocol 48) for Node: serpent and json serializers, frames, daemon and proxy. Knows
 * nothing of focusers. Wire facts: docs/pyro.md.
 */
export * from './serpent/index.js';
export * from './message/index.js';
export * from './errors.js';
export { PyroDaemon, DEFAULT_LIMITS, DAEMON_OBJECT_ID, bindArguments, silentLogger } from './daemon/index.js';
export type { DaemonOptions, DaemonLimits, PyroLogger, CallContext, ExposedObject, MethodSpec, ParamSpec } from './daemon/index.js';
export { PyroProxy, UnknownMethodError, parseURI, formatURI, InvalidURIError } from './proxy/index.js';
export type { ProxyOptions, Metadata, BatchCall, PyroURI } from './proxy/index.js';
export { exceptionDict, exceptionInfo, remoteError, type ExceptionInfo } from './exceptions.js';
export { serializerFor, isAcceptedSerializer, serpentSerializer, jsonSerializer, type Serializer, type Call } from './serializers.js';
export { jsonDumps, jsonLoads, jsonText, JsonDecodeError, type JsonDumpOptions, type JsonLoadOptions } from './json.js';
export { pyTruthy, pyTypeName } from './python.js';
