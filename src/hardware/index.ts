/**
 * The FLI Atlas hardware layer: FLI's USB focuser protocol (the driver), the transports it runs
 * over (node-usb, or a simulated Atlas speaking the same bytes) and its errors. Knows nothing of
 * Pyro or the service.
 */
export * from './errors.js';
export * from './transport.js';
export * from './atlas/index.js';
export * from './simulator/index.js';
export * from './usb/index.js';
export { openAtlas, type OpenAtlasOptions } from './open.js';
export { listFocusers, type FocuserListing, type ListOptions } from './list.js';
