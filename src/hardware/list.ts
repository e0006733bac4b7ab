import { AtlasFocuser } from './atlas/focuser.js';
import { DeviceAccessError } from './errors.js';
import { SimulatedUsbTransport } from './simulator/simulated-transport.js';
import type { SimulatedAtlas } from './simulator/simulated-atlas.js';
import { NodeUsbTransport, nodeUsbBackend, usbFocusers, type UsbBackend, type UsbDeviceLike } from './usb/node-usb-transport.js';

/** One FLI focuser on the bus, as `focusd --list` shows it. */
export interface FocuserListing {
  serialNumber: string;
  /** `bus 1 port 1.4`, `simulated`. */
  location: string;
  /** `available` once the open sequence ran; otherwise why it could not be opened. */
  availability: 'available' | 'in use' | 'no access' | 'unreadable';
  /** What stopped the open sequence, when it did not run. */
  problem?: string;
  /** From the open sequence, when the focuser could be opened. */
  model?: string;
  hardwareType?: number;
  extent?: number;
  /** The `80 01` reply, or the USB descriptor's bcdDevice when the focuser could not be opened. */
  firmwareRevision: number;
  /** Where firmwareRevision was read. */
  firmwareFrom: 'device' | 'descriptor';
}

export interface ListOptions {
  /** List this simulated Atlas instead of the USB bus. */
  simulator?: SimulatedAtlas;
  /** Where USB devices come from (atlas-sim's socket, tests); default the `usb` package. */
  usbBackend?: UsbBackend;
  transferTimeoutMs?: number;
}

const location = (device: UsbDeviceLike): string => `bus ${device.bus}${device.ports.length > 0 ? ` port ${device.ports.join('.')}` : ''}`;

/** Opens the focuser long enough to run the open sequence (no motion), then closes it. */
async function probe(transport: SimulatedUsbTransport | NodeUsbTransport, where: string, options: ListOptions): Promise<FocuserListing> {
  const bcd = transport.identity.bcdDevice;
  const base = { serialNumber: transport.identity.serialNumber, location: where };
  try {
    const focuser = await AtlasFocuser.open(transport, options.transferTimeoutMs !== undefined ? { transferTimeoutMs: options.transferTimeoutMs } : {});
    const { model, hardwareType, extent, firmwareRevision } = focuser.info;
    await focuser.close();
    return { ...base, availability: 'available', model, hardwareType, extent, firmwareRevision, firmwareFrom: 'device' };
  } catch (e) {
    await transport.close().catch(() => undefined);
    const problem = e instanceof Error ? e.message : String(e);
    const availability = e instanceof DeviceAccessError ? (/in use by another program/.test(problem) ? 'in use' : 'no access') : 'unreadable';
    return { ...base, availability, problem, firmwareRevision: bcd, firmwareFrom: 'descriptor' };
  }
}

/**
 * Every FLI focuser (USB 0f18:0006) on the bus, or the simulated one, with its facts and whether
 * this process could open it. No USB bus at all is a `DeviceNotFoundError`.
 */
export async function listFocusers(options: ListOptions = {}): Promise<FocuserListing[]> {
  if (options.simulator) return [await probe(new SimulatedUsbTransport(options.simulator), 'simulated', options)];
  const backend = options.usbBackend ?? (await nodeUsbBackend());
  const listings: FocuserListing[] = [];
  for (const device of await usbFocusers(backend)) {
    listings.push(await probe(new NodeUsbTransport(device, backend), location(device), options));
  }
  return listings;
}
