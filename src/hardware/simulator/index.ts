export { SimulatedAtlas, type SimulatedAtlasOptions, type CommandRecord, type CommandListener } from './simulated-atlas.js';
export { SimulatedUsbTransport } from './simulated-transport.js';
export { ManualClock, realClock, type SimulatorClock, type SimulatorTimers } from './clock.js';
export * from './socket/index.js';
