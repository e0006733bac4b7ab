import {
  AtlasFocuser,
  decodeStatus,
  DeviceNotFoundError,
  openAtlas,
  type SimulatedAtlas,
  type UsbBackend,
} from '../hardware/index.js';
import { NoFocuserError, type FocuserDevice, type OpenDevice } from '../machines/index.js';

/** The Atlas driver as the connection machine sees it. */
export function adaptAtlas(focuser: AtlasFocuser): FocuserDevice {
  const info = focuser.info;
  return {
    facts: {
      model: info.model,
      serialNumber: info.serialNumber,
      firmwareRevision: info.firmwareRevision,
      extent: info.extent,
      stepRate: info.stepRate,
      temperatureSensors: info.temperatureSensors,
    },
    position: () => focuser.position(),
    status: async () => decodeStatus(await focuser.status()),
    moveRelative: (steps) => focuser.moveRelative(steps),
    halt: () => focuser.halt(),
    home: () => focuser.home(),
    async temperatures() {
      const out: number[] = [];
      for (let channel = 0; channel < info.temperatureSensors; channel++) out.push(await focuser.temperature(channel));
      return out;
    },
    close: () => focuser.close(),
  };
}

/**
 * Opens the simulated Atlas (when given), the focuser on `usbBackend` (atlas-sim's socket), or the
 * USB focuser; "nothing on the bus" becomes NoFocuserError.
 */
export function deviceOpener(options: { simulator: SimulatedAtlas | null; usbBackend?: UsbBackend | undefined; serialNumber?: string | undefined }): OpenDevice {
  return async () => {
    try {
      const focuser = await openAtlas({
        ...(options.simulator ? { simulator: options.simulator } : {}),
        ...(options.usbBackend ? { usbBackend: options.usbBackend } : {}),
        ...(options.serialNumber !== undefined ? { serialNumber: options.serialNumber } : {}),
      });
      return adaptAtlas(focuser);
    } catch (e) {
      // The machine says "Focuser not found: <why>"; the driver's own "no FLI focuser found: " would repeat it.
      if (e instanceof DeviceNotFoundError) throw new NoFocuserError(e.message.replace(/^no FLI focuser found: /, ''));
      throw e;
    }
  };
}
