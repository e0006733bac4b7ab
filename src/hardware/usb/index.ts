export {
  NodeUsbTransport,
  findUsbFocuser,
  nodeUsbBackend,
  type FindFocuserOptions,
  type UsbBackend,
  type UsbDeviceLike,
} from './node-usb-transport.js';
export { UsbStatus, UsbStatusError, isKnownStatus, statusName, type UsbStatusCode } from './status.js';
