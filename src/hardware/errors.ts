/**
 * Errors of the FLI Atlas hardware layer. Every failure the driver, a transport or the simulator
 * reports is an `AtlasError`; the subclass says what went wrong and `code` names it for logs.
 */
export class AtlasError extends Error {
  readonly code: string;
  constructor(message: string, code = 'ATLAS_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AtlasError';
    this.code = code;
  }
}

/** No USB bus, no FLI focuser (0f18:0006) on it, or none with the serial number asked for. */
export class DeviceNotFoundError extends AtlasError {
  constructor(message = 'no FLI focuser (USB 0f18:0006) found', options?: { cause?: unknown }) {
    super(message, 'DEVICE_NOT_FOUND', options);
    this.name = 'DeviceNotFoundError';
  }
}

/** The focuser went away (unplugged, powered off): every exchange fails until it is opened again. */
export class DeviceDisconnectedError extends AtlasError {
  constructor(message = 'the focuser was disconnected (USB device gone)', options?: { cause?: unknown }) {
    super(message, 'DEVICE_DISCONNECTED', options);
    this.name = 'DeviceDisconnectedError';
  }
}

/** A transfer did not complete within its time-out. */
export class TransferTimeoutError extends AtlasError {
  readonly timeoutMs: number;
  /** The command whose exchange timed out, when the driver knows it. */
  readonly command: string | undefined;
  constructor(timeoutMs: number, command?: string, options?: { cause?: unknown }) {
    super(
      `${command !== undefined ? `${command}: ` : ''}no reply from the focuser within ${timeoutMs} ms`,
      'TRANSFER_TIMEOUT',
      options,
    );
    this.name = 'TransferTimeoutError';
    this.timeoutMs = timeoutMs;
    this.command = command;
  }
}

/** A reply of the wrong length or with the wrong echo bytes; names the command it answered. */
export class BadReplyError extends AtlasError {
  readonly command: string;
  readonly reply: Buffer;
  /** The bytes written, when known. */
  readonly write: Buffer | undefined;
  constructor(command: string, detail: string, reply: Uint8Array, write?: Uint8Array) {
    const sent = write !== undefined ? ` [${hexBytes(write)}]` : '';
    super(
      `bad reply to ${command}${sent}: ${detail} (got ${reply.length} byte${reply.length === 1 ? '' : 's'}${reply.length > 0 ? `: ${hexBytes(reply)}` : ''})`,
      'BAD_REPLY',
    );
    this.name = 'BadReplyError';
    this.command = command;
    this.reply = Buffer.from(reply);
    this.write = write !== undefined ? Buffer.from(write) : undefined;
  }
}

/** The focuser is there but this process may not use it (permissions, claimed by another program). */
export class DeviceAccessError extends AtlasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'DEVICE_ACCESS', options);
    this.name = 'DeviceAccessError';
  }
}

/** The device answered the open sequence as something that is not a supported FLI focuser. */
export class UnsupportedDeviceError extends AtlasError {
  constructor(message: string) {
    super(message, 'UNSUPPORTED_DEVICE');
    this.name = 'UnsupportedDeviceError';
  }
}

/** Any other USB failure (an I/O error reported by the USB stack). */
export class UsbTransferError extends AtlasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'USB_TRANSFER', options);
    this.name = 'UsbTransferError';
  }
}

/** A call on a focuser or transport that has been closed. */
export class DeviceClosedError extends AtlasError {
  constructor(message = 'the focuser is closed') {
    super(message, 'DEVICE_CLOSED');
    this.name = 'DeviceClosedError';
  }
}

/** `80 00 12` style hex, for messages. */
export function hexBytes(bytes: Uint8Array | readonly number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
