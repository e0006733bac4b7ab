/** libusb-1.0's `enum libusb_error`: the statuses a USB backend can fail an operation with. */
export const UsbStatus = {
  SUCCESS: 0,
  ERROR_IO: -1,
  ERROR_INVALID_PARAM: -2,
  ERROR_ACCESS: -3,
  ERROR_NO_DEVICE: -4,
  ERROR_NOT_FOUND: -5,
  ERROR_BUSY: -6,
  ERROR_TIMEOUT: -7,
  ERROR_OVERFLOW: -8,
  ERROR_PIPE: -9,
  ERROR_INTERRUPTED: -10,
  ERROR_NO_MEM: -11,
  ERROR_NOT_SUPPORTED: -12,
  ERROR_OTHER: -99,
} as const;
export type UsbStatusCode = (typeof UsbStatus)[keyof typeof UsbStatus];

const NAMES = new Map<number, string>(Object.entries(UsbStatus).map(([name, code]) => [code, name === 'SUCCESS' ? 'LIBUSB_SUCCESS' : `LIBUSB_${name}`]));

/** libusb's own name for a status (`libusb_error_name`); LIBUSB_ERROR_OTHER for an unknown one. */
export function statusName(status: number): string {
  return NAMES.get(status) ?? 'LIBUSB_ERROR_OTHER';
}

export const isKnownStatus = (status: number): boolean => NAMES.has(status);

/**
 * A USB operation a backend refused with a libusb status. `NodeUsbTransport` turns it into the
 * driver's errors by the status (a gone device, a time-out, a busy interface ...), not by wording.
 */
export class UsbStatusError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`${what}: ${statusName(status)}`);
    this.name = 'UsbStatusError';
  }
}
