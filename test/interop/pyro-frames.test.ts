// Frames both ways against Pyro4 4.82's own Message class (test/fixtures/pyro/frames.py): what
// Python writes we decode, what we write Python reads (HMAC checked by Python), byte for byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Flags, MessageDecoder, checkHmac, decompressedPayload, encodeMessage, toHmacKey, type Message } from '../../src/pyro/index.js';
import { fromRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

interface FrameSpec {
  type: number;
  flags: number;
  seq: number;
  serializer_id: number;
  data: string;
  annotations: Record<string, string>;
  hmac: string | null;
  compress?: boolean;
}
type Read = { type: number; flags: number; seq: number; serializer_id: number; annotations: Record<string, string>; data: string } | { error: string };

function frames<T>(request: object): T {
  const script = fromRoot('test', 'fixtures', 'pyro', 'frames.py');
  return JSON.parse(runPython(`import runpy; runpy.run_path(${JSON.stringify(script)}, run_name='__main__')`, JSON.stringify(request), 60_000)) as T;
}

const specArb: fc.Arbitrary<FrameSpec> = fc.record({
  type: fc.integer({ min: 1, max: 6 }),
  flags: fc.constantFrom(0, Flags.EXCEPTION, Flags.ONEWAY, Flags.BATCH, Flags.META_ON_CONNECT, Flags.ONEWAY | Flags.BATCH),
  seq: fc.integer({ min: 0, max: 0xffff }),
  serializer_id: fc.integer({ min: 1, max: 7 }),
  data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('hex')),
  annotations: fc.dictionary(fc.constantFrom('CORR', 'XTRA', 'ABCD'), fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a).toString('hex')), { maxKeys: 3 }),
  hmac: fc.option(fc.constantFrom('sesame', 'k', 'a longer key with spaces ✓'), { nil: null }),
});

function decodeOne(bytes: Buffer): Message {
  const got = new MessageDecoder({ maxMessageSize: 1 << 24 }).push(bytes);
  assert.equal(got.length, 1);
  return got[0] as Message;
}

describe('pyro frames against Pyro4.message.Message', { timeout: 120_000 }, () => {
  const specs = fc.sample(specArb, { numRuns: 200, seed: 4 });
  specs.push({ type: 4, flags: 0, seq: 1, serializer_id: 1, data: Buffer.from('x'.repeat(5000)).toString('hex'), annotations: { CORR: '00'.repeat(16) }, hmac: 'sesame', compress: true });
  specs.push({ type: 5, flags: Flags.EXCEPTION, seq: 65535, serializer_id: 1, data: Buffer.from('abc '.repeat(999)).toString('hex'), annotations: {}, hmac: null, compress: true });

  test('every frame Python writes decodes to the same fields, and its HMAC checks out', () => {
    const written = frames<string[]>({ mode: 'write', specs });
    assert.equal(written.length, specs.length);
    written.forEach((hex, i) => {
      const spec = specs[i] as FrameSpec;
      const m = decodeOne(Buffer.from(hex, 'hex'));
      assert.equal(m.type, spec.type);
      assert.equal(m.seq, spec.seq);
      assert.equal(m.serializerId, spec.serializer_id);
      assert.equal(m.flags & ~Flags.COMPRESSED, spec.flags);
      assert.equal(decompressedPayload(m, 1 << 24).toString('hex'), spec.data);
      for (const [k, v] of Object.entries(spec.annotations)) assert.equal(m.annotations.get(k)?.toString('hex'), v);
      assert.equal(checkHmac(m, toHmacKey(spec.hmac)), null, `frame ${i}: hmac`);
    });
  });

  test('every frame we write, Python reads to the same fields (HMAC verified by Python), byte-identical', () => {
    const plain = specs.filter((s) => !s.compress);
    const ours = plain.map((s) =>
      encodeMessage({
        type: s.type,
        flags: s.flags,
        seq: s.seq,
        serializerId: s.serializer_id,
        annotations: new Map(Object.entries(s.annotations).map(([k, v]) => [k, Buffer.from(v, 'hex')])),
        payload: Buffer.from(s.data, 'hex'),
        hmacKey: toHmacKey(s.hmac),
      }),
    );
    const read = frames<Read[]>({ mode: 'read', frames: ours.map((b, i) => ({ hex: b.toString('hex'), hmac: plain[i]?.hmac ?? null })) });
    read.forEach((r, i) => {
      const s = plain[i] as FrameSpec;
      assert.ok(!('error' in r), `frame ${i}: Python refused it: ${'error' in r ? r.error : ''}`);
      if ('error' in r) return;
      assert.equal(r.type, s.type);
      assert.equal(r.flags, s.flags);
      assert.equal(r.seq, s.seq);
      assert.equal(r.serializer_id, s.serializer_id);
      assert.equal(r.data, s.data);
      for (const [k, v] of Object.entries(s.annotations)) assert.equal(r.annotations[k], v);
    });
    const pythonBytes = frames<string[]>({ mode: 'write', specs: plain });
    pythonBytes.forEach((hex, i) => assert.equal((ours[i] as Buffer).toString('hex'), hex, `frame ${i}`));
  });

  test('Python refuses our frame signed with another key, and an unsigned one when it has a key', () => {
    const signed = encodeMessage({ type: 4, seq: 1, payload: Buffer.from('data'), hmacKey: toHmacKey('ours') });
    const unsigned = encodeMessage({ type: 4, seq: 1, payload: Buffer.from('data') });
    const [a, b, c] = frames<Read[]>({
      mode: 'read',
      frames: [
        { hex: signed.toString('hex'), hmac: 'theirs' },
        { hex: unsigned.toString('hex'), hmac: 'theirs' },
        { hex: signed.toString('hex'), hmac: null },
      ],
    });
    assert.match((a as { error: string }).error, /SecurityError: message hmac mismatch/);
    assert.match((b as { error: string }).error, /SecurityError: hmac key config not symmetric/);
    assert.match((c as { error: string }).error, /SecurityError: hmac key config not symmetric/);
  });
});
