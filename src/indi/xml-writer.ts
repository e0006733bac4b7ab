/**
 * Writing INDI's XML: escaping, and one element per line. Every string we put on the wire passes
 * through here, so text a client chose (a device or property name it asked for, echoed in a
 * message) can never break the stream: markup characters become entities and characters XML
 * forbids become U+FFFD.
 */

const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function escapeText(value: string): string {
  return value.replace(FORBIDDEN, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

export type Attributes = ReadonlyArray<readonly [string, string | number | undefined]>;

/** `<name a="..."...>` with attributes in the order given; undefined values are left out. */
export function openTag(name: string, attributes: Attributes, empty = false): string {
  let out = '<' + name;
  for (const [key, value] of attributes) {
    if (value !== undefined) out += ` ${key}="${escapeAttribute(String(value))}"`;
  }
  return out + (empty ? '/>' : '>');
}

/** An element with character data only. */
export function textElement(name: string, attributes: Attributes, text: string): string {
  return `${openTag(name, attributes)}${escapeText(text)}</${name}>`;
}
