import { AtlasFocuser } from './atlas/focuser.js';
import { DeviceNotFoundError } from './errors.js';
import { SimulatedUsbTransport } from './simulator/simulated-transport.js';
import type { SimulatedAtlas } from './simulator/simulated-atlas.js';
import { findUsbFocuser, type UsbBackend } from './usb/node-usb-transport.js';

export interface OpenAtlasOptions {
  /** Talk to this simulated Atlas instead of USB hardware. */
  simulator?: SimulatedAtlas;
  /** Open the focuser with this USB serial number instead of the first one found. */
  serialNumber?: string;
  /** Per-transfer time-out, ms (default 5000, as libfli). */
  transferTimeoutMs?: number;
  /** Where USB devices come from (default: the `usb` package); for tests. */
  usbBackend?: UsbBackend;
}

/**
 * Opens the focuser and runs the open sequence: the simulated one when `simulator` is given,
 * otherwise the first FLI focuser on USB (or the one with `serialNumber`). Nothing to open is a
 * `DeviceNotFoundError`.
 */
export async function openAtlas(options: OpenAtlasOptions = {}): Promise<AtlasFocuser> {
  const openOptions = options.transferTimeoutMs !== undefined ? { transferTimeoutMs: options.transferTimeoutMs } : {};
  const sim = options.simulator;
  if (sim) {
    const wanted = options.serialNumber;
    if (wanted !== undefined && wanted.toLowerCase() !== sim.serialNumber.toLowerCase()) {
      throw new DeviceNotFoundError(`no FLI focuser with serial number "${wanted}" (connected: ${sim.serialNumber}, simulated)`);
    }
    return AtlasFocuser.open(new SimulatedUsbTransport(sim), openOptions);
  }
  const transport = await findUsbFocuser({
    ...(options.serialNumber !== undefined ? { serialNumber: options.serialNumber } : {}),
    ...(options.usbBackend ? { backend: options.usbBackend } : {}),
  });
  return AtlasFocuser.open(transport, openOptions);
}
