/** Pyro4 4.82's wire protocol version. */
export const PROTOCOL_VERSION = 48;
export const HEADER_SIZE = 24;
export const MAGIC = Buffer.from('PYRO', 'latin1');
export const CHECKSUM_MAGIC = 0x34e9;
/** Each annotation chunk: 4-byte ASCII name, u16 length, bytes. */
export const ANNOTATION_HEADER_SIZE = 6;

export const MessageType = {
  CONNECT: 1,
  CONNECTOK: 2,
  CONNECTFAIL: 3,
  INVOKE: 4,
  RESULT: 5,
  PING: 6,
} as const;
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

export const Flags = {
  EXCEPTION: 1,
  COMPRESSED: 2,
  ONEWAY: 4,
  BATCH: 8,
  META_ON_CONNECT: 16,
  ITEMSTREAMRESULT: 32,
  KEEPSERIALIZED: 64,
} as const;

export const SerializerId = {
  serpent: 1,
  json: 2,
  marshal: 3,
  pickle: 4,
  dill: 5,
  msgpack: 6,
  cloudpickle: 7,
} as const;

export function serializerName(id: number): string {
  for (const [name, value] of Object.entries(SerializerId)) if (value === id) return name;
  return `unknown serializer ${id}`;
}

export function headerChecksum(fields: {
  type: number;
  flags: number;
  seq: number;
  dataLength: number;
  serializerId: number;
  annotationsLength: number;
}): number {
  return (
    (fields.type +
      PROTOCOL_VERSION +
      fields.dataLength +
      fields.annotationsLength +
      fields.serializerId +
      fields.flags +
      fields.seq +
      CHECKSUM_MAGIC) &
    0xffff
  );
}
