import { TaskQueue } from '../common/task-queue.js';
import type { AtlasStatusFlags } from '../hardware/index.js';

/**
 * What the connection machine needs from a focuser. The service adapts the hardware driver
 * (`AtlasFocuser`) to this; machine tests drive the simulator through the same adapter.
 */
export interface FocuserFacts {
  model: string;
  serialNumber: string;
  firmwareRevision: number;
  extent: number;
  stepRate: number;
  temperatureSensors: number;
}

/** The device's status, decoded once in hardware/ (`decodeStatus`). */
export type DeviceStatus = AtlasStatusFlags;

export const RESTING: DeviceStatus = Object.freeze({ moving: false, homing: false, atHome: false, atLimit: false });

export interface FocuserDevice {
  readonly facts: FocuserFacts;
  position(): Promise<number>;
  status(): Promise<DeviceStatus>;
  moveRelative(steps: number): Promise<void>;
  halt(): Promise<void>;
  home(): Promise<void>;
  /** Degrees C for each sensor, in channel order. */
  temperatures(): Promise<number[]>;
  close(): Promise<void>;
}

/** Opening found no focuser: initialize() answers DeviceNotFound. */
export class NoFocuserError extends Error {
  readonly code = 'NO_FOCUSER';
  constructor(message = 'no FLI focuser found') {
    super(message);
    this.name = 'NoFocuserError';
  }
}

export type OpenDevice = () => Promise<FocuserDevice>;

/**
 * Runs device operations one at a time. A poll cancelled by a state change may still have an
 * exchange in flight; the next operation waits for it instead of interleaving on the wire.
 */
export function serialized(device: FocuserDevice): FocuserDevice {
  const queue = new TaskQueue();
  const run = <T>(op: () => Promise<T>): Promise<T> => queue.run(op);
  return {
    facts: device.facts,
    position: () => run(() => device.position()),
    status: () => run(() => device.status()),
    moveRelative: (steps) => run(() => device.moveRelative(steps)),
    halt: () => run(() => device.halt()),
    home: () => run(() => device.home()),
    temperatures: () => run(() => device.temperatures()),
    close: () => run(() => device.close()),
  };
}
