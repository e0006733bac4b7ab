import { StringDecoder } from 'node:string_decoder';

/**
 * A streaming reader for the XML that INDI speaks: a TCP stream of top-level elements with no
 * document root (`<getProperties/>`, `<newNumberVector>...</newNumberVector>`, ...). Feed it chunks
 * of any size; each complete top-level element comes back as a small tree.
 *
 * Our own rather than a library: sax (the maintained streaming parser) treats the end of the first
 * top-level element as the end of the document and reports every later text node as an error, so a
 * rootless stream needs a synthetic root and error suppression; and a server needs its limits
 * checked per element as the bytes arrive (size, depth, attributes), which a parser with one
 * global buffer limit does not give. INDI uses a small part of XML: elements, attributes, text,
 * the five predefined entities and character references, comments, CDATA and `<?xml ...?>`
 * declarations. A DOCTYPE (and so any entity definition) is refused.
 */
export interface XmlElement {
  name: string;
  attributes: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** The element's own character data, entities decoded (children's text excluded). */
  text: string;
}

export interface XmlLimits {
  /** Bytes of one top-level element (or comment, declaration), from its `<` to its end. */
  maxElementBytes: number;
  /** Elements open at once. */
  maxDepth: number;
  /** Attributes on one element. */
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxElementBytes: 64 * 1024, maxDepth: 8, maxAttributes: 32 };

export type XmlErrorCode = 'SYNTAX' | 'TOO_LARGE' | 'TOO_DEEP';

