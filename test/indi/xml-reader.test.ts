import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XmlStreamReader, type XmlElement } from '../../src/indi/xml-reader.js';
import { escapeAttribute, escapeText, openTag, textElement } from '../../src/indi/xml-writer.js';

/** An element as plain data, for deepEqual. */
const plain = (e: XmlElement): unknown => ({ name: e.name, attributes: Object.fromEntries(e.attributes), text: e.text, children: e.children.map(plain) });

const readAll = (input: string | Buffer, limits = {}): { elements: unknown[]; error: string | null } => {
  const r = new XmlStreamReader(limits).push(typeof input === 'string' ? Buffer.from(input) : input);
  return { elements: r.elements.map(plain), error: r.error ? `${r.error.code}: ${r.error.message}` : null };
};

const STREAM =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<getProperties version="1.7"/>\n' +
  "<newNumberVector device='FLI Atlas' name=\"ABS_FOCUS_POSITION\" timestamp=\"2026-01-01T00:00:00\">\n" +
  '  <oneNumber name="FOCUS_ABSOLUTE_POSITION">\n 5000\n  </oneNumber>\n' +
  '</newNumberVector>\n' +
  '<!-- a comment -- with dashes -->' +
  '<newTextVector device="d&amp;x" name="T"><oneText name="t">a &lt;b&gt; &#233;&#x1F52D; <![CDATA[<raw & ]]]]>é</oneText></newTextVector>';

