export { PyroDaemon, type DaemonOptions } from './daemon.js';
export { DEFAULT_LIMITS, type DaemonLimits } from './limits.js';
export { silentLogger, type PyroLogger } from './logger.js';
export { DAEMON_OBJECT_ID, type CallContext, type ExposedObject, type MethodSpec } from './objects.js';
export { bindArguments, type ParamSpec } from './binding.js';
