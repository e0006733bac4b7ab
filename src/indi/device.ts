import { shownName, type ClientCommand } from './commands.js';
import type { NumberVector, PropertyState, SwitchVector, TextVector, Vector } from './properties.js';

/**
 * One INDI device as the server serves it: its current property vectors, and the changes to them
 * as events the server sends to its clients. Whoever drives the device (the focuser adapter)
 * defines, updates and deletes vectors here; the server never changes a value itself, except to
 * put a property in Alert when a client's write is refused.
 */
export type DeviceEvent =
  | { kind: 'define'; vector: Vector; message: string | undefined }
  | { kind: 'set'; vector: Vector; message: string | undefined }
  | { kind: 'delete'; name: string; message: string | undefined }
  | { kind: 'message'; text: string };

/** New values for a vector: member name -> value (numbers, On as true, text). */
export type MemberValues = Readonly<Record<string, number | boolean | string>>;

/** A client's write, checked against the property: values of the right type, inside min..max. */
export type WriteRequest =
  | { type: 'Number'; name: string; values: ReadonlyMap<string, number> }
  /** For switches, every member's state after the vector's rule is applied. */
  | { type: 'Switch'; name: string; values: ReadonlyMap<string, boolean> }
  | { type: 'Text'; name: string; values: ReadonlyMap<string, string> };

/** Who sent a command: the TCP peer (behind indiserver, the indiserver's host). */
export interface IndiClient {
  id: number;
  address: string;
  port: number;
}

export class IndiDevice {
  private readonly vectors = new Map<string, Vector>();
  private readonly listeners = new Set<(event: DeviceEvent) => void>();

  constructor(readonly name: string) {}

  list(): Vector[] {
    return [...this.vectors.values()];
  }

  get(name: string): Vector | undefined {
    return this.vectors.get(name);
  }

  has(name: string): boolean {
    return this.vectors.has(name);
  }

