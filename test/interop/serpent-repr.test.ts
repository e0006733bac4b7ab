import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { floatRepr, strRepr } from '../../src/pyro/serpent/index.js';
import { runPython } from '../helpers/python.js';

/** Every code point; each surrogate followed by 'x' so that no two of them pair up in UTF-16. */
function everyCodePoint(): string {
  const parts: string[] = [];
  for (let cp = 0; cp < 0x110000; cp++) {
    parts.push(String.fromCodePoint(cp));
    if (cp >= 0xd800 && cp <= 0xdfff) parts.push('x');
  }
  return parts.join('');
}

describe("serpent repr agrees with Python's repr()", () => {
  test('str repr of every Unicode code point is byte-identical', () => {
    const code = [
      'import sys',
      "s = ''.join(chr(c) + ('x' if 0xd800 <= c <= 0xdfff else '') for c in range(0x110000))",
      "sys.stdout.buffer.write(repr(s).encode('utf-8'))",
    ].join('\n');
    const python = runPython(code);
    const ours = strRepr(everyCodePoint());
    assert.ok(python.length > 0x110000);
    if (ours !== python) {
      let i = 0;
      while (ours[i] === python[i]) i++;
      assert.fail(
        `first difference at ${i}: ours ${JSON.stringify(ours.slice(i - 20, i + 20))}, Python ${JSON.stringify(python.slice(i - 20, i + 20))}. ` +
          'If Python was upgraded: /usr/bin/python3 test/fixtures/serpent/gen_nonprintable.py > src/pyro/serpent/nonprintable.ts',
      );
    }
  });

  test('str repr quote choice matches Python', () => {
    const samples = ["'", '"', `'"`, `"'`, "a'b", 'a"b', `a'b"c`, '', "''", '""'];
    const python = JSON.parse(runPython('import json, sys\nprint(json.dumps([repr(s) for s in json.load(sys.stdin)]))', JSON.stringify(samples))) as string[];
    assert.deepEqual(samples.map(strRepr), python);
  });

  test('float repr of 20000 random doubles and the edge cases is identical', () => {
    const bits: string[] = [];
    const edges = [0, -0, 1, -1, 0.1, 1e16, 1e15, 9999999999999998, 1e-4, 1e-5, 5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, 1e22, 1e21, 123456789.123, 0.000123];
    const buf = Buffer.alloc(8);
    for (const x of edges) {
      buf.writeDoubleBE(x);
      bits.push(buf.toString('hex'));
    }
    const random = randomBytes(8 * 20000);
    for (let i = 0; i < 20000; i++) {
      const b = random.subarray(i * 8, i * 8 + 8);
      const x = b.readDoubleBE(0);
      if (!Number.isFinite(x)) continue;
      bits.push(b.toString('hex'));
    }
    // and "human" decimals: short digit strings at every exponent
    for (let e = -330; e <= 310; e++) {
      buf.writeDoubleBE(Number(`${1 + ((e * 7919) % 997)}e${e}`));
      if (Number.isFinite(buf.readDoubleBE(0))) bits.push(buf.toString('hex'));
    }
    const code = 'import json, struct, sys\nprint(json.dumps([repr(struct.unpack(">d", bytes.fromhex(h))[0]) for h in json.load(sys.stdin)]))';
    const python = JSON.parse(runPython(code, JSON.stringify(bits))) as string[];
    assert.equal(python.length, bits.length);
    for (let i = 0; i < bits.length; i++) {
      const x = Buffer.from(bits[i]!, 'hex').readDoubleBE(0);
      assert.equal(floatRepr(x), python[i], `bits ${bits[i]}`);
    }
  });
});
