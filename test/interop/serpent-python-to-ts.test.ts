import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { parse, serialize } from '../../src/pyro/serpent/index.js';
import { canon, normalize, pythonCorpus, type CorpusEntry } from '../serpent/oracle.js';

describe('serpent: what Python serpent 1.41 writes, TS reads to the same value', () => {
  let corpus: CorpusEntry[] = [];
  before(() => {
    corpus = pythonCorpus();
  });

  test('the Python corpus is large enough to mean something', () => {
    assert.ok(corpus.length >= 80, `only ${corpus.length} corpus entries`);
  });

  test('every Python dump parses to the value Python reads back', () => {
    for (const entry of corpus) {
      const value = parse(Buffer.from(entry.dump, 'base64'), { preserveFloats: true });
      assert.deepEqual(normalize(canon(value)), normalize(entry.canon), entry.name);
    }
  });

  test('re-serialized, the parsed value is byte-identical to Python output', () => {
    let exact = 0;
    for (const entry of corpus) {
      if (!entry.exact) continue;
      exact++;
      const bytes = Buffer.from(entry.dump, 'base64');
      const again = serialize(parse(bytes, { preserveFloats: true }));
      assert.equal(again.toString('utf8'), bytes.toString('utf8'), entry.name);
    }
    assert.ok(exact >= 80, `only ${exact} byte-exact entries`);
  });

  test('without preserveFloats, integral floats come back as plain numbers', () => {
    const entry = corpus.find((e) => e.name === 'float 1.0');
    assert.ok(entry);
    assert.equal(parse(Buffer.from(entry.dump, 'base64')), 1);
  });
});