/** The stream is not XML we accept. It cannot be resynchronised: the reader refuses more input. */
export class XmlStreamError extends Error {
  constructor(
    readonly code: XmlErrorCode,
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} (line ${line}, column ${column})`);
    this.name = 'XmlStreamError';
  }
}

const enum S {
  Content,
  LessThan,
  OpenName,
  InTag,
  AttrName,
  AfterAttrName,
  BeforeValue,
  Value,
  EmptyTagEnd,
  CloseName,
  AfterCloseName,
  Bang,
  Comment,
  CData,
  Declaration,
}

const isNameStart = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c >= 0xc0;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
/** Characters XML 1.0 forbids anywhere (C0 controls other than tab, LF, CR). */
const isForbidden = (c: number): boolean => c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d;
/** UTF-8 length of one UTF-16 unit (a surrogate is half of a 4-byte character). */
const utf8Length = (c: number): number => (c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xe000 ? 2 : 3);

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface Open {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  text: string;
}

export class XmlStreamReader {
  private readonly limits: XmlLimits;
  private readonly decoder = new StringDecoder('utf8');
  private state = S.Content;
  private readonly stack: Open[] = [];
  /** The name, attribute name, value or markup being read. */
  private token = '';
  private attrName = '';
  private attributes = new Map<string, string>();
  private quote = 0;
  /** Character data since the last markup, entities not yet decoded. */
  private run = '';
  /** Bytes of the current top-level item; -1 between items. */
  private itemBytes = -1;
  private line = 1;
  private column = 0;
  private failed: XmlStreamError | null = null;

  constructor(limits: Partial<XmlLimits> = {}) {
    this.limits = { ...DEFAULT_XML_LIMITS, ...limits };
  }

  /** True while part of a top-level element (or comment, declaration) has been read. */
  get pending(): boolean {
    return this.itemBytes >= 0;
  }

  /**
   * Reads `chunk`. Returns the elements it completed and, when the stream turned out to be bad,
   * the error (elements completed before it are still returned). After an error every push
   * returns that error again.
   */
  push(chunk: Uint8Array | string): { elements: XmlElement[]; error: XmlStreamError | null } {
    const elements: XmlElement[] = [];
    if (this.failed) return { elements, error: this.failed };
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    try {
      for (let i = 0; i < text.length; i++) this.step(text.charCodeAt(i), text, i, elements);
    } catch (e) {
      if (!(e instanceof XmlStreamError)) throw e;
      this.failed = e;
      return { elements, error: e };
    }
    return { elements, error: null };
  }

  private fail(code: XmlErrorCode, reason: string): never {
    throw new XmlStreamError(code, reason, this.line, this.column);
  }

  private step(c: number, text: string, i: number, out: XmlElement[]): void {
    if (c === 0x0a) {
      this.line++;
      this.column = 0;
    } else {
      this.column++;
    }
    if (this.itemBytes >= 0) {
      this.itemBytes += utf8Length(c);
      if (this.itemBytes > this.limits.maxElementBytes) {
        this.fail('TOO_LARGE', `an element longer than ${this.limits.maxElementBytes} bytes`);
      }
    }
    if (isForbidden(c)) this.fail('SYNTAX', `character U+${c.toString(16).padStart(4, '0')} is not allowed in XML`);
    const ch = text[i] as string;

    switch (this.state) {
      case S.Content:
        if (c === 0x3c /* < */) {
          if (this.stack.length === 0) {
            this.itemBytes = 1;
          } else {
            this.flushRun();
          }
          this.state = S.LessThan;
        } else if (this.stack.length === 0) {
          if (!isSpace(c)) this.fail('SYNTAX', `text outside an element ('${ch}')`);
        } else {
          this.run += ch;
        }
        return;

      case S.LessThan:
        if (c === 0x2f /* / */) {
          if (this.stack.length === 0) this.fail('SYNTAX', 'a closing tag with no element open');
          this.token = '';
          this.state = S.CloseName;
        } else if (c === 0x21 /* ! */) {
          this.token = '';
          this.state = S.Bang;
        } else if (c === 0x3f /* ? */) {
          this.token = '';
          this.state = S.Declaration;
        } else if (isNameStart(c)) {
          this.token = ch;
          this.attributes = new Map();
          this.state = S.OpenName;
        } else {
          this.fail('SYNTAX', `'<' followed by '${ch}' is not markup`);
        }
        return;

      case S.OpenName:
        if (isNameChar(c)) this.token += ch;
        else this.afterOpenName(c, ch, out);
        return;

      case S.InTag:
        if (isSpace(c)) return;
        if (c === 0x3e /* > */) return this.openElement(false, out);
        if (c === 0x2f) {
          this.state = S.EmptyTagEnd;
          return;
        }
        if (isNameStart(c)) {
          this.attrName = ch;
          this.state = S.AttrName;
          return;
        }
        this.fail('SYNTAX', `unexpected '${ch}' in the tag of <${this.token}>`);
        return;

      case S.AttrName:
        if (isNameChar(c)) this.attrName += ch;
        else if (c === 0x3d /* = */) this.state = S.BeforeValue;
        else if (isSpace(c)) this.state = S.AfterAttrName;
        else this.fail('SYNTAX', `attribute ${this.attrName} of <${this.token}> has no value`);
        return;

      case S.AfterAttrName:
        if (isSpace(c)) return;
        if (c === 0x3d) this.state = S.BeforeValue;
        else this.fail('SYNTAX', `attribute ${this.attrName} of <${this.token}> has no value`);
        return;

      case S.BeforeValue:
        if (isSpace(c)) return;
        if (c === 0x22 || c === 0x27) {
          this.quote = c;
          this.run = '';
          this.state = S.Value;
        } else {
          this.fail('SYNTAX', `the value of attribute ${this.attrName} of <${this.token}> is not quoted`);
        }
        return;

      case S.Value:
        if (c === this.quote) {
          if (this.attributes.has(this.attrName)) this.fail('SYNTAX', `attribute ${this.attrName} given twice in <${this.token}>`);
          if (this.attributes.size >= this.limits.maxAttributes) this.fail('TOO_LARGE', `more than ${this.limits.maxAttributes} attributes in <${this.token}>`);
          this.attributes.set(this.attrName, this.decode(this.run));
          this.run = '';
          this.state = S.InTag;
        } else if (c === 0x3c) {
          this.fail('SYNTAX', `'<' inside the value of attribute ${this.attrName}`);
        } else {
          this.run += ch;
        }
        return;

      case S.EmptyTagEnd:
        if (c === 0x3e) return this.openElement(true, out);
        this.fail('SYNTAX', `'/' not followed by '>' in <${this.token}>`);
        return;

      case S.CloseName:
        if (this.token === '' ? isNameStart(c) : isNameChar(c)) this.token += ch;
        else if (isSpace(c) && this.token !== '') this.state = S.AfterCloseName;
        else if (c === 0x3e && this.token !== '') this.closeElement(out);
        else this.fail('SYNTAX', `unexpected '${ch}' in a closing tag`);
        return;

      case S.AfterCloseName:
        if (isSpace(c)) return;
        if (c === 0x3e) this.closeElement(out);
        else this.fail('SYNTAX', `unexpected '${ch}' in the closing tag </${this.token}>`);
        return;

      case S.Bang:
        this.token += ch;
        if (this.token === '--') {
          this.token = '';
          this.state = S.Comment;
        } else if (this.token === '[CDATA[') {
          if (this.stack.length === 0) this.fail('SYNTAX', 'CDATA outside an element');
          this.token = '';
          this.state = S.CData;
        } else if (!'--'.startsWith(this.token) && !'[CDATA['.startsWith(this.token)) {
          this.fail('SYNTAX', this.token.startsWith('D') ? 'a DOCTYPE is not accepted' : `'<!${this.token}' is not a comment or CDATA`);
        }
        return;

      case S.Comment:
        // Only the last two characters matter; the comment's text is never kept.
        if (c === 0x3e && this.token === '--') return this.endMarkup();
        this.token = c === 0x2d ? (this.token + '-').slice(-2) : '';
        return;

      case S.CData:
        if (c === 0x3e && this.token.endsWith(']]')) {
          (this.stack[this.stack.length - 1] as Open).text += this.token.slice(0, -2);
          this.token = '';
          this.state = S.Content;
          return;
        }
        this.token += ch;
        return;

      case S.Declaration:
        if (c === 0x3e && this.token.endsWith('?')) return this.endMarkup();
        this.token = c === 0x3f ? '?' : '';
        return;
    }
  }

  private afterOpenName(c: number, ch: string, out: XmlElement[]): void {
    if (isSpace(c)) this.state = S.InTag;
    else if (c === 0x3e) this.openElement(false, out);
    else if (c === 0x2f) this.state = S.EmptyTagEnd;
    else this.fail('SYNTAX', `unexpected '${ch}' after <${this.token}`);
  }

  private openElement(empty: boolean, out: XmlElement[]): void {
    if (this.stack.length >= this.limits.maxDepth) this.fail('TOO_DEEP', `elements nested more than ${this.limits.maxDepth} deep`);
    const open: Open = { name: this.token, attributes: this.attributes, children: [], text: '' };
    this.token = '';
    this.run = '';
    this.state = S.Content;
    if (empty) this.finish(open, out);
    else this.stack.push(open);
  }

  private closeElement(out: XmlElement[]): void {
    const open = this.stack.pop() as Open;
    if (open.name !== this.token) this.fail('SYNTAX', `</${this.token}> closes <${open.name}>`);
    this.token = '';
    this.state = S.Content;
    this.finish(open, out);
  }

  private finish(open: Open, out: XmlElement[]): void {
    const element: XmlElement = { name: open.name, attributes: open.attributes, children: open.children, text: open.text };
    const parent = this.stack[this.stack.length - 1];
    if (parent) {
      parent.children.push(element);
    } else {
      out.push(element);
      this.itemBytes = -1;
    }
  }

  /** The end of a comment or declaration. */
  private endMarkup(): void {
    this.token = '';
    this.state = S.Content;
    if (this.stack.length === 0) this.itemBytes = -1;
  }

  private flushRun(): void {
    if (this.run === '') return;
    (this.stack[this.stack.length - 1] as Open).text += this.decode(this.run);
    this.run = '';
  }

  /** Replaces entity and character references; anything else after '&' is an error. */
  private decode(raw: string): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&]*)(;?)/g, (_, body: string, semi: string) => {
      if (semi !== ';') this.fail('SYNTAX', `'&' not ending in ';' ('&${body.slice(0, 12)}')`);
      const named = ENTITIES[body];
      if (named !== undefined) return named;
      const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
      const code = m ? (m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2] as string, 10)) : -1;
      if (code < 0) this.fail('SYNTAX', `unknown entity &${body.slice(0, 24)};`);
      if (code > 0x10ffff || isForbidden(code) || (code >= 0xd800 && code < 0xe000)) this.fail('SYNTAX', `&${body}; is not a character XML allows`);
      return String.fromCodePoint(code);
    });
  }
}
