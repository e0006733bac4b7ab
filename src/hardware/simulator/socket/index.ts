export { AtlasSimServer, SocketPathTakenError, type AtlasSimServerOptions, type TranscriptEntry } from './server.js';
export { simSocketUsbBackend } from './usb-backend.js';
export { MAX_PAYLOAD, Op, PROTOCOL_VERSION } from './protocol.js';
