import { openTag, textElement, type Attributes } from './xml-writer.js';

/**
 * INDI's property vectors (number, switch, text) and how each goes on the wire: defined
 * (`def*Vector`, everything a client needs to draw it), set (`set*Vector`, state and values),
 * deleted (`delProperty`) and device messages (`message`).
 */
export type PropertyState = 'Idle' | 'Ok' | 'Busy' | 'Alert';
export type Permission = 'ro' | 'wo' | 'rw';
export type SwitchRule = 'OneOfMany' | 'AtMostOne' | 'AnyOfMany';

interface VectorBase {
  name: string;
  label: string;
  group: string;
  state: PropertyState;
  perm: Permission;
  /** Seconds a client should expect a change to take (a hint; 0: none). */
  timeout: number;
}

export interface NumberMember {
  name: string;
  label: string;
  /** printf-style format for clients (`%.f` whole steps, `%6.2f` degrees). */
  format: string;
  min: number;
  max: number;
  step: number;
  value: number;
}

export interface SwitchMember {
  name: string;
  label: string;
  on: boolean;
}

export interface TextMember {
  name: string;
  label: string;
  value: string;
}

export interface NumberVector extends VectorBase {
  type: 'Number';
  members: NumberMember[];
}

export interface SwitchVector extends VectorBase {
  type: 'Switch';
  rule: SwitchRule;
  members: SwitchMember[];
}

export interface TextVector extends VectorBase {
  type: 'Text';
  members: TextMember[];
}

export type Vector = NumberVector | SwitchVector | TextVector;
export type VectorType = Vector['type'];

/** INDI's timestamp: UTC to the second, no zone letter. */
export const indiTimestamp = (date = new Date()): string => date.toISOString().slice(0, 19);

/** Numbers as text: integers without a fraction, others as JavaScript writes them. */
export const numberText = (value: number): string => (Number.isFinite(value) ? String(value) : '0');

const memberValue = (vector: Vector, index: number): string => {
  switch (vector.type) {
    case 'Number':
      return numberText((vector.members[index] as NumberMember).value);
    case 'Switch':
      return (vector.members[index] as SwitchMember).on ? 'On' : 'Off';
    case 'Text':
      return (vector.members[index] as TextMember).value;
  }
};

/** `def<Type>Vector`: the whole property, with its current state and values. */
export function defineXml(device: string, vector: Vector, timestamp: string, message?: string): string {
  const attributes: Attributes = [
    ['device', device],
    ['name', vector.name],
    ['label', vector.label],
    ['group', vector.group],
    ['state', vector.state],
    ['perm', vector.perm],
    ['rule', vector.type === 'Switch' ? vector.rule : undefined],
    ['timeout', vector.timeout],
    ['timestamp', timestamp],
    ['message', message],
  ];
  let out = openTag(`def${vector.type}Vector`, attributes);
  vector.members.forEach((member, i) => {
    const memberAttributes: Attributes =
      vector.type === 'Number'
        ? (() => {
            const n = member as NumberMember;
            return [['name', n.name], ['label', n.label], ['format', n.format], ['min', numberText(n.min)], ['max', numberText(n.max)], ['step', numberText(n.step)]];
          })()
        : [['name', member.name], ['label', member.label]];
    out += textElement(`def${vector.type}`, memberAttributes, memberValue(vector, i));
  });
  return `${out}</def${vector.type}Vector>\n`;
}

/** `set<Type>Vector`: the property's state and every value, with an optional message. */
export function setXml(device: string, vector: Vector, timestamp: string, message?: string): string {
  const attributes: Attributes = [
    ['device', device],
    ['name', vector.name],
    ['state', vector.state],
    ['timeout', vector.timeout],
    ['timestamp', timestamp],
    ['message', message],
  ];
  let out = openTag(`set${vector.type}Vector`, attributes);
  vector.members.forEach((member, i) => {
    out += textElement(`one${vector.type}`, [['name', member.name]], memberValue(vector, i));
  });
  return `${out}</set${vector.type}Vector>\n`;
}

/** `delProperty`: one property of `device`, or (no name) the whole device, is gone. */
export function deleteXml(device: string, name: string | undefined, timestamp: string, message?: string): string {
  return openTag('delProperty', [['device', device], ['name', name], ['timestamp', timestamp], ['message', message]], true) + '\n';
}

/** `message`: text for a person; without a device it is about the connection, not a device. */
export function messageXml(device: string | undefined, text: string, timestamp: string): string {
  return openTag('message', [['device', device], ['timestamp', timestamp], ['message', text]], true) + '\n';
}
