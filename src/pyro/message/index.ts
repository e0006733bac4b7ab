export * from './constants.js';
export {
  encodeMessage,
  checkHmac,
  messageHmac,
  toHmacKey,
  decompressedPayload,
  maybeCompress,
  type Message,
  type EncodeOptions,
  type HmacKey,
} from './message.js';
export { MessageDecoder, type DecoderOptions, type MessageHeader } from './decoder.js';
