// Inputs the fuzzers' generators make rare but an attacker would send on purpose, checked with the
// same property functions. (The fuzz runs so far found no crash; a crash found later goes here
// with its fast-check seed and path.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDecoder, checkSerpent } from './checks.js';
import { encodeSpec } from './generators.js';

const HEADER = '# serpent utf-8 python3.2\n';

describe('fuzz edge cases: pathological input is refused quickly and cleanly', () => {
  const cases: [string, string][] = [
    ['a 1,000,000-digit int (Python refuses past 4300 digits)', '9'.repeat(1_000_000)],
    ['1,000,000 opening brackets', '['.repeat(1_000_000)],
    ['1,000,000 nested parentheses, closed', '('.repeat(1_000_000) + ')'.repeat(1_000_000)],
    ['a chain of 1,000,000 minus signs', '-'.repeat(1_000_000) + '1'],
    ['100,000 complex additions', '1' + '+1j'.repeat(100_000)],
    ['a string of 200,000 escapes', "'" + '\\x41'.repeat(200_000) + "'"],
    ['an unterminated triple-quoted string', "'''" + 'a'.repeat(100_000)],
    ['a dict of 100,000 identical keys', '{' + "'__proto__':1,".repeat(100_000) + '}'],
    ['a set of unhashable lists', '{[1],[2]}'],
    ['an exponent of a million digits', '1e' + '9'.repeat(1_000_000)],
  ];
  for (const [label, text] of cases) {
    test(label, () => {
      checkSerpent(text);
      checkSerpent(HEADER + text);
      checkSerpent(Buffer.from(HEADER + text));
    });
  }

  test('a frame stream that is one valid frame followed by 64 KiB of garbage, in 1-byte and whole chunks', () => {
    const frame = encodeSpec({ type: 4, flags: 0, seq: 1, serializerId: 1, annotations: [], payload: Buffer.from(HEADER + '1'), hmac: false });
    const r = checkDecoder(Buffer.concat([frame, Buffer.alloc(65536, 0x41)]), [0.001, 0.5]);
    assert.equal(r.messages, 1);
    assert.equal(r.error, true);
  });
});
