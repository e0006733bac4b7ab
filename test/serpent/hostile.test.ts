import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, serialize, SerpentParseError } from '../../src/pyro/serpent/index.js';
import { pyTree } from './arbitraries.js';

/** parse() must return a value or throw SerpentParseError: never another error, never hang. */
function parsesOrRefuses(text: string | Uint8Array): void {
  const input = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  try {
    parse(input, { maxDepth: 50 });
  } catch (err) {
    if (!(err instanceof SerpentParseError)) throw err;
    assert.ok(err.position >= 0 && err.position <= input.length, `position ${err.position} outside the input`);
    assert.ok(err.line >= 1 && err.column >= 1);
  }
}

const soup = fc.constantFrom(
  ...'()[]{},:+-_.jJeExXbBoOrRuUfF0123456789\'"\\#\n\r\t ;*aN'.split(''),
  'True', 'None', 'set()', "'''", '"""', '\\x', '\\u', '\\U', '\\N{', '1e30000', '0x', '\ud800', '😀', '\0', '\ufeff',
);

describe('serpent parse on hostile input', () => {
  test('random token soup: a value or a SerpentParseError', () => {
    fc.assert(fc.property(fc.string({ unit: soup, maxLength: 60 }), parsesOrRefuses), { numRuns: 3000, seed: 31337 });
  });

  test('random bytes: a value or a SerpentParseError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), parsesOrRefuses), { numRuns: 3000, seed: 2718 });
  });

  test('truncated serpent documents: every prefix parses or is refused cleanly', () => {
    fc.assert(
      fc.property(pyTree, (v) => {
        const doc = serialize(v);
        for (let cut = 0; cut < doc.length; cut += Math.max(1, doc.length >> 4)) parsesOrRefuses(doc.subarray(0, cut));
      }),
      { numRuns: 200, seed: 1618 },
    );
  });

  test('a refused document leaves the parser usable (no state carried between calls)', () => {
    assert.throws(() => parse(Buffer.from('[[[[')), SerpentParseError);
    assert.throws(() => parse(Buffer.from("'abc")), SerpentParseError);
    assert.deepEqual(parse(Buffer.from('[1]')), [1]);
  });
});
