import type { VectorType } from './properties.js';
import type { XmlElement } from './xml-reader.js';

/**
 * What an INDI client (or an indiserver chaining us as a remote driver) may send a device, decoded
 * from one top-level XML element. Anything else is a `CommandError` whose text the client gets.
 */
export type ClientCommand =
  | { kind: 'getProperties'; device: string | undefined; name: string | undefined }
  | { kind: 'new'; type: VectorType | 'BLOB'; device: string; name: string; members: NewMember[] }
  | { kind: 'enableBLOB'; device: string | undefined }
  | { kind: 'pingRequest'; uid: string }
  | { kind: 'pingReply' };

export interface NewMember {
  name: string;
  /** The member's character data as sent, whitespace trimmed. */
  text: string;
}

export class CommandError extends Error {
  readonly code = 'INDI_COMMAND';
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

const NEW_VECTORS: Record<string, VectorType | 'BLOB'> = {
  newNumberVector: 'Number',
  newSwitchVector: 'Switch',
  newTextVector: 'Text',
  newBLOBVector: 'BLOB',
};

/** Shown in messages: never more than this much of a name a client chose. */
const shown = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}...` : text);

function required(element: XmlElement, attribute: string): string {
  const value = element.attributes.get(attribute);
  if (value === undefined || value === '') throw new CommandError(`<${element.name}> needs a ${attribute} attribute`);
  return value;
}

export function decodeCommand(element: XmlElement): ClientCommand {
  const optional = (attribute: string): string | undefined => element.attributes.get(attribute) || undefined;
  switch (element.name) {
    case 'getProperties':
      return { kind: 'getProperties', device: optional('device'), name: optional('name') };
    case 'enableBLOB':
      return { kind: 'enableBLOB', device: optional('device') };
    case 'pingRequest':
      return { kind: 'pingRequest', uid: element.attributes.get('uid') ?? '' };
    case 'pingReply':
      return { kind: 'pingReply' };
  }
  const type = NEW_VECTORS[element.name];
  if (type === undefined) {
    const hint = /^(def|set)\w+Vector$|^delProperty$|^message$/.test(element.name) ? ' (that is what a device sends, not a client)' : '';
    throw new CommandError(`unknown INDI command <${shown(element.name)}>${hint}`);
  }
  const device = required(element, 'device');
  const name = required(element, 'name');
  const memberTag = `one${type}`;
  const members: NewMember[] = [];
  for (const child of element.children) {
    if (child.name !== memberTag) throw new CommandError(`<${element.name}> ${shown(name)} holds <${shown(child.name)}>: only <${memberTag}> belongs there`);
    const memberName = required(child, 'name');
    if (members.some((m) => m.name === memberName)) throw new CommandError(`<${element.name}> ${shown(name)} sets ${shown(memberName)} twice`);
    members.push({ name: memberName, text: child.text.trim() });
  }
  if (members.length === 0) throw new CommandError(`<${element.name}> ${shown(name)} sets nothing (no <${memberTag}>)`);
  return { kind: 'new', type, device, name, members };
}

export { shown as shownName };
