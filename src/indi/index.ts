/**
 * INDI (protocol 1.7, XML over TCP) for one device: a streaming XML reader, the property model,
 * the commands clients send and a server. Knows nothing of focusers. Wire facts: docs/indi.md.
 */
export { IndiServer, type IndiServerOptions } from './server.js';
export { IndiDevice, checkWrite, type DeviceEvent, type IndiClient, type MemberValues, type WriteRequest, type Refusal } from './device.js';
export type { IndiLogger } from './connection.js';
export { DEFAULT_INDI_LIMITS, type IndiLimits } from './limits.js';
export { parseIndiAddress, IndiAddressError, INDI_PORT } from './address.js';
export { CommandError, decodeCommand, type ClientCommand, type NewMember } from './commands.js';
export {
  defineXml,
  deleteXml,
  indiTimestamp,
  messageXml,
  setXml,
  type NumberMember,
  type NumberVector,
  type Permission,
  type PropertyState,
  type SwitchMember,
  type SwitchRule,
  type SwitchVector,
  type TextMember,
  type TextVector,
  type Vector,
} from './properties.js';
export { XmlStreamReader, XmlStreamError, DEFAULT_XML_LIMITS, type XmlElement, type XmlLimits } from './xml-reader.js';