describe('XML reader: a stream of top-level INDI elements with no root', () => {
  test('reads every top-level element in order, with attributes, text, entities, CDATA; skips declarations and comments', () => {
    const { elements, error } = readAll(STREAM);
    assert.equal(error, null);
    assert.deepEqual(elements, [
      { name: 'getProperties', attributes: { version: '1.7' }, text: '', children: [] },
      {
        name: 'newNumberVector',
        attributes: { device: 'FLI Atlas', name: 'ABS_FOCUS_POSITION', timestamp: '2026-01-01T00:00:00' },
        text: '\n  \n',
        children: [{ name: 'oneNumber', attributes: { name: 'FOCUS_ABSOLUTE_POSITION' }, text: '\n 5000\n  ', children: [] }],
      },
      {
        name: 'newTextVector',
        attributes: { device: 'd&x', name: 'T' },
        text: '',
        children: [{ name: 'oneText', attributes: { name: 't' }, text: 'a <b> é🔭 <raw & ]]é', children: [] }],
      },
    ]);
  });

  test('gives the same elements whatever the chunking, including inside multi-byte characters', () => {
    const bytes = Buffer.from(STREAM);
    const whole = readAll(bytes).elements;
    for (let cut = 1; cut < bytes.length; cut++) {
      const reader = new XmlStreamReader();
      const first = reader.push(bytes.subarray(0, cut));
      const second = reader.push(bytes.subarray(cut));
      assert.equal(first.error ?? second.error, null, `cut at ${cut}`);
      assert.deepEqual([...first.elements, ...second.elements].map(plain), whole, `cut at ${cut}`);
    }
    const reader = new XmlStreamReader();
    const oneByOne: unknown[] = [];
    for (const b of bytes) oneByOne.push(...reader.push(Buffer.from([b])).elements.map(plain));
    assert.deepEqual(oneByOne, whole);
  });

  test('pending is true only while part of a top-level item has been read', () => {
    const reader = new XmlStreamReader();
    assert.equal(reader.pending, false);
    reader.push('  \n');
    assert.equal(reader.pending, false);
    reader.push('<getProp');
    assert.equal(reader.pending, true);
    reader.push('erties/>');
    assert.equal(reader.pending, false);
    reader.push('<!-- open');
    assert.equal(reader.pending, true);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['text outside an element', 'hello', /^SYNTAX: text outside an element \('h'\) \(line 1, column 1\)$/],
    ['a mismatched closing tag', '<a><b></a>', /SYNTAX: <\/a> closes <b>/],
    ['a closing tag with nothing open', '</a>', /SYNTAX: a closing tag with no element open/],
    ['an unquoted attribute', '<a b=c/>', /not quoted/],
    ['an attribute without a value', '<a b/>', /has no value/],
    ['a repeated attribute', '<a b="1" b="2"/>', /given twice/],
    ['an unknown entity', '<a>&nbsp;</a>', /unknown entity &nbsp;/],
    ['a bare ampersand', '<a>fish & chips</a>', /'&' not ending in ';'/],
    ['a character reference XML forbids', '<a>&#0;</a>', /not a character XML allows/],
    ['a control character', '<a>\u0001</a>', /U\+0001 is not allowed/],
    ['a DOCTYPE (no entity definitions, no expansion)', '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', /a DOCTYPE is not accepted/],
    ["'<' inside an attribute value", '<a b="<"/>', /'<' inside the value/],
    ["'<' then a space", '< a/>', /is not markup/],
    ['binary garbage', '\u0000\u0001\u0002', /U\+0000 is not allowed/],
  ];
  for (const [what, input, expected] of bad) {
    test(`refuses ${what}, saying where`, () => {
      const { error } = readAll(input);
      assert.match(error ?? '', expected);
    });
  }

  test('elements completed before an error are still returned; after it the reader refuses everything', () => {
    const reader = new XmlStreamReader();
    const r = reader.push('<getProperties/><a></b><getProperties/>');
    assert.deepEqual(r.elements.map((e) => e.name), ['getProperties']);
    assert.equal(r.error?.code, 'SYNTAX');
    const again = reader.push('<getProperties/>');
    assert.deepEqual(again.elements, []);
    assert.equal(again.error, r.error);
  });

  test('one top-level element may not exceed maxElementBytes, counted in UTF-8 bytes as they arrive', () => {
    const exact = `<a>${'é'.repeat(10)}</a>`; // 3 + 20 + 4 bytes
    assert.equal(Buffer.byteLength(exact), 27);
    assert.equal(readAll(exact, { maxElementBytes: 27 }).error, null);
    assert.match(readAll(exact, { maxElementBytes: 26 }).error ?? '', /^TOO_LARGE: an element longer than 26 bytes/);
    // An endless element fails once the limit is passed, without waiting for an end that never comes.
    const reader = new XmlStreamReader({ maxElementBytes: 1024 });
    reader.push('<newTextVector device="d" name="n"><oneText name="t">');
    let error = null;
    for (let i = 0; i < 100 && error === null; i++) error = reader.push('x'.repeat(100)).error;
    assert.equal(error?.code, 'TOO_LARGE');
    // Endless comments and attribute values count the same way.
    assert.equal(readAll('<!--' + '-'.repeat(2000), { maxElementBytes: 1024 }).error?.slice(0, 9), 'TOO_LARGE');
    assert.equal(readAll('<a b="' + 'v'.repeat(2000), { maxElementBytes: 1024 }).error?.slice(0, 9), 'TOO_LARGE');
    // Whitespace between elements is not part of any element.
    assert.equal(readAll(' '.repeat(5000) + '<a/>', { maxElementBytes: 16 }).error, null);
  });

  test('nesting and attribute counts are limited', () => {
    assert.equal(readAll('<a><a><a></a></a></a>', { maxDepth: 3 }).error, null);
    assert.match(readAll('<a><a><a><a/></a></a></a>', { maxDepth: 3 }).error ?? '', /^TOO_DEEP: elements nested more than 3 deep/);
    assert.equal(readAll('<a b="1" c="2"/>', { maxAttributes: 2 }).error, null);
    assert.match(readAll('<a b="1" c="2" d="3"/>', { maxAttributes: 2 }).error ?? '', /^TOO_LARGE: more than 2 attributes/);
  });
});

describe('XML writer: anything we write reads back as written', () => {
  test('text and attribute values with markup, quotes, newlines and forbidden characters', () => {
    const nasty = `<"a' & b>\n\t\r\u0001\ud800 é🔭 ]]>`;
    const written = textElement('oneText', [['name', nasty]], nasty);
    const { elements, error } = readAll(written);
    assert.equal(error, null);
    const expected = nasty.replace('\u0001', '\ufffd').replace('\ud800', '\ufffd');
    assert.deepEqual(elements, [{ name: 'oneText', attributes: { name: expected }, text: expected, children: [] }]);
  });

  test('escaping is the five markup characters (and whitespace controls in attributes)', () => {
    assert.equal(escapeText('a<b>&c'), 'a&lt;b&gt;&amp;c');
    assert.equal(escapeAttribute(`"'\n`), '&quot;&apos;&#10;');
    assert.equal(openTag('message', [['device', 'D'], ['name', undefined], ['n', 5]], true), '<message device="D" n="5"/>');
  });
});
