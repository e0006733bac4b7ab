/** USB identity of the FLI focuser (libfli: `FLIUSB_VENDORID`, `FLIUSB_FOCUSER_ID`). */
export const FLI_VENDOR_ID = 0x0f18;
export const FLI_FOCUSER_PRODUCT_ID = 0x0006;
/** Bulk endpoint number: OUT 0x02, IN 0x82. */
export const FLI_BULK_ENDPOINT = 2;
/** libfli gives every transfer at least this long (`FLIUSB_MIN_TIMEOUT`). */
export const DEFAULT_TRANSFER_TIMEOUT_MS = 5000;

export interface UsbIdentity {
  /** The device's iSerialNumber string ('' when it has none). */
  serialNumber: string;
  /** bcdDevice from the device descriptor. */
  bcdDevice: number;
  busNumber?: number;
  portNumbers?: number[];
}

/**
 * One FLI device on the wire. An exchange writes `write` to EP 0x02 and then reads `readLength`
 * bytes from EP 0x82; the reply may be shorter than asked (a short read), never longer.
 * Implementations reject with `DeviceDisconnectedError` (at once, also for an exchange already
 * waiting) once the device is gone, `TransferTimeoutError` when a transfer exceeds `timeoutMs`
 * (0: no time-out), `DeviceClosedError` after `close()`. `open()` is idempotent; `close()` never
 * throws.
 */
export interface UsbTransport {
  readonly identity: UsbIdentity;
  open(): Promise<void>;
  close(): Promise<void>;
  exchange(write: Uint8Array, readLength: number, timeoutMs?: number): Promise<Buffer>;
}
