export { PyroProxy, UnknownMethodError, type ProxyOptions, type Metadata, type BatchCall } from './proxy.js';
export { parseURI, formatURI, InvalidURIError, type PyroURI } from './uri.js';