  subscribe(listener: (event: DeviceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: DeviceEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Adds (or replaces) a vector and tells the clients. The vector is copied. */
  define(vector: Vector, message?: string): void {
    const copy = structuredClone(vector);
    this.vectors.set(copy.name, copy);
    this.emit({ kind: 'define', vector: copy, message });
  }

  /**
   * Changes a vector's state and values; clients hear of it when something changed or there is a
   * message. Unknown member names are a programming error.
   */
  update(name: string, change: { state?: PropertyState; values?: MemberValues }, message?: string): void {
    const vector = this.vectors.get(name);
    if (!vector) throw new Error(`INDI device ${this.name} has no property ${name}`);
    let changed = false;
    if (change.state !== undefined && change.state !== vector.state) {
      vector.state = change.state;
      changed = true;
    }
    for (const [member, value] of Object.entries(change.values ?? {})) {
      changed = setMember(vector, member, value) || changed;
    }
    if (changed || message !== undefined) this.emit({ kind: 'set', vector, message });
  }

  remove(name: string, message?: string): void {
    if (this.vectors.delete(name)) this.emit({ kind: 'delete', name, message });
  }

  /** A message from the device, not tied to a property. */
  message(text: string): void {
    this.emit({ kind: 'message', text });
  }
}

function setMember(vector: Vector, name: string, value: number | boolean | string): boolean {
  const member = vector.members.find((m) => m.name === name);
  if (!member) throw new Error(`property ${vector.name} has no member ${name}`);
  switch (vector.type) {
    case 'Number': {
      const m = member as NumberVector['members'][number];
      if (typeof value !== 'number') throw new TypeError(`${vector.name}.${name} takes a number`);
      if (m.value === value) return false;
      m.value = value;
      return true;
    }
    case 'Switch': {
      const m = member as SwitchVector['members'][number];
      if (typeof value !== 'boolean') throw new TypeError(`${vector.name}.${name} takes On/Off`);
      if (m.on === value) return false;
      m.on = value;
      return true;
    }
    case 'Text': {
      const m = member as TextVector['members'][number];
      if (typeof value !== 'string') throw new TypeError(`${vector.name}.${name} takes text`);
      if (m.value === value) return false;
      m.value = value;
      return true;
    }
  }
}

/** A number as INDI clients write one: decimal, optionally with a fraction and exponent. */
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Why a write cannot be done; `property` is set when the property exists (it goes to Alert). */
export interface Refusal {
  property: string | undefined;
  message: string;
}

/**
 * Checks a client's new*Vector against the device's property: it exists, is writable and of that
 * type, names only its members, and carries values of the right type inside min..max. Switches
 * come back as the vector's whole state after the client's values and the vector's rule.
 */
export function checkWrite(device: IndiDevice, command: Extract<ClientCommand, { kind: 'new' }>): WriteRequest | Refusal {
  const vector = device.get(command.name);
  const name = shownName(command.name);
  if (!vector) return { property: undefined, message: `${device.name} has no property ${name}${command.type === 'BLOB' ? '' : ' (some exist only while connected)'}` };
  if (vector.type !== command.type) return { property: undefined, message: `${name} is a ${vector.type.toLowerCase()} property: send new${vector.type}Vector, not new${command.type}Vector` };
  const refuse = (message: string): Refusal => ({ property: vector.name, message });
  if (vector.perm === 'ro') return refuse(`${name} is read-only`);
  for (const m of command.members) {
    if (!vector.members.some((v) => v.name === m.name)) {
      return refuse(`${name} has no member ${shownName(m.name)} (it has ${vector.members.map((v) => v.name).join(', ')})`);
    }
  }
  switch (vector.type) {
    case 'Number': {
      const values = new Map<string, number>();
      for (const m of command.members) {
        const value = NUMBER.test(m.text) ? Number(m.text) : NaN;
        if (!Number.isFinite(value)) return refuse(`${name}.${m.name}: '${shownName(m.text)}' is not a number`);
        const member = vector.members.find((v) => v.name === m.name) as NumberVector['members'][number];
        if (value < member.min || value > member.max) return refuse(`${name}.${m.name}: ${value} is outside ${member.min} to ${member.max}`);
        values.set(m.name, value);
      }
      return { type: 'Number', name: vector.name, values };
    }
    case 'Text':
      return { type: 'Text', name: vector.name, values: new Map(command.members.map((m) => [m.name, m.text])) };
    case 'Switch': {
      const given = new Map<string, boolean>();
      for (const m of command.members) {
        if (m.text !== 'On' && m.text !== 'Off') return refuse(`${name}.${m.name}: a switch is On or Off, not '${shownName(m.text)}'`);
        given.set(m.name, m.text === 'On');
      }
      const result = switchResult(vector, given);
      return typeof result === 'string' ? refuse(`${name}: ${result}`) : { type: 'Switch', name: vector.name, values: result };
    }
  }
}

/** The members' states after a client's values under the vector's rule, or why they break it. */
function switchResult(vector: SwitchVector, given: ReadonlyMap<string, boolean>): Map<string, boolean> | string {
  const ons = [...given].filter(([, on]) => on).map(([n]) => n);
  if (vector.rule === 'AnyOfMany') return new Map(vector.members.map((m) => [m.name, given.get(m.name) ?? m.on]));
  if (ons.length > 1) return `${vector.rule}: only one switch may be On (${ons.join(', ')} were)`;
  if (ons.length === 1) return new Map(vector.members.map((m) => [m.name, m.name === ons[0]]));
  // Only Offs: keep what the client did not turn off.
  const after = new Map(vector.members.map((m) => [m.name, given.get(m.name) ?? m.on]));
  if (vector.rule === 'OneOfMany' && ![...after.values()].some(Boolean)) {
    // Turning off one of two switches turns the other on (CONNECT=Off means DISCONNECT).
    if (vector.members.length === 2) {
      const other = vector.members.find((m) => given.get(m.name) !== false);
      if (other) return new Map(vector.members.map((m) => [m.name, m === other]));
    }
    return 'OneOfMany: one switch must be On';
  }
  return after;
}
